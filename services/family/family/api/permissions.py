"""The town's permissions per child (leaving alone, outings, transport, emergency care, image
rights…) and the proofs it requires with a family's changes: read by families and staff,
kept by staff. A child's answers change through the child (`permissions` of ChildIn)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import FAMILY, STAFF, actor_of, staff, uow
from family.schemas import (
    PermissionTypeIn,
    PermissionTypePatchIn,
    PermissionTypesOut,
    ProofSettingsIn,
    ProofSettingsOut,
)
from family.usecases import permissions
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/permission-types")
@doc(
    "The town's permissions per child, active or not, in their order (defaults on first use)",
    response=PermissionTypesOut,
    tags=["lists"],
)
async def permission_types(request: web.Request) -> web.Response:
    actor = actor_of(require_caller(request, roles=(*FAMILY, *STAFF)))
    items = await permissions.types(request.app[POOL], actor.tenant)
    return json_response(PermissionTypesOut(), {"items": items})


@routes.post("/tenants/{tenant}/permission-types")
@doc(
    "Add a permission the town asks for each child (staff)",
    request=PermissionTypeIn,
    response=PermissionTypesOut,
    status=201,
    tags=["lists"],
    responses={409: "The code is already in the list"},
)
async def add_permission_type(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, PermissionTypeIn())
    items = await permissions.add_type(uow(request, actor), actor.tenant, data)
    return json_response(PermissionTypesOut(), {"items": items}, status=201)


@routes.patch("/tenants/{tenant}/permission-types/{code}")
@doc(
    "Rename, reorder, deactivate or reactivate a permission (staff): its code stays, the "
    "answers given stay",
    request=PermissionTypePatchIn,
    response=PermissionTypesOut,
    tags=["lists"],
    responses={404: "No such code in the list"},
)
async def update_permission_type(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, PermissionTypePatchIn())
    items = await permissions.update_type(
        uow(request, actor), actor.tenant, request.match_info["code"], data
    )
    return json_response(PermissionTypesOut(), {"items": items})


@routes.get("/tenants/{tenant}/proof-settings")
@doc(
    "The household fields a family's change must carry a proof for (default: the address)",
    response=ProofSettingsOut,
    tags=["lists"],
)
async def proof_settings(request: web.Request) -> web.Response:
    actor = actor_of(require_caller(request, roles=(*FAMILY, *STAFF)))
    body = await permissions.proof_settings(request.app[POOL], actor.tenant)
    return json_response(ProofSettingsOut(), body)


@routes.put("/tenants/{tenant}/proof-settings")
@doc(
    "Choose the household fields that need a proof (staff; the address always does)",
    request=ProofSettingsIn,
    response=ProofSettingsOut,
    tags=["lists"],
)
async def set_proof_settings(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, ProofSettingsIn())
    body = await permissions.set_proof_settings(
        uow(request, actor), actor.tenant, data["proof_fields"]
    )
    return json_response(ProofSettingsOut(), body)
