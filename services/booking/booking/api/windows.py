"""Opening windows (issue 18): staff give an activity's days a window of requests; families
submit theirs while it is open; at its close one allocation decides them all (priority
levels, then a lottery whose seed is committed by its hash and revealed after)."""

from __future__ import annotations

import uuid

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, online_booking_allowed, uow
from booking.domain.errors import WindowNotFound, WindowRequestNotFound
from booking.schemas import (
    DrawOut,
    VerifiedCriteriaIn,
    WindowIn,
    WindowListOut,
    WindowOut,
    WindowPatchIn,
    WindowRequestIn,
    WindowRequestListOut,
    WindowRequestOut,
    WindowRequestsQuery,
)
from booking.usecases import windows
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()

WINDOWS = "/tenants/{tenant}/windows"
WINDOW = WINDOWS + "/{window_id}"


def _window_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "window_id", WindowNotFound)


@routes.post(WINDOWS)
@doc(
    "Give an activity's days an opening window: requests all decided at its close by"
    " priority rules and a lottery (staff); only the hash of the lottery's seed is shown",
    request=WindowIn,
    response=WindowOut,
    status=201,
    tags=["windows"],
    responses={422: "Dates outside the activity, overlapping another window, rules"},
)
async def create_window(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, WindowIn())
    row = await windows.create_window(uow(request, tenant), tenant, actor, data, now=now(request))
    return json_response(WindowOut(), row, status=201)


@routes.get(WINDOWS)
@doc(
    "Opening windows, newest first (families: those opened, without the request count)",
    response=WindowListOut,
    tags=["windows"],
)
async def list_windows(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    rows = await windows.list_windows(request.app[POOL], tenant, actor, now=now(request))
    return json_response(WindowListOut(), {"items": rows})


@routes.get(WINDOW)
@doc("An opening window", response=WindowOut, tags=["windows"])
async def get_window(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    row = await windows.get_window(
        request.app[POOL], tenant, actor, _window_id(request), now=now(request)
    )
    return json_response(WindowOut(), row)


@routes.patch(WINDOW)
@doc(
    "Change a window until it opens (then its rules are published) (staff)",
    request=WindowPatchIn,
    response=WindowOut,
    tags=["windows"],
    responses={409: "The window is open already"},
)
async def update_window(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, WindowPatchIn())
    row = await windows.update_window(
        uow(request, tenant), tenant, actor, _window_id(request), data, now=now(request)
    )
    return json_response(WindowOut(), row)


@routes.put(WINDOW + "/requests/mine")
@doc(
    "The family's request for the window, replacing the one it had (while it is open):"
    " children and days, siblings together, the priority criteria declared",
    request=WindowRequestIn,
    response=WindowRequestOut,
    tags=["windows"],
    responses={
        403: "The town does not let families book online (feature-off)",
        409: "The window is not open",
        422: "A child, a day or a criterion",
    },
)
async def submit_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ("family",))
    await online_booking_allowed(request, tenant, actor)
    data = await read_json(request, WindowRequestIn())
    row = await windows.submit_request(
        uow(request, tenant), tenant, actor, _window_id(request), data, now=now(request)
    )
    return json_response(WindowRequestOut(), row)


@routes.get(WINDOW + "/requests/mine")
@doc(
    "The family's request; after the allocation its level, rank and each day's outcome",
    response=WindowRequestOut,
    tags=["windows"],
    responses={404: "No request"},
)
async def my_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ("family",))
    row = await windows.my_request(
        request.app[POOL], tenant, actor, _window_id(request), now=now(request)
    )
    return json_response(WindowRequestOut(), row)


@routes.delete(WINDOW + "/requests/mine")
@doc(
    "Withdraw the family's request (while the window is open)",
    status=204,
    tags=["windows"],
    responses={404: "No request", 409: "The window is not open"},
)
async def withdraw_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ("family",))
    await windows.withdraw_request(
        uow(request, tenant), tenant, actor, _window_id(request), now=now(request)
    )
    return web.Response(status=204)


HOUSEHOLD_REQUEST = WINDOW + "/requests/households/{household_id}"


def _household_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "household_id", WindowRequestNotFound)


@routes.put(HOUSEHOLD_REQUEST)
@doc(
    "A household's request submitted by staff at the desk (same rules as the family's)",
    request=WindowRequestIn,
    response=WindowRequestOut,
    tags=["windows"],
    responses={409: "The window is not open", 422: "A child, a day or a criterion"},
)
async def submit_household_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, WindowRequestIn())
    row = await windows.submit_request(
        uow(request, tenant),
        tenant,
        actor,
        _window_id(request),
        data,
        now=now(request),
        household_id=_household_id(request),
    )
    return json_response(WindowRequestOut(), row)


@routes.get(HOUSEHOLD_REQUEST)
@doc(
    "A household's request and, after the allocation, its outcome (staff)",
    response=WindowRequestOut,
    tags=["windows"],
    responses={404: "No request"},
)
async def household_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    row = await windows.my_request(
        request.app[POOL],
        tenant,
        actor,
        _window_id(request),
        now=now(request),
        household_id=_household_id(request),
    )
    return json_response(WindowRequestOut(), row)


@routes.delete(HOUSEHOLD_REQUEST)
@doc(
    "Withdraw a household's request (staff, while the window is open)",
    status=204,
    tags=["windows"],
    responses={404: "No request", 409: "The window is not open"},
)
async def withdraw_household_request(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    await windows.withdraw_request(
        uow(request, tenant),
        tenant,
        actor,
        _window_id(request),
        now=now(request),
        household_id=_household_id(request),
    )
    return web.Response(status=204)


@routes.get(WINDOW + "/requests")
@doc(
    "The window's requests, by rank once allocated (staff)",
    query=WindowRequestsQuery,
    response=WindowRequestListOut,
    tags=["windows"],
)
async def list_requests(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    query = read_query(request, WindowRequestsQuery())
    rows = await windows.list_requests(
        request.app[POOL], tenant, _window_id(request), limit=query["limit"], offset=query["offset"]
    )
    return json_response(WindowRequestListOut(), {"items": rows})


@routes.patch(WINDOW + "/requests/{request_id}")
@doc(
    "The criteria staff checked for a request (then used instead of the declared ones),"
    " until the allocation (staff)",
    request=VerifiedCriteriaIn,
    response=WindowRequestOut,
    tags=["windows"],
    responses={409: "Allocated already"},
)
async def verify_criteria(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, VerifiedCriteriaIn())
    row = await windows.verify_criteria(
        uow(request, tenant),
        tenant,
        actor,
        _window_id(request),
        path_uuid(request, "request_id", WindowRequestNotFound),
        data["verified_criteria"],
        now=now(request),
    )
    return json_response(WindowRequestOut(), row)


@routes.post(WINDOW + "/allocation")
@doc(
    "Allocate the window's places, once it closed (staff; the sweeper does it too): a"
    " second call answers the same allocation",
    response=DrawOut,
    tags=["windows"],
    responses={409: "The window is not closed yet"},
)
async def allocate(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    row = await windows.allocate_window(
        uow(request, tenant), tenant, _window_id(request), now=now(request)
    )
    return json_response(DrawOut(), row)


@routes.get(WINDOW + "/draw")
@doc(
    "The draw's published inputs and result, to recompute it: the seed (matching the hash"
    " published at the opening), the rules, each day's free places, each entry's level,"
    " lottery key, rank and days asked, given and waiting; no names",
    response=DrawOut,
    tags=["windows"],
    responses={409: "Not allocated yet"},
)
async def get_draw(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    row = await windows.get_draw(
        request.app[POOL], tenant, actor, _window_id(request), now=now(request)
    )
    return json_response(DrawOut(), row)


@routes.get(WINDOW + "/allocation.csv")
@doc(
    "The allocation as a spreadsheet: one row per child and day (staff)",
    tags=["windows"],
    responses={409: "Not allocated yet"},
    files=["text/csv"],
)
async def allocation_csv(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    window_id = _window_id(request)
    body = await windows.allocation_csv(request.app[POOL], tenant, window_id)
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="attribution-{window_id}.csv"'},
    )
