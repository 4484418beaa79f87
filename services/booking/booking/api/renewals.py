"""Renewals: staff propose last year's enrollments again in the new campaign; the family
confirms or declines each."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, uow
from booking.domain.errors import CampaignNotFound, RenewalNotFound
from booking.schemas import (
    RenewalAnswerIn,
    RenewalAnswerOut,
    RenewalListOut,
    RenewalsIn,
    RenewalsPreparedOut,
    RenewalsQuery,
)
from booking.usecases import renewals
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/campaigns/{campaign_id}/renewals")
@doc(
    "Propose again the approved enrollments of the previous campaign, each in the activity"
    " that continues it, eligibility checked with the child's next grade; running it again"
    " adds the new ones and checks the ineligible ones again (staff). The households given"
    " new proposals are emailed.",
    request=RenewalsIn,
    response=RenewalsPreparedOut,
    tags=["renewals"],
    responses={422: "No previous campaign, or a mapping outside the two campaigns"},
)
async def prepare_renewals(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    # No body: renew the previous campaign's, matched by name.
    body = RenewalsIn()
    data = await read_json(request, body) if request.can_read_body else body.load({})
    result = await renewals.prepare_renewals(
        uow(request, tenant),
        tenant,
        campaign_id,
        from_campaign_id=data["from_campaign_id"],
        mapping=data["mapping"],
        now=now(request),
    )
    return json_response(RenewalsPreparedOut(), result)


@routes.get("/tenants/{tenant}/campaigns/{campaign_id}/renewals")
@doc(
    "Renewals of the campaign: a family sees its household's, staff every one (?status=,"
    " ?household_id=)",
    query=RenewalsQuery,
    response=RenewalListOut,
    tags=["renewals"],
)
async def list_renewals(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    campaign_id = path_uuid(request, "campaign_id", CampaignNotFound)
    query = read_query(request, RenewalsQuery())
    rows = await renewals.list_renewals(
        request.app[POOL],
        tenant,
        actor,
        campaign_id,
        status=query.get("status"),
        household_id=query.get("household_id"),
    )
    return json_response(RenewalListOut(), {"items": rows})


@routes.post("/tenants/{tenant}/renewals/{renewal_id}/answer")
@doc(
    "Confirm (the child is enrolled, with last year's rhythm unless another is given) or"
    " decline a proposed renewal",
    request=RenewalAnswerIn,
    response=RenewalAnswerOut,
    tags=["renewals"],
    responses={
        409: "Already answered, not eligible, campaign not open or household file not checked",
        422: "A required document is missing or expired",
    },
)
async def answer_renewal(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    renewal_id = path_uuid(request, "renewal_id", RenewalNotFound)
    data = await read_json(request, RenewalAnswerIn())
    result = await renewals.answer_renewal(
        uow(request, tenant),
        tenant,
        actor,
        renewal_id,
        answer=data["answer"],
        mode=data["mode"],
        weekdays=data["weekdays"],
        every_n_weeks=data["every_n_weeks"],
        now=now(request),
    )
    return json_response(RenewalAnswerOut(), result)
