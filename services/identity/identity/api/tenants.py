"""A municipality: its public page, its settings (admin)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from identity.api.common import origin, tenant
from identity.domain.tenants import Tenant
from identity.schemas import PublicTenantOut, TenantSettingsIn, TenantSettingsOut
from identity.usecases import tenants
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


def _tenant_body(tenant: Tenant) -> dict[str, Any]:
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "contact_email": tenant.contact_email,
        "contact_phone": tenant.contact_phone,
        "password_min_length": tenant.password_min_length,
        # Public: families must be able to read what they are asked to accept.
        "terms": {
            "version": tenant.terms_version,
            "url": tenant.terms_url,
            "text": tenant.terms_text,
        },
        # Public: the portal hides what the town does not offer online.
        "features": tenant.features(),
    }


@routes.get("/tenants/{tenant}")
@doc(
    "Public information of a municipality (login page)",
    response=PublicTenantOut,
    auth=False,
    tags=["tenants"],
    responses={404: "Unknown municipality"},
)
async def public_tenant(request: web.Request) -> web.Response:
    found = await tenants.require_tenant(request.app[POOL], tenant(request))
    return json_response(PublicTenantOut(), _tenant_body(found))


@routes.get("/tenants/{tenant}/settings")
@doc("Settings of the municipality (admin)", response=TenantSettingsOut, tags=["tenants"])
async def get_settings(request: web.Request) -> web.Response:
    require_caller(request, roles=("admin",))
    found = await tenants.require_tenant(request.app[POOL], tenant(request))
    return json_response(TenantSettingsOut(), _tenant_body(found))


@routes.patch("/tenants/{tenant}/settings")
@doc(
    "Change the settings of the municipality (admin)",
    request=TenantSettingsIn,
    response=TenantSettingsOut,
    tags=["tenants"],
    responses={409: "Terms version going back"},
)
async def patch_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    changes = await read_json(request, TenantSettingsIn())
    slug = tenant(request)
    updated = await tenants.change_settings(
        unit_of_work(request.app, tenant=slug),
        slug,
        changes,
        actor=uuid.UUID(caller.account_id),
        origin=origin(request),
    )
    return json_response(TenantSettingsOut(), _tenant_body(updated))
