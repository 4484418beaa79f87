"""Régies (staff): name, address, email, legal mentions printed on documents."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import pool, staff
from billing.schemas import RegieIn, RegieListOut, RegieOut
from billing.settings import SETTINGS
from billing.usecases import regies
from shared import files
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json
from shared.http.uploads import download, read_body
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
@idempotent
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


@routes.put("/tenants/{tenant}/regies/{regie_id}/logo")
@doc(
    "Set the régie's logo, printed on its documents from now on: the image as the request "
    "body (staff)",
    response=RegieOut,
    tags=TAGS,
    raw_types=["image/png", "image/jpeg"],
    responses={
        404: "No such régie",
        413: "Image too large",
        415: "Not a PNG or JPEG image",
        422: "Empty",
    },
)
async def put_logo(request: web.Request) -> web.Response:
    caller = staff(request)
    regie_id = path_uuid(request, "regie_id")
    image = await read_body(
        request,
        max_bytes=request.app[SETTINGS].max_logo_bytes,
        accepted=files.IMAGES,
        fallback_name="logo",
    )
    row = await regies.set_logo(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        regie_id,
        image.content,
        image.content_type,
    )
    return json_response(RegieOut(), row)


@routes.get("/tenants/{tenant}/regies/{regie_id}/logo")
@doc(
    "The régie's logo (staff)",
    tags=TAGS,
    files=files.IMAGES,
    responses={404: "No such régie, or no logo"},
)
async def get_logo(request: web.Request) -> web.Response:
    caller = staff(request)
    content, content_type = await regies.logo(
        pool(request), caller.tenant, path_uuid(request, "regie_id")
    )
    return download("logo", content_type, content, disposition="inline", fallback_name="logo")


@routes.delete("/tenants/{tenant}/regies/{regie_id}/logo")
@doc("Remove the régie's logo (staff)", status=204, tags=TAGS, responses={404: "No such régie"})
async def delete_logo(request: web.Request) -> web.Response:
    caller = staff(request)
    await regies.set_logo(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        path_uuid(request, "regie_id"),
        None,
        None,
    )
    return web.Response(status=204)
