"""A family's rights over its data: the export, deletion requests; staff refuse them or
anonymise the household."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, staff, uow
from family.domain.errors import DeletionRequestNotFound
from family.schemas import (
    DeletionPageOut,
    DeletionQuery,
    DeletionRequestIn,
    DeletionRequestOut,
    ExportOut,
    RejectIn,
)
from family.state import VAULT
from family.usecases import privacy
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/me/household/export")
@doc("Everything held about my household (JSON download)", response=ExportOut, tags=["privacy"])
async def export(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await privacy.export(
        request.app[POOL], request.app[VAULT], scope.tenant, scope.household_id
    )
    response = json_response(ExportOut(), body)
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees.json"'
    return response


# --- deletion requests ---------------------------------------------------------------------


@routes.post("/tenants/{tenant}/me/household/deletion-request")
@doc(
    "Ask for the deletion of my household's data (family; staff handle it)",
    request=DeletionRequestIn,
    response=DeletionRequestOut,
    status=202,
    tags=["privacy"],
    responses={409: "A deletion request is already pending"},
)
async def ask_for_deletion(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    data = await read_json(request, DeletionRequestIn()) if request.body_exists else {}
    row = await privacy.ask_for_deletion(
        uow(request, scope.actor), scope.actor, scope.household_id, data.get("message", "")
    )
    return json_response(DeletionRequestOut(), row, status=202)


@routes.get("/tenants/{tenant}/me/household/deletion-request")
@doc(
    "My household's deletion requests and their outcome (family)",
    response=DeletionPageOut,
    tags=["privacy"],
)
async def my_deletion_requests(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    page = await privacy.deletion_requests_of(request.app[POOL], scope.household_id)
    return json_response(DeletionPageOut(), page)


@routes.get("/tenants/{tenant}/deletion-requests")
@doc(
    "Deletion requests of the tenant's families, oldest first (staff)",
    query=DeletionQuery,
    response=DeletionPageOut,
    tags=["privacy"],
)
async def list_deletion_requests(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, DeletionQuery())
    page = await privacy.deletion_requests(
        request.app[POOL],
        actor.tenant,
        status=query["status"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(DeletionPageOut(), page)


@routes.post("/tenants/{tenant}/deletion-requests/{request_id}/anonymise")
@doc(
    "Anonymise the household (staff): names become « Anonyme », contact details, contacts, "
    "health records, documents, requests and pending changes are erased; ids, quotients and "
    "the birth year stay for accounting; linked accounts are unlinked (HouseholdAnonymised)",
    response=DeletionRequestOut,
    tags=["privacy"],
    responses={409: "Already handled"},
)
async def anonymise(request: web.Request) -> web.Response:
    actor = staff(request)
    request_id = path_uuid(request, "request_id", DeletionRequestNotFound)
    handled = await privacy.anonymise(uow(request, actor), actor, request_id)
    return json_response(DeletionRequestOut(), handled)


@routes.post("/tenants/{tenant}/deletion-requests/{request_id}/reject")
@doc(
    "Refuse a deletion request with a reason (e.g. legal retention; staff)",
    request=RejectIn,
    response=DeletionRequestOut,
    tags=["privacy"],
    responses={409: "Already handled"},
)
async def reject_deletion(request: web.Request) -> web.Response:
    actor = staff(request)
    request_id = path_uuid(request, "request_id", DeletionRequestNotFound)
    reason = (await read_json(request, RejectIn()))["reason"]
    handled = await privacy.reject_deletion(uow(request, actor), actor, request_id, reason)
    return json_response(DeletionRequestOut(), handled)
