"""How each activity is billed, and its price grids (staff)."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import actor, pool, staff
from billing.schemas import (
    ActivitiesQuery,
    ActivityBillingIn,
    ActivityBillingListOut,
    ActivityBillingOut,
    PriceGridIn,
    PriceGridListOut,
    PriceGridOut,
)
from billing.usecases import activities
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["prices"]


@routes.get("/tenants/{tenant}/billing/activities")
@doc(
    "How the tenant's activities are billed (staff)",
    query=ActivitiesQuery,
    response=ActivityBillingListOut,
    tags=TAGS,
)
async def list_activities(request: web.Request) -> web.Response:
    caller = staff(request)
    query = read_query(request, ActivitiesQuery())
    rows = await activities.activities(pool(request), caller.tenant, query.get("regie_id"))
    return json_response(ActivityBillingListOut(), {"activities": rows})


@routes.put("/tenants/{tenant}/billing/activities/{activity_id}")
@doc(
    "Set how an activity (booking's id) is billed: régie, prepaid or postpaid, unit, "
    "attendance rules (staff)",
    request=ActivityBillingIn,
    response=ActivityBillingOut,
    tags=TAGS,
    responses={404: "No such régie"},
)
async def configure_activity(request: web.Request) -> web.Response:
    caller = staff(request)
    activity_id = path_uuid(request, "activity_id")
    data = await read_json(request, ActivityBillingIn())
    row = await activities.configure_activity(
        unit_of_work(request.app, caller.tenant), caller.tenant, activity_id, data, actor(caller)
    )
    return json_response(ActivityBillingOut(), row)


@routes.get("/tenants/{tenant}/billing/activities/{activity_id}")
@doc(
    "How an activity is billed (staff)",
    response=ActivityBillingOut,
    tags=TAGS,
    responses={404: "Not configured"},
)
async def get_activity(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await activities.activity(pool(request), caller.tenant, path_uuid(request, "activity_id"))
    return json_response(ActivityBillingOut(), row)


@routes.get("/tenants/{tenant}/billing/activities/{activity_id}/price-grids")
@doc(
    "An activity's price grids, by period (staff)",
    response=PriceGridListOut,
    tags=TAGS,
    responses={404: "Not configured"},
)
async def list_grids(request: web.Request) -> web.Response:
    caller = staff(request)
    rows = await activities.grids(pool(request), caller.tenant, path_uuid(request, "activity_id"))
    return json_response(PriceGridListOut(), {"grids": rows})


@routes.post("/tenants/{tenant}/billing/activities/{activity_id}/price-grids")
@doc(
    "Add a price grid for a period: QF brackets (amounts by child rank) or an effort rate, "
    "late surcharge, non-resident rate (staff)",
    request=PriceGridIn,
    response=PriceGridOut,
    status=201,
    tags=TAGS,
    responses={404: "Not configured", 409: "Overlaps another grid"},
)
async def create_grid(request: web.Request) -> web.Response:
    caller = staff(request)
    activity_id = path_uuid(request, "activity_id")
    data = await read_json(request, PriceGridIn())
    row = await activities.create_grid(
        unit_of_work(request.app, caller.tenant), caller.tenant, activity_id, data
    )
    return json_response(PriceGridOut(), row, status=201)


@routes.get("/tenants/{tenant}/price-grids/{grid_id}")
@doc("A price grid (staff)", response=PriceGridOut, tags=TAGS, responses={404: "No such grid"})
async def get_grid(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await activities.grid(pool(request), caller.tenant, path_uuid(request, "grid_id"))
    return json_response(PriceGridOut(), row)


@routes.put("/tenants/{tenant}/price-grids/{grid_id}")
@doc(
    "Replace a price grid (staff); what was charged keeps its price",
    request=PriceGridIn,
    response=PriceGridOut,
    tags=TAGS,
    responses={404: "No such grid", 409: "Overlaps another grid"},
)
async def replace_grid(request: web.Request) -> web.Response:
    caller = staff(request)
    grid_id = path_uuid(request, "grid_id")
    data = await read_json(request, PriceGridIn())
    row = await activities.replace_grid(
        unit_of_work(request.app, caller.tenant), caller.tenant, grid_id, data
    )
    return json_response(PriceGridOut(), row)


@routes.delete("/tenants/{tenant}/price-grids/{grid_id}")
@doc("Delete a price grid (staff)", status=204, tags=TAGS, responses={404: "No such grid"})
async def delete_grid(request: web.Request) -> web.Response:
    caller = staff(request)
    await activities.delete_grid(
        unit_of_work(request.app, caller.tenant), caller.tenant, path_uuid(request, "grid_id")
    )
    return web.Response(status=204)
