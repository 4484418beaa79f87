"""The catalogue (staff manage it; everyone reads it) and the occupancy of its days."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, path_day, uow
from booking.domain.errors import ActivityNotFound
from booking.schemas import (
    ActivitiesQuery,
    ActivityIn,
    ActivityListOut,
    ActivityOut,
    ActivityPatchIn,
    DayCapacityIn,
    DayClosedOut,
    DayCloseIn,
    DaysOut,
    DaysQuery,
    WaitingListOut,
    WaitingListQuery,
)
from booking.settings import SETTINGS
from booking.usecases import activities, activity_edits, capacity, day_closing
from shared.auth import require_caller
from shared.http.idempotency import idempotent
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
@idempotent
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
        request.app[POOL],
        tenant,
        actor,
        type=query.get("type"),
        child_id=query.get("child_id"),
        archived=query["archived"],
    )
    return json_response(ActivityListOut(), {"items": items})


@routes.get("/tenants/{tenant}/activities/{activity_id}")
@doc("An activity", response=ActivityOut, tags=["activities"])
async def get_activity(request: web.Request) -> web.Response:
    # An animator too: the pages of their sites' lists name the activity.
    tenant, _ = calling(request, (*ANYONE, "animator"))
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
        uow(request, tenant), tenant, activity_id, day, data["capacity"], now=now(request)
    )
    return json_response(DaysOut(), body)


@routes.post("/tenants/{tenant}/activities/{activity_id}/days/{day}/close")
@doc(
    "Close one day of an activity, today or later (staff): the day leaves the calendar, its"
    " bookings are cancelled without charge (one ReservationCancelled each, `cancelled_by`"
    " day_closed: the family is emailed the reason) and its waiting list is emptied (one"
    " WaitingListCancelled each: the family is told its waiting request is void); closing"
    " a day already closed changes nothing",
    request=DayCloseIn,
    response=DayClosedOut,
    tags=["activities"],
    responses={404: "Unknown activity, or no activity that day", 422: "A past day"},
)
async def close_day(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    day = path_day(request)
    data = await read_json(request, DayCloseIn())
    body = await day_closing.close_day(
        uow(request, tenant),
        tenant,
        activity_id,
        day,
        actor,
        reason=data["reason"],
        now=now(request),
    )
    return json_response(DayClosedOut(), body)


@routes.patch("/tenants/{tenant}/activities/{activity_id}")
@doc(
    "Change an activity (staff): the fields given; new opening rules and capacity apply to"
    " the days after today, the bookings made are kept (a capacity under a day's bookings,"
    " or a dropped day with children, is refused naming the days)",
    request=ActivityPatchIn,
    response=ActivityOut,
    tags=["activities"],
)
async def edit_activity(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    data = await read_json(request, ActivityPatchIn())
    settings = request.app[SETTINGS]
    body = await activity_edits.edit_activity(
        uow(request, tenant),
        tenant,
        activity_id,
        data,
        now=now(request),
        max_days=settings.max_activity_days,
        default_zone=settings.default_school_zone,
    )
    return json_response(ActivityOut(), body)


@routes.post("/tenants/{tenant}/activities/{activity_id}/close")
@doc(
    "Close an activity (staff): no new baskets, bookings or enrollments; the bookings made"
    " are kept; closing it again changes nothing",
    response=ActivityOut,
    tags=["activities"],
)
async def close_activity(request: web.Request) -> web.Response:
    return await _set_closed(request, closed=True)


@routes.post("/tenants/{tenant}/activities/{activity_id}/reopen")
@doc("Reopen a closed activity (staff)", response=ActivityOut, tags=["activities"])
async def reopen_activity(request: web.Request) -> web.Response:
    return await _set_closed(request, closed=False)


async def _set_closed(request: web.Request, *, closed: bool) -> web.Response:
    tenant, _ = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    body = await activity_edits.set_closed(
        uow(request, tenant), tenant, activity_id, closed=closed, now=now(request)
    )
    return json_response(ActivityOut(), body)


@routes.post("/tenants/{tenant}/activities/{activity_id}/archive")
@doc(
    "Archive an activity (staff): out of the catalogue and of the default list, closed (no"
    " new baskets, bookings or enrollments); its bookings and history are kept",
    response=ActivityOut,
    tags=["activities"],
)
async def archive_activity(request: web.Request) -> web.Response:
    return await _set_archived(request, archived=True)


@routes.post("/tenants/{tenant}/activities/{activity_id}/unarchive")
@doc(
    "Bring an archived activity back into the list (staff); it stays closed until reopened",
    response=ActivityOut,
    tags=["activities"],
)
async def unarchive_activity(request: web.Request) -> web.Response:
    return await _set_archived(request, archived=False)


async def _set_archived(request: web.Request, *, archived: bool) -> web.Response:
    tenant, _ = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    body = await activity_edits.set_archived(
        uow(request, tenant), tenant, activity_id, archived=archived, now=now(request)
    )
    return json_response(ActivityOut(), body)


@routes.get("/tenants/{tenant}/activities/{activity_id}/waiting-list")
@doc(
    "The waiting list of each opening day in its order, with when each child joined it"
    " (staff; an animator for the activities of their sites)",
    query=WaitingListQuery,
    response=WaitingListOut,
    tags=["activities"],
)
async def waiting_list(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=(*STAFF, "animator"))
    query = read_query(request, WaitingListQuery())
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    body = await activities.waiting_list(
        request.app[POOL],
        caller.tenant,
        activity_id,
        caller.may_see_site,
        query.get("date_from"),
        query.get("date_to"),
    )
    return json_response(WaitingListOut(), body)
