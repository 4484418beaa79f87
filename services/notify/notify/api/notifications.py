"""My in-app notifications."""

from __future__ import annotations

from aiohttp import web

from notify import schemas
from notify.api.callers import account_of, household_of
from notify.domain.errors import NotificationNotFound
from notify.usecases import notifications
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_query
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/me/notifications")
@doc(
    "My notifications, newest first, with the unread count",
    query=schemas.NotificationQuery,
    response=schemas.NotificationPage,
    tags=["notifications"],
)
async def my_notifications(request: web.Request) -> web.Response:
    caller = require_caller(request)
    query = read_query(request, schemas.NotificationQuery())
    found = await notifications.notification_page(
        request.app[POOL],
        caller.tenant,
        account_of(caller),
        household_of(caller),
        unread_only=query["unread"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(schemas.NotificationPage(), found)


@routes.post("/tenants/{tenant}/me/notifications/{notification_id}/read")
@doc(
    "Mark one of my notifications as read",
    response=schemas.NotificationOut,
    tags=["notifications"],
    responses={404: "Not one of my notifications"},
)
async def read_notification(request: web.Request) -> web.Response:
    caller = require_caller(request)
    notification_id = path_uuid(request, "notification_id", NotificationNotFound)
    row = await notifications.mark_read(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        account_of(caller),
        household_of(caller),
        notification_id,
    )
    return json_response(schemas.NotificationOut(), row)


@routes.post("/tenants/{tenant}/me/notifications/read")
@doc("Mark all my notifications as read", response=schemas.ReadAllOut, tags=["notifications"])
async def read_all_notifications(request: web.Request) -> web.Response:
    caller = require_caller(request)
    marked = await notifications.mark_all_read(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        account_of(caller),
        household_of(caller),
    )
    return json_response(schemas.ReadAllOut(), {"marked": marked, "unread_count": 0})
