"""Split billing for separated parents: a household's payers (staff name them, with their own
address, email and family account) and the billing rule per child saying who pays each
booked day; each payer's account (ledger and balance). A family reads its own."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import actor, anyone, own_household, pool, staff, viewer
from billing.schemas import (
    AccountOut,
    BillingRuleIn,
    BillingRuleListOut,
    BillingRuleOut,
    PayerIn,
    PayerListOut,
    PayerOut,
)
from billing.usecases import invoices, payers
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["split billing"]


@routes.get("/tenants/{tenant}/billing/households/{household_id}/payers")
@doc(
    "The household's payers: itself (its billing contact), then its named payers (staff); a "
    "family sees the household and its own payer only",
    response=PayerListOut,
    tags=TAGS,
    responses={403: "Another household", 404: "Unknown to billing"},
)
async def list_payers(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    rows = await payers.payers(
        pool(request), caller.tenant, household_id, await viewer(request, caller)
    )
    return json_response(PayerListOut(), {"payers": rows})


@routes.post("/tenants/{tenant}/billing/households/{household_id}/payers")
@doc(
    "Name a payer of the household (a separated parent): own name, address, email, and the "
    "family account linked to the household that sees and pays their documents (staff)",
    request=PayerIn,
    response=PayerOut,
    status=201,
    tags=TAGS,
    responses={
        404: "Unknown to billing",
        409: "The account is another payer's",
        422: "The account is not linked to the household",
    },
)
@idempotent
async def create_payer(request: web.Request) -> web.Response:
    caller = staff(request)
    household_id = path_uuid(request, "household_id")
    data = await read_json(request, PayerIn())
    row = await payers.create_payer(
        unit_of_work(request.app, caller.tenant), caller.tenant, household_id, data
    )
    return json_response(PayerOut(), row, status=201)


@routes.put("/tenants/{tenant}/billing/payers/{payer_id}")
@doc(
    "Change a named payer; documents issued already keep their copy (staff)",
    request=PayerIn,
    response=PayerOut,
    tags=TAGS,
    responses={
        404: "No such payer",
        409: "The account is another payer's",
        422: "The account is not linked to the household",
    },
)
async def update_payer(request: web.Request) -> web.Response:
    caller = staff(request)
    payer_id = path_uuid(request, "payer_id")
    data = await read_json(request, PayerIn())
    row = await payers.update_payer(
        unit_of_work(request.app, caller.tenant), caller.tenant, payer_id, data
    )
    return json_response(PayerOut(), row)


@routes.get("/tenants/{tenant}/billing/payers/{payer_id}/account")
@doc(
    "A payer's ledger and the balance derived from it, per régie (staff; a family: the "
    "household's or its own payer's)",
    response=AccountOut,
    tags=TAGS,
    responses={404: "No such payer (or not the family's)"},
)
async def get_payer_account(request: web.Request) -> web.Response:
    caller = anyone(request)
    payer_id = path_uuid(request, "payer_id")
    await payers.payer(pool(request), caller.tenant, payer_id, await viewer(request, caller))
    body = await invoices.account(pool(request), caller.tenant, payer_id)
    return json_response(AccountOut(), body)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/billing-rules")
@doc(
    "Who pays each child's booked days, rule by rule from their start dates (staff, or its "
    "family; payers by name only)",
    response=BillingRuleListOut,
    tags=TAGS,
    responses={403: "Another household", 404: "Unknown to billing"},
)
async def list_rules(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    rows = await payers.rules(pool(request), caller.tenant, household_id)
    return json_response(BillingRuleListOut(), {"rules": rows})


@routes.post("/tenants/{tenant}/billing/households/{household_id}/billing-rules")
@doc(
    "Set who pays a child's days booked from a date: one payer, alternate weeks (from a "
    "reference week), fixed weekdays, or a percentage of each day; days charged already "
    "keep their payer (staff)",
    request=BillingRuleIn,
    response=BillingRuleOut,
    status=201,
    tags=TAGS,
    responses={
        404: "Unknown child or household",
        409: "A rule of the child starts that day already",
        422: "Invalid rule (payers not of the household, missing setting)",
    },
)
async def create_rule(request: web.Request) -> web.Response:
    caller = staff(request)
    household_id = path_uuid(request, "household_id")
    data = await read_json(request, BillingRuleIn())
    row = await payers.create_rule(
        unit_of_work(request.app, caller.tenant), caller.tenant, household_id, data, actor(caller)
    )
    return json_response(BillingRuleOut(), row, status=201)


@routes.delete("/tenants/{tenant}/billing/billing-rules/{rule_id}")
@doc(
    "Remove a billing rule: days booked from its start follow the previous rule (staff)",
    status=204,
    tags=TAGS,
    responses={404: "No such rule"},
)
async def delete_rule(request: web.Request) -> web.Response:
    caller = staff(request)
    await payers.delete_rule(
        unit_of_work(request.app, caller.tenant), caller.tenant, path_uuid(request, "rule_id")
    )
    return web.Response(status=204)
