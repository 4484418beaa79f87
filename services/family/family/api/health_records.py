"""Children's health records: staff and the family read and write them (staff: applied,
every read logged; family: a pending change, « je certifie » required), and both see who
read them."""

from __future__ import annotations

from aiohttp import web

from family.api.access import Scope, carer, uow
from family.api.edits import edit
from family.domain.errors import HouseholdNotFound, MemberNotFound
from family.schemas import (
    AccessLogOut,
    CareNeedsOut,
    ChangeOut,
    FamilyHealthIn,
    HealthIn,
    HealthOut,
    HouseholdOut,
)
from family.state import VAULT
from family.usecases import health_records, households
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid
from shared.keys import POOL

routes = web.RouteTableDef()


async def _health_record(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    child_id = path_uuid(request, "child_id", MemberNotFound)
    record = await health_records.health_record(
        uow(request, scope.actor),
        scope.actor,
        request.app[VAULT],
        scope.household_id,
        child_id,
        logged=scope.staff,
    )
    return json_response(HealthOut(), record)


async def _access_log(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    items = await health_records.access_log(request.app[POOL], scope.household_id)
    return json_response(AccessLogOut(), {"items": items})


# --- staff -----------------------------------------------------------------------------------


@routes.get("/tenants/{tenant}/households/{household_id}/children/{child_id}/health")
@doc(
    "A child's health record (staff; every read is logged)",
    response=HealthOut,
    tags=["households"],
    responses={404: "No such child or no health record yet"},
)
async def staff_health_record(request: web.Request) -> web.Response:
    return await _health_record(request)


@routes.get("/tenants/{tenant}/households/{household_id}/children/{child_id}/care-needs")
@doc(
    "A child's allergies and PAI, for the day's attendance sheet (staff and site animators; "
    "every read is logged and shown to the family)",
    response=CareNeedsOut,
    tags=["households"],
    responses={404: "No such child or no health record yet"},
)
async def care_needs(request: web.Request) -> web.Response:
    actor = carer(request)
    household_id = path_uuid(request, "household_id", HouseholdNotFound)
    await households.ensure_exists(request.app[POOL], actor.tenant, household_id)
    record = await health_records.health_record(
        uow(request, actor),
        actor,
        request.app[VAULT],
        household_id,
        path_uuid(request, "child_id", MemberNotFound),
        logged=True,
    )
    return json_response(CareNeedsOut(), record)


@routes.put("/tenants/{tenant}/households/{household_id}/children/{child_id}/health")
@doc(
    "Write a child's health record (staff; applied)",
    request=HealthIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_write_health_record(request: web.Request) -> web.Response:
    return await edit(request, "health", "update", schema=HealthIn(), parent="child_id")


@routes.get("/tenants/{tenant}/households/{household_id}/health-access-log")
@doc(
    "Who read the children's health records, and when (staff)",
    response=AccessLogOut,
    tags=["households"],
)
async def staff_health_access_log(request: web.Request) -> web.Response:
    return await _access_log(request)


# --- family ----------------------------------------------------------------------------------


@routes.get("/tenants/{tenant}/me/household/children/{child_id}/health")
@doc(
    "A child's health record (family)",
    response=HealthOut,
    tags=["my household"],
    responses={404: "No such child or no health record yet"},
)
async def family_health_record(request: web.Request) -> web.Response:
    return await _health_record(request)


@routes.put("/tenants/{tenant}/me/household/children/{child_id}/health")
@doc(
    "Write a child's health record (family; pending, « je certifie » required)",
    request=FamilyHealthIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_write_health_record(request: web.Request) -> web.Response:
    return await edit(request, "health", "update", schema=FamilyHealthIn(), parent="child_id")


@routes.get("/tenants/{tenant}/me/household/health-access-log")
@doc(
    "Who read the children's health records, and when (family)",
    response=AccessLogOut,
    tags=["my household"],
)
async def family_health_access_log(request: web.Request) -> web.Response:
    return await _access_log(request)
