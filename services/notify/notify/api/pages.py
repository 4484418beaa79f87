"""Information pages [000]: staff maintain them; every account of the tenant reads them."""

from __future__ import annotations

from aiohttp import web
from marshmallow import ValidationError

from notify import schemas
from notify.settings import SETTINGS
from notify.usecases import pages
from shared.auth import require_caller
from shared.errors import validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()

STAFF = ("staff", "admin")


def _slug(request: web.Request) -> str:
    try:
        return schemas.PageSlug(unknown="exclude").load(dict(request.match_info))["slug"]
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


@routes.get("/tenants/{tenant}/pages")
@doc(
    "The practical-information pages, in their order",
    response=schemas.InfoPageList,
    tags=["pages"],
)
async def list_pages(request: web.Request) -> web.Response:
    caller = require_caller(request)
    items = await pages.pages(request.app[POOL], caller.tenant)
    return json_response(schemas.InfoPageList(), {"items": items})


@routes.get("/tenants/{tenant}/pages/{slug}")
@doc(
    "One information page, with the town documents shown on it (in force today)",
    response=schemas.InfoPageOut,
    tags=["pages"],
    responses={404: "No such page"},
)
async def get_page(request: web.Request) -> web.Response:
    caller = require_caller(request)
    page = await pages.page(
        request.app[POOL],
        caller.tenant,
        request.match_info["slug"],
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.InfoPageOut(), page)


@routes.put("/tenants/{tenant}/pages/{slug}")
@doc(
    "Create or replace an information page (plain text body)",
    request=schemas.InfoPageIn,
    response=schemas.InfoPageOut,
    tags=["pages"],
    responses={201: "Created: a new page", 403: "Not staff of this tenant"},
    description="Answers 201 when the page is new, 200 when it replaced one.",
)
async def put_page(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    slug = _slug(request)
    data = await read_json(request, schemas.InfoPageIn())
    page, created = await pages.put_page(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, slug, data
    )
    return json_response(schemas.InfoPageOut(), page, status=201 if created else 200)


@routes.delete("/tenants/{tenant}/pages/{slug}")
@doc(
    "Delete an information page",
    status=204,
    tags=["pages"],
    responses={403: "Not staff of this tenant", 404: "No such page"},
)
async def delete_page(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    await pages.delete_page(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, request.match_info["slug"]
    )
    return web.Response(status=204)
