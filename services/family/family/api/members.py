"""Guardians, children and contacts of a household: staff change them at once, a family
proposes (stored as pending until staff decide). Every route goes through `edit`."""

from __future__ import annotations

from aiohttp import web

from family.api.edits import edit
from family.schemas import ChangeOut, ChildIn, ContactIn, GuardianIn, HouseholdOut
from shared.http.idempotency import idempotent
from shared.http.openapi import doc

routes = web.RouteTableDef()


# --- staff: applied at once ------------------------------------------------------------


@routes.post("/tenants/{tenant}/households/{household_id}/guardians")
@doc(
    "Add a guardian (staff; applied at once)",
    request=GuardianIn,
    response=HouseholdOut,
    status=201,  # the file, with created_id
    tags=["households"],
)
@idempotent
async def staff_add_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "create")


@routes.patch("/tenants/{tenant}/households/{household_id}/guardians/{member_id}")
@doc(
    "Change a guardian (staff; applied at once)",
    request=GuardianIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_update_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "update", member="member_id")


@routes.delete("/tenants/{tenant}/households/{household_id}/guardians/{member_id}")
@doc(
    "Remove a guardian (staff; applied at once)",
    status=204,
    tags=["households"],
)
async def staff_remove_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "delete", member="member_id")


@routes.post("/tenants/{tenant}/households/{household_id}/children")
@doc(
    "Add a child (staff; applied at once)",
    request=ChildIn,
    response=HouseholdOut,
    status=201,  # the file, with created_id
    tags=["households"],
)
@idempotent
async def staff_add_child(request: web.Request) -> web.Response:
    return await edit(request, "child", "create")


@routes.patch("/tenants/{tenant}/households/{household_id}/children/{child_id}")
@doc(
    "Change a child (staff; applied at once)",
    request=ChildIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_update_child(request: web.Request) -> web.Response:
    return await edit(request, "child", "update", member="child_id")


@routes.post("/tenants/{tenant}/households/{household_id}/children/{child_id}/contacts")
@doc(
    "Add an authorised pick-up or emergency contact (staff; applied at once)",
    request=ContactIn,
    response=HouseholdOut,
    status=201,  # the file, with created_id
    tags=["households"],
)
@idempotent
async def staff_add_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "create", parent="child_id")


@routes.patch("/tenants/{tenant}/households/{household_id}/contacts/{member_id}")
@doc(
    "Change a contact (staff; applied at once)",
    request=ContactIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_update_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "update", member="member_id")


@routes.delete("/tenants/{tenant}/households/{household_id}/contacts/{member_id}")
@doc(
    "Remove a contact (staff; applied at once)",
    status=204,
    tags=["households"],
)
async def staff_remove_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "delete", member="member_id")


# --- family: stored as pending, staff decide --------------------------------------------


@routes.post("/tenants/{tenant}/me/household/guardians")
@doc(
    "Add a guardian (family; stored as pending, staff decide)",
    request=GuardianIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
@idempotent
async def family_add_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "create")


@routes.patch("/tenants/{tenant}/me/household/guardians/{member_id}")
@doc(
    "Change a guardian (family; stored as pending, staff decide)",
    request=GuardianIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_update_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "update", member="member_id")


@routes.delete("/tenants/{tenant}/me/household/guardians/{member_id}")
@doc(
    "Remove a guardian (family; stored as pending, staff decide)",
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_remove_guardian(request: web.Request) -> web.Response:
    return await edit(request, "guardian", "delete", member="member_id")


@routes.post("/tenants/{tenant}/me/household/children")
@doc(
    "Add a child (family; stored as pending, staff decide)",
    request=ChildIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
@idempotent
async def family_add_child(request: web.Request) -> web.Response:
    return await edit(request, "child", "create")


@routes.patch("/tenants/{tenant}/me/household/children/{child_id}")
@doc(
    "Change a child (family; stored as pending, staff decide)",
    request=ChildIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_update_child(request: web.Request) -> web.Response:
    return await edit(request, "child", "update", member="child_id")


@routes.post("/tenants/{tenant}/me/household/children/{child_id}/contacts")
@doc(
    "Add an authorised pick-up or emergency contact (family; stored as pending, staff decide)",
    request=ContactIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
@idempotent
async def family_add_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "create", parent="child_id")


@routes.patch("/tenants/{tenant}/me/household/contacts/{member_id}")
@doc(
    "Change a contact (family; stored as pending, staff decide)",
    request=ContactIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_update_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "update", member="member_id")


@routes.delete("/tenants/{tenant}/me/household/contacts/{member_id}")
@doc(
    "Remove a contact (family; stored as pending, staff decide)",
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_remove_contact(request: web.Request) -> web.Response:
    return await edit(request, "contact", "delete", member="member_id")
