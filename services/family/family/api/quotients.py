"""The family quotient: staff and the family read it (the one in force and the history);
staff set it (QuotientChanged), a family declares one (pending staff validation)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, uow
from family.api.edits import edit
from family.schemas import ChangeOut, DeclaredQuotientIn, QuotientIn, QuotientsOut
from family.usecases import quotients
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL

routes = web.RouteTableDef()


async def _quotients(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await quotients.quotients(request.app[POOL], scope.household_id)
    return json_response(QuotientsOut(), body)


@routes.get("/tenants/{tenant}/households/{household_id}/quotients")
@doc("Family quotient: current and history (staff)", response=QuotientsOut, tags=["quotient"])
async def staff_quotients(request: web.Request) -> web.Response:
    return await _quotients(request)


@routes.post("/tenants/{tenant}/households/{household_id}/quotients")
@doc(
    "Set the family quotient (staff; QuotientChanged)",
    request=QuotientIn,
    response=QuotientsOut,
    status=201,
    tags=["quotient"],
)
async def set_quotient(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    data = await read_json(request, QuotientIn())
    body = await quotients.set_quotient(
        uow(request, scope.actor), scope.actor, scope.household_id, data
    )
    return json_response(QuotientsOut(), body, status=201)


@routes.get("/tenants/{tenant}/me/household/quotients")
@doc("My family quotient: current and history", response=QuotientsOut, tags=["quotient"])
async def my_quotients(request: web.Request) -> web.Response:
    return await _quotients(request)


@routes.post("/tenants/{tenant}/me/household/quotients")
@doc(
    "Declare a new family quotient (family; pending staff validation)",
    request=DeclaredQuotientIn,
    response=ChangeOut,
    status=202,
    tags=["quotient"],
)
async def declare_quotient(request: web.Request) -> web.Response:
    return await edit(request, "quotient", "create", schema=DeclaredQuotientIn())
