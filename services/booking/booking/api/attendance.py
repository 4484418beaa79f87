"""Attendance (pointage: staff, or a site's animators for its activities) and absence
justifications (families ask, staff decide)."""

from __future__ import annotations

import uuid

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, path_day, uow
from booking.domain.actors import Actor
from booking.domain.errors import AbsenceNotFound, ActivityNotFound, BookingNotFound
from booking.schemas import (
    AbsenceDecisionIn,
    AbsenceIn,
    AbsenceListOut,
    AbsenceOut,
    AbsencesQuery,
    ActivityListOut,
    AttendanceIn,
    RollChildOut,
    RollOut,
    UnexpectedIn,
)
from booking.usecases import attendance
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()

SHEET = (*STAFF, "animator")


def sheet_caller(request: web.Request) -> tuple[str, Actor, attendance.Sites]:
    """Staff (every site) or a site animator (their sites only): the tenant, who acts and the
    sites they may take attendance on (None: every one)."""
    caller = require_caller(request, roles=SHEET)
    actor = Actor(uuid.UUID(caller.account_id), caller.is_staff)
    return caller.tenant, actor, None if caller.is_staff else caller.sites


@routes.get("/tenants/{tenant}/attendance/activities")
@doc(
    "The activities whose attendance the caller takes: staff every one, an animator those of "
    "their sites",
    response=ActivityListOut,
    tags=["attendance"],
)
async def sheet_activities(request: web.Request) -> web.Response:
    tenant, _, sites = sheet_caller(request)
    items = await attendance.sheet_activities(request.app[POOL], tenant, sites)
    return json_response(ActivityListOut(), {"items": items})


@routes.get("/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance")
@doc(
    "The day's list (pointage): booked children with diet, mark and absence; meals by diet "
    "(staff, or an animator of the activity's site)",
    response=RollOut,
    tags=["attendance"],
    responses={403: "An animator of another site"},
)
async def day_roll(request: web.Request) -> web.Response:
    tenant, _, sites = sheet_caller(request)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    day = path_day(request)
    body = await attendance.day_roll(request.app[POOL], tenant, activity_id, day, sites=sites)
    return json_response(RollOut(), body)


@routes.post("/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance")
@doc(
    "Mark booked children present / absent / absent_justified, several at once (staff, or an "
    "animator of the activity's site)",
    request=AttendanceIn,
    response=RollOut,
    tags=["attendance"],
    responses={
        403: "An animator of another site",
        409: "The day has not started",
        422: "A child is not booked that day",
    },
)
async def mark_attendance(request: web.Request) -> web.Response:
    tenant, actor, sites = sheet_caller(request)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    day = path_day(request)
    data = await read_json(request, AttendanceIn())
    body = await attendance.mark_attendance(
        uow(request, tenant),
        tenant,
        activity_id,
        day,
        data["marks"],
        actor=actor.account_id,
        now=now(request),
        sites=sites,
    )
    return json_response(RollOut(), body)


@routes.post("/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance/unexpected")
@doc(
    "A child who came without a booking: booked that day (counted, never refused for "
    "capacity), flagged unexpected and marked present (staff, or an animator of the site); "
    "the same child again: the line as it is (200)",
    request=UnexpectedIn,
    response=RollChildOut,
    status=201,
    tags=["attendance"],
    responses={
        200: "Already added that day",
        403: "An animator of another site",
        404: "The activity does not take place that day",
        409: "The day has not started",
        422: "Unknown child, or a child already booked that day (a waiting one is taken)",
    },
)
async def add_unexpected(request: web.Request) -> web.Response:
    tenant, actor, sites = sheet_caller(request)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    day = path_day(request)
    data = await read_json(request, UnexpectedIn())
    line, added = await attendance.add_unexpected(
        uow(request, tenant),
        tenant,
        activity_id,
        day,
        data["child_id"],
        actor=actor.account_id,
        now=now(request),
        sites=sites,
    )
    return json_response(RollChildOut(), line, status=201 if added else 200)


@routes.post("/tenants/{tenant}/bookings/{booking_id}/absence")
@doc(
    "Justify an absence on a booked day: a reason, a note, a supporting document (family)",
    request=AbsenceIn,
    response=AbsenceOut,
    status=201,
    tags=["absences"],
    responses={409: "Already justified, or not a booked day"},
)
async def justify_absence(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    booking_id = path_uuid(request, "booking_id", BookingNotFound)
    data = await read_json(request, AbsenceIn())
    row = await attendance.justify_absence(
        uow(request, tenant),
        tenant,
        actor,
        booking_id,
        reason=data["reason"],
        note=data["note"],
        document_id=data["document_id"],
        now=now(request),
    )
    return json_response(AbsenceOut(), row, status=201)


@routes.get("/tenants/{tenant}/absences")
@doc(
    "Absence justifications: a family sees its household's, staff every one (?status=pending)",
    query=AbsencesQuery,
    response=AbsenceListOut,
    tags=["absences"],
)
async def list_absences(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    query = read_query(request, AbsencesQuery())
    rows = await attendance.list_absences(
        request.app[POOL],
        tenant,
        actor,
        status=query.get("status"),
        activity_id=query.get("activity_id"),
        household_id=query.get("household_id"),
    )
    return json_response(AbsenceListOut(), {"items": rows})


@routes.post("/tenants/{tenant}/absences/{absence_id}/decision")
@doc(
    "Accept (not charged: booking.AbsenceJustified) or refuse with a reason (staff)",
    request=AbsenceDecisionIn,
    response=AbsenceOut,
    tags=["absences"],
    responses={409: "Already decided"},
)
async def decide_absence(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    absence_id = path_uuid(request, "absence_id", AbsenceNotFound)
    data = await read_json(request, AbsenceDecisionIn())
    row = await attendance.decide_absence(
        uow(request, tenant),
        tenant,
        absence_id,
        accept=data["decision"] == "accepted",
        reason=data["reason"],
        actor=actor.account_id,
        now=now(request),
    )
    return json_response(AbsenceOut(), row)
