"""HTTP handlers of the notify service (thin: checks, store, schemas)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any, cast

from aiohttp import web

from notify import schemas, store
from notify.render import Tenant
from notify.settings import NotifySettings
from shared.auth import Caller, require_caller
from shared.errors import Forbidden, NotFound
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL, SETTINGS

routes = web.RouteTableDef()


class NotificationNotFound(NotFound):
    code = "notification-not-found"
    detail = "Cette notification est introuvable."


def _tenant_view(request: web.Request, tenant: str, row: dict[str, Any] | None) -> dict[str, Any]:
    settings = cast(NotifySettings, request.app[SETTINGS])
    view = Tenant.build(
        tenant,
        row,
        default_sender=settings.default_sender_address,
        default_portal_url=settings.portal_url,
    )
    return dataclasses.asdict(view)


def _account(caller: Caller) -> uuid.UUID:
    try:
        return uuid.UUID(caller.account_id)
    except ValueError:
        raise Forbidden() from None


def _next_offset(items: list[Any], page: dict[str, Any]) -> int | None:
    return page["offset"] + len(items) if len(items) == page["limit"] else None


@routes.get("/tenants/{tenant}/settings")
@doc(
    "The tenant's mail settings (defaults when none)",
    response=schemas.TenantSettingsOut,
    tags=["tenants"],
)
async def get_tenant_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    row = await store.tenant_row(request.app[POOL], caller.tenant)
    return json_response(schemas.TenantSettingsOut(), _tenant_view(request, caller.tenant, row))


@routes.put("/tenants/{tenant}/settings")
@doc(
    "Set the tenant's sender, reply-to, footer contact and colours",
    request=schemas.TenantSettingsIn,
    response=schemas.TenantSettingsOut,
    tags=["tenants"],
)
async def put_tenant_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    data = await read_json(request, schemas.TenantSettingsIn())
    row = await store.upsert_tenant(request.app[POOL], caller.tenant, data)
    return json_response(schemas.TenantSettingsOut(), _tenant_view(request, caller.tenant, row))


@routes.get("/tenants/{tenant}/emails")
@doc(
    "Emails sent (or not) to a family, with their status and the reason of a failure",
    query=schemas.EmailQuery,
    response=schemas.EmailPage,
    tags=["emails"],
)
async def list_emails(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    query = read_query(request, schemas.EmailQuery())
    items = await store.list_emails(
        request.app[POOL],
        caller.tenant,
        recipient=query["recipient"],
        account_id=query["account_id"],
        status=query["status"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(
        schemas.EmailPage(), {"items": items, "next_offset": _next_offset(items, query)}
    )


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
    items, unread = await store.list_notifications(
        request.app[POOL],
        caller.tenant,
        _account(caller),
        unread_only=query["unread"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(
        schemas.NotificationPage(),
        {"items": items, "unread_count": unread, "next_offset": _next_offset(items, query)},
    )


@routes.post("/tenants/{tenant}/me/notifications/{notification_id}/read")
@doc(
    "Mark one of my notifications as read",
    response=schemas.NotificationOut,
    tags=["notifications"],
    responses={404: "Not one of my notifications"},
)
async def read_notification(request: web.Request) -> web.Response:
    caller = require_caller(request)
    try:
        notification_id = uuid.UUID(request.match_info["notification_id"])
    except ValueError:
        raise NotificationNotFound() from None
    row = await store.mark_read(request.app[POOL], caller.tenant, _account(caller), notification_id)
    if row is None:
        raise NotificationNotFound()
    return json_response(schemas.NotificationOut(), row)


@routes.post("/tenants/{tenant}/me/notifications/read")
@doc("Mark all my notifications as read", response=schemas.ReadAllOut, tags=["notifications"])
async def read_all_notifications(request: web.Request) -> web.Response:
    caller = require_caller(request)
    marked = await store.mark_all_read(request.app[POOL], caller.tenant, _account(caller))
    return json_response(schemas.ReadAllOut(), {"marked": marked, "unread_count": 0})
