"""A household's billing: its payer contact and residence (staff), its account (the ledger
and balance; staff, or the family for its own household)."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import anyone, own_household, pool, staff
from billing.schemas import AccountOut, BillingProfileIn, BillingProfileOut
from billing.usecases import households, invoices
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["households"]


@routes.get("/tenants/{tenant}/billing/households/{household_id}/profile")
@doc(
    "A household's payer contact and residence (staff, or its family)",
    response=BillingProfileOut,
    tags=TAGS,
    responses={403: "Another household", 404: "Unknown to billing"},
)
async def get_profile(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    row = await households.billing_profile(pool(request), caller.tenant, household_id)
    return json_response(BillingProfileOut(), row)


@routes.put("/tenants/{tenant}/billing/households/{household_id}/profile")
@doc(
    "Set the payer printed on the household's next documents, and whether it lives in the "
    "town (staff)",
    request=BillingProfileIn,
    response=BillingProfileOut,
    tags=TAGS,
)
async def set_profile(request: web.Request) -> web.Response:
    caller = staff(request)
    household_id = path_uuid(request, "household_id")
    data = await read_json(request, BillingProfileIn())
    row = await households.set_billing_profile(
        unit_of_work(request.app, caller.tenant), caller.tenant, household_id, data
    )
    return json_response(BillingProfileOut(), row)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/account")
@doc(
    "The household's ledger and the balance derived from it, per régie (staff, or its family)",
    response=AccountOut,
    tags=TAGS,
    responses={403: "Another household"},
)
async def get_account(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    body = await invoices.account(pool(request), caller.tenant, household_id)
    return json_response(AccountOut(), body)
