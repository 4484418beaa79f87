"""A child's calendar and its private iCalendar feed."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, calling, now, uow
from booking.domain.errors import ChildNotFound
from booking.schemas import CalendarOut, CalendarQuery, CalendarTokenOut
from booking.usecases import calendar
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/children/{child_id}/calendar")
@doc(
    "A child's month: each day of each activity in one state of the calendar legend",
    query=CalendarQuery,
    response=CalendarOut,
    tags=["calendar"],
)
async def child_calendar(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    child_id = path_uuid(request, "child_id", ChildNotFound)
    schema = CalendarQuery()
    query = read_query(request, schema)
    body = await calendar.child_calendar(
        request.app[POOL],
        tenant,
        actor,
        child_id,
        schema.month_start(query),
        activity_id=query.get("activity_id"),
        now=now(request),
    )
    return json_response(CalendarOut(), body)


@routes.post("/tenants/{tenant}/children/{child_id}/calendar-token")
@doc(
    "Create the child's private iCalendar feed (a new token revokes the previous one)",
    response=CalendarTokenOut,
    status=201,
    tags=["calendar"],
)
async def create_calendar_token(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    child_id = path_uuid(request, "child_id", ChildNotFound)
    body = await calendar.create_calendar_token(
        uow(request, tenant), tenant, actor, child_id, now(request)
    )
    return json_response(CalendarTokenOut(), body, status=201)


@routes.delete("/tenants/{tenant}/children/{child_id}/calendar-token")
@doc("Revoke the child's iCalendar feed", status=204, tags=["calendar"])
async def revoke_calendar_token(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    child_id = path_uuid(request, "child_id", ChildNotFound)
    await calendar.revoke_calendar_token(
        uow(request, tenant), tenant, actor, child_id, now(request)
    )
    return web.Response(status=204)


@routes.get("/calendars/{token}.ics")
@doc(
    "A child's booked days as an iCalendar feed (no Authorization: the token is the secret)",
    auth=False,
    tags=["calendar"],
    responses={404: "Unknown or revoked token"},
    files=["text/calendar"],
)
async def calendar_feed(request: web.Request) -> web.Response:
    body = await calendar.calendar_feed(
        request.app[POOL], request.match_info["token"], now(request)
    )
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "private, max-age=300", "Referrer-Policy": "no-referrer"},
    )
