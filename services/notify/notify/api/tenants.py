"""The tenant's mail settings (admin), and the public part of them: its theme."""

from __future__ import annotations

import dataclasses

from aiohttp import web

from notify import schemas
from notify.settings import SETTINGS
from notify.usecases import tenants
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/settings")
@doc(
    "The tenant's mail settings (defaults when none)",
    response=schemas.TenantSettingsOut,
    tags=["tenants"],
)
async def get_tenant_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    settings = request.app[SETTINGS]
    view = await tenants.mail_settings(
        request.app[POOL],
        caller.tenant,
        default_sender=settings.default_sender_address,
        default_portal_url=settings.portal_url,
    )
    return json_response(schemas.TenantSettingsOut(), dataclasses.asdict(view))


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
    settings = request.app[SETTINGS]
    view = await tenants.set_mail_settings(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        data,
        default_sender=settings.default_sender_address,
        default_portal_url=settings.portal_url,
    )
    return json_response(schemas.TenantSettingsOut(), dataclasses.asdict(view))


@routes.get("/tenants/{tenant}/theme")
@doc(
    "The town's name, contact and colours, as its emails show them (public: the families'"
    " portal themes its pages with them, before any login)",
    response=schemas.TenantThemeOut,
    auth=False,
    tags=["tenants"],
)
async def get_tenant_theme(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    view = await tenants.mail_settings(
        request.app[POOL],
        request.match_info["tenant"],
        default_sender=settings.default_sender_address,
        default_portal_url=settings.portal_url,
    )
    return json_response(schemas.TenantThemeOut(), dataclasses.asdict(view))
