"""The household file: staff open and search households, read a file; a family reads its
own; the household's address and phones change (staff: at once; family: pending)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, settings, staff, uow
from family.api.edits import edit
from family.schemas import (
    ChangeOut,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatchIn,
    NewHouseholdIn,
    SearchQuery,
)
from family.usecases import households
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/households")
@doc(
    "Create a household file with its guardians and children (staff)",
    request=NewHouseholdIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
)
async def create_household(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, NewHouseholdIn())
    body = await households.create_household(uow(request, actor), actor, data)
    return json_response(HouseholdOut(), body, status=201)


@routes.get("/tenants/{tenant}/households")
@doc(
    "Search households by guardian or child name, email or subscriber code (staff)",
    query=SearchQuery,
    response=HouseholdPageOut,
    tags=["households"],
)
async def search_households(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, SearchQuery())
    per_page = min(query["per_page"], settings(request).search_max_page_size)
    page = await households.search_households(
        request.app[POOL], actor.tenant, query["q"], page=query["page"], per_page=per_page
    )
    return json_response(HouseholdPageOut(), page)


@routes.get("/tenants/{tenant}/households/{household_id}")
@doc("A household file (staff)", response=HouseholdOut, tags=["households"])
async def get_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await households.household_file(request.app[POOL], scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


@routes.get("/tenants/{tenant}/me/household")
@doc(
    "My household file (family)",
    response=HouseholdOut,
    tags=["my household"],
    responses={404: "No household linked to the account"},
)
async def my_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await households.household_file(request.app[POOL], scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


@routes.patch("/tenants/{tenant}/households/{household_id}")
@doc(
    "Change the address or phones (staff; applied at once)",
    request=HouseholdPatchIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_update_household(request: web.Request) -> web.Response:
    return await edit(request, "household", "update")


@routes.patch("/tenants/{tenant}/me/household")
@doc(
    "Change the address or phones (family; stored as pending, staff decide)",
    request=HouseholdPatchIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_update_household(request: web.Request) -> web.Response:
    return await edit(request, "household", "update")
