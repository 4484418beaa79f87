"""What staff and the kitchen read across activities."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import STAFF, calling
from booking.schemas import MealsOut, OccupancyOut, StaffViewQuery
from booking.usecases import staff_views
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/occupancy")
@doc(
    "Occupancy per day and site: capacity, booked and waiting across the site's activities"
    " (staff; an animator sees only their sites)",
    query=StaffViewQuery,
    response=OccupancyOut,
    tags=["staff views"],
)
async def site_occupancy(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=(*STAFF, "animator"))
    query = read_query(request, StaffViewQuery())
    days = await staff_views.site_occupancy(
        request.app[POOL],
        caller.tenant,
        query["date_from"],
        query["date_to"],
        query.get("site"),
        caller.may_see_site,
    )
    return json_response(OccupancyOut(), {"days": days})


@routes.get("/tenants/{tenant}/meals")
@doc(
    "The kitchen's meal counts per day and site by diet (CANTINE by default; ?type= to choose)"
    " (staff)",
    query=StaffViewQuery,
    response=MealsOut,
    tags=["staff views"],
)
async def meal_counts(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    query = read_query(request, StaffViewQuery())
    days = await staff_views.meal_counts(
        request.app[POOL],
        tenant,
        query["date_from"],
        query["date_to"],
        query.get("site"),
        query["types"].split(",") if "types" in query else ["CANTINE"],
    )
    return json_response(MealsOut(), {"days": days})
