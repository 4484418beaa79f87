"""Régies (staff): name, address, email, legal mentions printed on documents."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import pool, staff
from billing.schemas import RegieIn, RegieListOut, RegieOut
from billing.usecases import regies
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["régies"]


@routes.get("/tenants/{tenant}/regies")
@doc("List the tenant's régies (staff)", response=RegieListOut, tags=TAGS)
async def list_regies(request: web.Request) -> web.Response:
    caller = staff(request)
    rows = await regies.regies(pool(request), caller.tenant)
    return json_response(RegieListOut(), {"regies": rows})


@routes.post("/tenants/{tenant}/regies")
@doc(
    "Create a régie (staff)",
    request=RegieIn,
    response=RegieOut,
    status=201,
    tags=TAGS,
    responses={409: "Code already used"},
)
async def create_regie(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, RegieIn())
    row = await regies.create_regie(unit_of_work(request.app, caller.tenant), caller.tenant, data)
    return json_response(RegieOut(), row, status=201)


@routes.get("/tenants/{tenant}/regies/{regie_id}")
@doc("A régie (staff)", response=RegieOut, tags=TAGS, responses={404: "No such régie"})
async def get_regie(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await regies.regie(pool(request), caller.tenant, path_uuid(request, "regie_id"))
    return json_response(RegieOut(), row)


@routes.put("/tenants/{tenant}/regies/{regie_id}")
@doc(
    "Change a régie (staff); issued documents keep their copy",
    request=RegieIn,
    response=RegieOut,
    tags=TAGS,
    responses={404: "No such régie", 409: "Code already used"},
)
async def update_regie(request: web.Request) -> web.Response:
    caller = staff(request)
    regie_id = path_uuid(request, "regie_id")
    data = await read_json(request, RegieIn())
    row = await regies.update_regie(
        unit_of_work(request.app, caller.tenant), caller.tenant, regie_id, data
    )
    return json_response(RegieOut(), row)
