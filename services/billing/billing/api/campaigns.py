"""Postpaid campaigns (staff): draft, review lines and issues, refresh, finalise, cancel."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import actor, now, pool, staff
from billing.schemas import (
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignsQuery,
    InvoiceListOut,
    PageQuery,
)
from billing.usecases import campaigns
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["campaigns"]
NOT_FOUND = {404: "No such campaign"}
DRAFT_ONLY = {404: "No such campaign", 409: "Not a draft any more"}


@routes.get("/tenants/{tenant}/campaigns")
@doc("The tenant's campaigns (staff)", query=CampaignsQuery, response=CampaignListOut, tags=TAGS)
async def list_campaigns(request: web.Request) -> web.Response:
    caller = staff(request)
    query = read_query(request, CampaignsQuery())
    rows = await campaigns.campaigns(pool(request), caller.tenant, query.get("regie_id"))
    return json_response(CampaignListOut(), {"campaigns": rows})


@routes.post("/tenants/{tenant}/campaigns")
@doc(
    "Draft a campaign of a régie for a period: one draft invoice per payer from what is not "
    "billed yet, with errors and warnings to review (staff)",
    request=CampaignIn,
    response=CampaignOut,
    status=201,
    tags=TAGS,
    responses={404: "No such régie", 409: "A draft campaign covers the period"},
)
async def create_campaign(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, CampaignIn())
    campaign_id = await campaigns.create_campaign(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        data,
        actor=actor(caller),
        now=now(request),
    )
    row = await campaigns.campaign(pool(request), caller.tenant, campaign_id)
    return json_response(CampaignOut(), row, status=201)


@routes.get("/tenants/{tenant}/campaigns/{campaign_id}")
@doc(
    "A campaign with its errors (days not billed) and warnings (staff)",
    response=CampaignOut,
    tags=TAGS,
    responses=NOT_FOUND,
)
async def get_campaign(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await campaigns.campaign(pool(request), caller.tenant, path_uuid(request, "campaign_id"))
    return json_response(CampaignOut(), row)


@routes.get("/tenants/{tenant}/campaigns/{campaign_id}/invoices")
@doc(
    "A campaign's invoices with their lines: drafts as they would be issued (staff)",
    query=PageQuery,
    response=InvoiceListOut,
    tags=TAGS,
    responses=NOT_FOUND,
)
async def campaign_invoices(request: web.Request) -> web.Response:
    caller = staff(request)
    page = read_query(request, PageQuery())
    rows = await campaigns.campaign_invoices(
        pool(request), caller.tenant, path_uuid(request, "campaign_id"), **page
    )
    return json_response(InvoiceListOut(), {"invoices": rows})


@routes.post("/tenants/{tenant}/campaigns/{campaign_id}/refresh")
@doc(
    "Draft the campaign again from current prices, QFs and attendance (staff)",
    response=CampaignOut,
    tags=TAGS,
    responses=DRAFT_ONLY,
)
async def refresh_campaign(request: web.Request) -> web.Response:
    caller = staff(request)
    campaign_id = path_uuid(request, "campaign_id")
    await campaigns.refresh_campaign(
        unit_of_work(request.app, caller.tenant), caller.tenant, campaign_id, now=now(request)
    )
    row = await campaigns.campaign(pool(request), caller.tenant, campaign_id)
    return json_response(CampaignOut(), row)


@routes.post("/tenants/{tenant}/campaigns/{campaign_id}/finalise")
@doc(
    "Finalise: every draft gets its number and is issued (billing.InvoiceIssued each) (staff)",
    response=CampaignOut,
    tags=TAGS,
    responses=DRAFT_ONLY,
)
async def finalise_campaign(request: web.Request) -> web.Response:
    caller = staff(request)
    campaign_id = path_uuid(request, "campaign_id")
    await campaigns.finalise_campaign(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        campaign_id,
        actor=actor(caller),
        now=now(request),
    )
    row = await campaigns.campaign(pool(request), caller.tenant, campaign_id)
    return json_response(CampaignOut(), row)


@routes.delete("/tenants/{tenant}/campaigns/{campaign_id}")
@doc(
    "Cancel a draft campaign: its days become billable again (staff)",
    status=204,
    tags=TAGS,
    responses=DRAFT_ONLY,
)
async def cancel_campaign(request: web.Request) -> web.Response:
    caller = staff(request)
    await campaigns.cancel_campaign(
        unit_of_work(request.app, caller.tenant), caller.tenant, path_uuid(request, "campaign_id")
    )
    return web.Response(status=204)
