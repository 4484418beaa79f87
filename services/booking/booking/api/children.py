"""The children search of the attendance sheet (staff and site animators): enough to pick a
child who came without a booking, nothing of their household."""

from __future__ import annotations

from aiohttp import web

from booking.api.attendance import sheet_caller
from booking.schemas import ChildSearchOut, ChildSearchQuery
from booking.usecases import children
from shared.http.openapi import doc
from shared.http.requests import json_response, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/children")
@doc(
    "Children of the tenant by name (?q=, every word, accents ignored; at most 20): "
    "name, birth date, school and grade only (staff and site animators)",
    query=ChildSearchQuery,
    response=ChildSearchOut,
    tags=["attendance"],
)
async def search_children(request: web.Request) -> web.Response:
    tenant, _, _ = sheet_caller(request)
    query = read_query(request, ChildSearchQuery())
    items = await children.search_children(request.app[POOL], tenant, query["q"])
    return json_response(ChildSearchOut(), {"items": items})
