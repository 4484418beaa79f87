"""The catalogue (staff manage it; everyone reads it) and the occupancy of its days."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, path_day, uow
from booking.domain.errors import ActivityNotFound
from booking.schemas import (
    ActivitiesQuery,
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    DayCapacityIn,
    DaysOut,
    DaysQuery,
)
from booking.settings import SETTINGS
from booking.usecases import activities, capacity
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/activities")
@doc(
    "Create an activity with its opening days, capacity, eligibility and deadlines (staff)",
    request=ActivityIn,
    response=ActivityOut,
    status=201,
    tags=["activities"],
)
async def create_activity(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, ActivityIn())
    settings = request.app[SETTINGS]
    body = await activities.create_activity(
        uow(request, tenant),
        tenant,
        data,
        actor=actor.account_id,
        max_days=settings.max_activity_days,
        default_zone=settings.default_school_zone,
    )
    return json_response(ActivityOut(), body, status=201)


@routes.get("/tenants/{tenant}/activities")
@doc(
    "The catalogue; with ?child_id= each activity says whether that child may enroll",
    query=ActivitiesQuery,
    response=ActivityListOut,
    tags=["activities"],
)
async def list_activities(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    query = read_query(request, ActivitiesQuery())
    items = await activities.list_activities(
        request.app[POOL], tenant, actor, type=query.get("type"), child_id=query.get("child_id")
    )
    return json_response(ActivityListOut(), {"items": items})


@routes.get("/tenants/{tenant}/activities/{activity_id}")
@doc("An activity", response=ActivityOut, tags=["activities"])
async def get_activity(request: web.Request) -> web.Response:
    tenant, _ = calling(request, ANYONE)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    body = await activities.get_activity(request.app[POOL], tenant, activity_id)
    return json_response(ActivityOut(), body)


@routes.get("/tenants/{tenant}/activities/{activity_id}/days")
@doc(
    "Occupancy of each opening day: capacity, booked, waiting (staff)",
    query=DaysQuery,
    response=DaysOut,
    tags=["activities"],
)
async def activity_days(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    query = read_query(request, DaysQuery())
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    body = await activities.activity_days(
        request.app[POOL], tenant, activity_id, query.get("date_from"), query.get("date_to")
    )
    return json_response(DaysOut(), body)


@routes.put("/tenants/{tenant}/activities/{activity_id}/days/{day}")
@doc(
    "Change the capacity of one opening day (staff); never below the children booked",
    request=DayCapacityIn,
    response=DaysOut,
    tags=["activities"],
)
async def set_day_capacity(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    day = path_day(request)
    data = await read_json(request, DayCapacityIn())
    body = await capacity.set_day_capacity(
        uow(request, tenant), tenant, activity_id, day, data["capacity"]
    )
    return json_response(DaysOut(), body)
