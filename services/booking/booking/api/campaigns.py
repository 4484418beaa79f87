"""Enrollment campaigns: staff open a school year's activities for a window of dates; a
family enrolls a child in several of them at once and checks its household file once a year."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, uow
from booking.domain.errors import CampaignNotFound
from booking.schemas import (
    CampaignEnrollmentIn,
    CampaignEnrollmentOut,
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignPatchIn,
    FileCheckIn,
    FileCheckOut,
    FileCheckQuery,
)
from booking.usecases import campaigns
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/campaigns")
@doc(
    "Open an enrollment campaign: a school year's activities, enrolled by families between"
    " two dates (staff)",
    request=CampaignIn,
    response=CampaignOut,
    status=201,
    tags=["campaigns"],
    responses={409: "An activity is in another campaign", 422: "Unknown activity"},
)
@idempotent
async def create_campaign(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, CampaignIn())
    row = await campaigns.create_campaign(
        uow(request, tenant), tenant, actor, data, now=now(request)
    )
    return json_response(CampaignOut(), row, status=201)


@routes.get("/tenants/{tenant}/campaigns")
@doc(
    "Enrollment campaigns, newest first (families: those not archived, without counts)",
    response=CampaignListOut,
    tags=["campaigns"],
)
async def list_campaigns(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    rows = await campaigns.list_campaigns(request.app[POOL], tenant, actor, now=now(request))
    return json_response(CampaignListOut(), {"items": rows})


@routes.get("/tenants/{tenant}/campaigns/{campaign_id}")
@doc("An enrollment campaign", response=CampaignOut, tags=["campaigns"])
async def get_campaign(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    row = await campaigns.get_campaign(
        request.app[POOL], tenant, actor, campaign_id, now=now(request)
    )
    return json_response(CampaignOut(), row)


@routes.patch("/tenants/{tenant}/campaigns/{campaign_id}")
@doc(
    "Change a campaign's name, window, description or activities, or archive it (staff)",
    request=CampaignPatchIn,
    response=CampaignOut,
    tags=["campaigns"],
    responses={409: "An activity is in another campaign"},
)
async def update_campaign(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    data = await read_json(request, CampaignPatchIn())
    row = await campaigns.update_campaign(
        uow(request, tenant), tenant, actor, campaign_id, data, now=now(request)
    )
    return json_response(CampaignOut(), row)


@routes.post("/tenants/{tenant}/campaigns/{campaign_id}/enrollments")
@doc(
    "Enroll a child in several activities of the campaign at once: each line approved,"
    " pending or refused on its own (a family: its own child, within the window)",
    request=CampaignEnrollmentIn,
    response=CampaignEnrollmentOut,
    tags=["campaigns"],
    responses={409: "The campaign is not open (families)", 422: "A line's activity"},
)
async def enroll(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    data = await read_json(request, CampaignEnrollmentIn())
    items = await campaigns.enroll_lines(
        uow(request, tenant),
        tenant,
        actor,
        campaign_id,
        child_id=data["child_id"],
        lines=data["lines"],
        now=now(request),
    )
    return json_response(CampaignEnrollmentOut(), {"items": items})


@routes.post("/tenants/{tenant}/campaigns/{campaign_id}/file-check")
@doc(
    "The household's file checked for the campaign's year (a family: its own; staff: the"
    " household_id given); checking again keeps the first date",
    request=FileCheckIn,
    response=FileCheckOut,
    tags=["campaigns"],
)
async def check_file(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    # A family may post no body at all: its household is in its token.
    data = await read_json(request, FileCheckIn()) if request.can_read_body else {}
    row = await campaigns.check_file(
        uow(request, tenant),
        tenant,
        actor,
        campaign_id,
        data.get("household_id"),
        now=now(request),
    )
    return json_response(FileCheckOut(), row)


@routes.get("/tenants/{tenant}/campaigns/{campaign_id}/file-check")
@doc(
    "Whether the household's file is checked for the campaign (a family: its own; staff:"
    " ?household_id=); 404 when not yet",
    query=FileCheckQuery,
    response=FileCheckOut,
    tags=["campaigns"],
    responses={404: "Not checked yet"},
)
async def file_check(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    query = read_query(request, FileCheckQuery())
    row = await campaigns.file_check(
        request.app[POOL], tenant, actor, campaign_id, query.get("household_id")
    )
    return json_response(FileCheckOut(), row)
