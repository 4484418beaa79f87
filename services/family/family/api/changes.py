"""Changes proposed by families: staff's queue, review and decision; a family's own
changes; a new family's request for its own household (a change staff approve)."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, family, family_edits_allowed, staff, uow
from family.domain.errors import ChangeNotFound
from family.schemas import ChangeOut, ChangePageOut, ChangesQuery, NewHouseholdIn, RejectIn
from family.state import VAULT
from family.usecases import changes
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


# --- staff: the queue, review, decision ------------------------------------------------------


@routes.get("/tenants/{tenant}/changes")
@doc(
    "Changes proposed by families (staff), oldest first",
    query=ChangesQuery,
    response=ChangePageOut,
    tags=["changes"],
)
async def list_changes(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, ChangesQuery())
    page = await changes.changes(
        request.app[POOL],
        request.app[VAULT],
        actor.tenant,
        status=query["status"],
        household_id=query["household_id"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(ChangePageOut(), page)


@routes.get("/tenants/{tenant}/changes/{change_id}")
@doc(
    "A proposed change with its content (staff; reading a health change is logged)",
    response=ChangeOut,
    tags=["changes"],
)
async def get_change(request: web.Request) -> web.Response:
    actor = staff(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    body = await changes.review_change(uow(request, actor), actor, request.app[VAULT], change_id)
    return json_response(ChangeOut(), body)


@routes.post("/tenants/{tenant}/changes/{change_id}/approve")
@doc(
    "Approve a change: applied with its events in one transaction (staff)",
    response=ChangeOut,
    tags=["changes"],
    responses={409: "Already decided, or no longer applicable"},
)
async def approve_change(request: web.Request) -> web.Response:
    actor = staff(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    body = await changes.decide_change(
        uow(request, actor), actor, request.app[VAULT], change_id, "approved"
    )
    return json_response(ChangeOut(), body)


@routes.post("/tenants/{tenant}/changes/{change_id}/reject")
@doc(
    "Reject a change with a reason the family will read (staff)",
    request=RejectIn,
    response=ChangeOut,
    tags=["changes"],
    responses={409: "Already decided"},
)
async def reject_change(request: web.Request) -> web.Response:
    actor = staff(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    reason = (await read_json(request, RejectIn()))["reason"]
    body = await changes.decide_change(
        uow(request, actor), actor, request.app[VAULT], change_id, "rejected", reason
    )
    return json_response(ChangeOut(), body)


# --- a family's own changes ------------------------------------------------------------------


@routes.get("/tenants/{tenant}/me/household/changes")
@doc("My changes: pending and decided, newest first", response=ChangePageOut, tags=["changes"])
async def my_changes(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    query = read_query(request, ChangesQuery())
    page = await changes.changes(
        request.app[POOL],
        request.app[VAULT],
        scope.tenant,
        status=query["status"],
        household_id=scope.household_id,
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(ChangePageOut(), page)


@routes.get("/tenants/{tenant}/me/household/changes/{change_id}")
@doc("One of my changes, with its content", response=ChangeOut, tags=["changes"])
async def my_change(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    change_id = path_uuid(request, "change_id", ChangeNotFound)
    body = await changes.my_change(
        request.app[POOL], request.app[VAULT], scope.tenant, scope.household_id, change_id
    )
    return json_response(ChangeOut(), body)


# --- a new family asks for its own household (pending staff approval) ------------------------


@routes.post("/tenants/{tenant}/me/household")
@doc(
    "Ask for my own household (new family without a subscriber code; pending staff approval)",
    request=NewHouseholdIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
    description="Stored as a pending change (`entity` new_household) in staff's queue; on "
    "approval the household is created and the account linked (HouseholdCreated, "
    "HouseholdLinked, ChangeRequestDecided); on rejection HouseholdCreationRejected.",
    responses={409: "Already linked to a household, or a creation is already pending"},
)
@idempotent
async def ask_for_household(request: web.Request) -> web.Response:
    actor = family(request)
    await family_edits_allowed(request, actor.tenant)
    data = await read_json(request, NewHouseholdIn())
    body = await changes.ask_for_household(uow(request, actor), actor, request.app[VAULT], data)
    return json_response(ChangeOut(), body, status=202)


@routes.get("/tenants/{tenant}/me/household/creation")
@doc(
    "My request to create a household, and staff's decision (family)",
    response=ChangeOut,
    tags=["my household"],
    responses={404: "No such request"},
)
async def my_creation(request: web.Request) -> web.Response:
    actor = family(request)
    body = await changes.my_creation(
        request.app[POOL], request.app[VAULT], actor.tenant, actor.account_id
    )
    return json_response(ChangeOut(), body)
