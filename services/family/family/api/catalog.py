"""The tenant's lists: document types and request topics (read by families and staff,
changed by staff)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import FAMILY, STAFF, actor_of, staff, uow
from family.schemas import CatalogEntryIn, CatalogLabelIn, CatalogOut
from family.usecases import catalog
from family.usecases.catalog import DOCUMENT_TYPES, REQUEST_TOPICS
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL

routes = web.RouteTableDef()


async def _entries(request: web.Request, table: str) -> web.Response:
    actor = actor_of(require_caller(request, roles=(*FAMILY, *STAFF)))
    items = await catalog.entries(request.app[POOL], actor.tenant, table)
    return json_response(CatalogOut(), {"items": items})


async def _add(request: web.Request, table: str) -> web.Response:
    actor = staff(request)
    data = await read_json(request, CatalogEntryIn())
    items = await catalog.add_entry(
        uow(request, actor), actor.tenant, table, data["label"], data.get("code")
    )
    return json_response(CatalogOut(), {"items": items}, status=201)


async def _rename(request: web.Request, table: str) -> web.Response:
    actor = staff(request)
    data = await read_json(request, CatalogLabelIn())
    items = await catalog.rename_entry(
        uow(request, actor), actor.tenant, table, request.match_info["code"], data["label"]
    )
    return json_response(CatalogOut(), {"items": items})


# --- document types --------------------------------------------------------------------------


@routes.get("/tenants/{tenant}/document-types")
@doc(
    "The tenant's document types (defaults on first use)",
    response=CatalogOut,
    tags=["lists"],
)
async def document_types(request: web.Request) -> web.Response:
    return await _entries(request, DOCUMENT_TYPES)


@routes.post("/tenants/{tenant}/document-types")
@doc(
    "Add one of the tenant's document types (staff)",
    request=CatalogEntryIn,
    response=CatalogOut,
    status=201,
    tags=["lists"],
    responses={409: "The code is already in the list"},
)
async def add_document_type(request: web.Request) -> web.Response:
    return await _add(request, DOCUMENT_TYPES)


@routes.put("/tenants/{tenant}/document-types/{code}")
@doc(
    "Rename one of the tenant's document types (staff): its label changes, its code stays",
    request=CatalogLabelIn,
    response=CatalogOut,
    tags=["lists"],
    responses={404: "No such code in the list"},
)
async def rename_document_type(request: web.Request) -> web.Response:
    return await _rename(request, DOCUMENT_TYPES)


# --- request topics --------------------------------------------------------------------------


@routes.get("/tenants/{tenant}/request-topics")
@doc(
    "The tenant's request topics (defaults on first use)",
    response=CatalogOut,
    tags=["lists"],
)
async def request_topics(request: web.Request) -> web.Response:
    return await _entries(request, REQUEST_TOPICS)


@routes.post("/tenants/{tenant}/request-topics")
@doc(
    "Add one of the tenant's request topics (staff)",
    request=CatalogEntryIn,
    response=CatalogOut,
    status=201,
    tags=["lists"],
    responses={409: "The code is already in the list"},
)
async def add_request_topic(request: web.Request) -> web.Response:
    return await _add(request, REQUEST_TOPICS)


@routes.put("/tenants/{tenant}/request-topics/{code}")
@doc(
    "Rename one of the tenant's request topics (staff): its label changes, its code stays",
    request=CatalogLabelIn,
    response=CatalogOut,
    tags=["lists"],
    responses={404: "No such code in the list"},
)
async def rename_request_topic(request: web.Request) -> web.Response:
    return await _rename(request, REQUEST_TOPICS)
