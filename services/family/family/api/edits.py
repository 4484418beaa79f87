"""The one path of every change to the household file through HTTP: staff's applied at
once (`usecases.edits`), a family's stored as pending until staff decide
(`usecases.changes`). The routes of each resource call `edit` with what they change."""

from __future__ import annotations

from aiohttp import web
from marshmallow import Schema

from family.api.access import Scope, family_edits_allowed, uow
from family.domain.changes import Edit
from family.domain.errors import MemberNotFound
from family.schemas import ChangeOut, HouseholdOut
from family.state import VAULT
from family.usecases import changes, edits
from shared.http.requests import json_response, path_uuid, read_json


async def edit(
    request: web.Request,
    entity: str,
    operation: str,
    *,
    schema: Schema | None = None,
    member: str | None = None,
    parent: str | None = None,
) -> web.Response:
    """Parse the change (`schema`: what the body is checked against, default by entity and
    operation; `member`/`parent`: the path's names of the row changed or of its child),
    then apply it (staff: the file, 200, 201 with `created_id`, 204 for a removal) or
    propose it (family: the pending change, 202; 403 when the town turned family edits
    off)."""
    scope = await Scope.of(request)
    if not scope.staff:
        await family_edits_allowed(request, scope.tenant)
    schema = schema or edits.change_schema(entity, operation)
    data = await read_json(request, schema) if operation != "delete" else {}
    entity_id = path_uuid(request, member, MemberNotFound) if member else None
    parent_id = path_uuid(request, parent, MemberNotFound) if parent else None
    change = Edit(entity, operation, entity_id, parent_id, data)
    vault = request.app[VAULT]
    if scope.staff:
        body = await edits.edit_household(
            uow(request, scope.actor), scope.actor, vault, scope.household_id, change
        )
        if body is None:
            return web.Response(status=204)
        return json_response(HouseholdOut(), body, status=201 if "created_id" in body else 200)
    proposed = await changes.propose(
        uow(request, scope.actor), scope.actor, vault, scope.household_id, change, schema
    )
    return json_response(ChangeOut(), proposed, status=202)
