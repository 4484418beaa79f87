"""The tenant's booking settings (staff)."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import STAFF, calling, now, uow
from booking.schemas import TenantSettingsIn, TenantSettingsOut
from booking.settings import SETTINGS
from booking.usecases import tenant_settings
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/settings")
@doc(
    "The tenant's booking settings: its school holidays zone",
    response=TenantSettingsOut,
    tags=["settings"],
)
async def get_settings(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    body = await tenant_settings.tenant_settings(
        request.app[POOL], tenant, request.app[SETTINGS].default_school_zone
    )
    return json_response(TenantSettingsOut(), body)


@routes.put("/tenants/{tenant}/settings")
@doc(
    "Set the tenant's school holidays zone (A, B or C) (staff); activities created from then"
    " on follow it",
    request=TenantSettingsIn,
    response=TenantSettingsOut,
    tags=["settings"],
)
async def put_settings(request: web.Request) -> web.Response:
    tenant, actor = calling(request, STAFF)
    data = await read_json(request, TenantSettingsIn())
    body = await tenant_settings.set_school_zone(
        uow(request, tenant), tenant, data["school_zone"], actor.account_id, now(request)
    )
    return json_response(TenantSettingsOut(), body)
