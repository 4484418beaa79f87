"""A change to the household file, applied: at once when staff make it, or when staff
approve a family's proposal (`changes.decide_change`). Both paths go through
`apply_change`, so they keep the same rules and raise the same events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from marshmallow import Schema

from family import store
from family.domain.changes import Edit
from family.domain.errors import InvalidField
from family.schemas import (
    ChildIn,
    ContactIn,
    GuardianIn,
    HealthIn,
    HouseholdPatchIn,
    NewHouseholdIn,
    QuotientIn,
)
from family.usecases import Actor, utcnow
from family.usecases.health_records import write_health
from family.usecases.households import household_file
from family.usecases.members import TABLES, add_member, remove_member, update_member
from family.usecases.photos import put_photo, remove_photo
from family.usecases.quotients import add_quotient
from shared.uow import UnitOfWork
from shared.vault import Vault


def change_schema(entity: str, operation: str) -> Schema:
    """What a change of each kind is checked against (creation: full; update: partial)."""
    partial = operation == "update"
    if entity == "new_household":
        return NewHouseholdIn()
    if entity == "household":
        return HouseholdPatchIn()
    if entity == "health":
        return HealthIn()
    if entity == "quotient":
        return QuotientIn()
    schema = {"guardian": GuardianIn, "child": ChildIn, "contact": ContactIn}[entity]
    return schema(partial=partial)


async def apply_change(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    edit: Edit,
    *,
    now: datetime,
) -> uuid.UUID | None:
    """Apply one change (already validated) in the open unit of work; returns the id of a
    created row."""
    if edit.entity in ("household", "guardian"):
        # The payer billing prints follows the billed guardian's name, email and address
        # (their own, else the household's): compared before and after the edit.
        payer_before = await _payer(uow, actor, household_id)
        created = await _apply(uow, actor, vault, household_id, edit, now=now)
        payer_after = await _payer(uow, actor, household_id)
        if payer_after is not None and (
            payer_after != payer_before or "billed_guardian_id" in edit.data
        ):
            uow.emit("family.BilledGuardianChanged", payer_after, tenant=actor.tenant)
        return created
    return await _apply(uow, actor, vault, household_id, edit, now=now)


async def _apply(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    edit: Edit,
    *,
    now: datetime,
) -> uuid.UUID | None:
    entity, operation, data = edit.entity, edit.operation, edit.data
    if entity == "household":
        billed = data.get("billed_guardian_id")
        if billed is not None and not await store.get_member(
            uow.conn, "guardians", actor.tenant, household_id, billed
        ):
            raise InvalidField(
                "billed_guardian_id", "Le responsable facturé doit être un responsable du foyer."
            )
        await update_member(uow, actor, "households", household_id, household_id, data, now=now)
        return None
    if entity == "health":
        assert edit.parent_id is not None
        await write_health(uow, actor, vault, household_id, edit.parent_id, data, now=now)
        return None
    if entity == "quotient":
        return (await add_quotient(uow, actor, household_id, data, now=now))["id"]
    if entity == "photo":
        assert edit.parent_id is not None
        if operation == "delete":
            await remove_photo(uow, actor, household_id, edit.parent_id, now=now)
        else:
            await put_photo(uow, actor, household_id, edit.parent_id, data, now=now)
        return None
    table = TABLES[entity]
    if operation == "create":
        links = {"child_id": edit.parent_id} if entity == "contact" else None
        row = await add_member(
            uow,
            actor,
            table,
            household_id,
            data,
            now=now,
            links=links,
            given_by=edit.submitted_by,
        )
        return row["id"]
    assert edit.entity_id is not None
    if operation == "update":
        await update_member(
            uow,
            actor,
            table,
            household_id,
            edit.entity_id,
            data,
            now=now,
            given_by=edit.submitted_by,
        )
    else:
        await remove_member(uow, actor, table, household_id, edit.entity_id, now=now)
    return None


async def _payer(uow: UnitOfWork, actor: Actor, household_id: uuid.UUID) -> dict[str, Any] | None:
    """BilledGuardianChanged's payload: who billing prints as the household's payer (all
    None when nobody is billed); None when the household does not exist."""
    household = await store.get_household(uow.conn, actor.tenant, household_id)
    if household is None:
        return None
    guardian_id = household["billed_guardian_id"]
    guardian = (
        await store.get_member(uow.conn, "guardians", actor.tenant, household_id, guardian_id)
        if guardian_id is not None
        else None
    )
    payload: dict[str, Any] = {
        "household_id": household["id"],
        "guardian_id": guardian_id,
        "name": None,
        "email": None,
        "address": None,
    }
    if guardian is not None:
        address = guardian["address"] or household["address"] or {}
        payload.update(
            name=f"{guardian['first_name']} {guardian['last_name']}",
            email=guardian["email"],
            address=one_line(address) or None,
        )
    return payload


def one_line(address: dict[str, Any]) -> str:
    """« 3 chemin du Lac, 74330 Epagny »."""
    town = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    return ", ".join(p for p in (address.get("line1"), address.get("line2"), town) if p)


async def edit_household(
    uow: UnitOfWork, actor: Actor, vault: Vault, household_id: uuid.UUID, edit: Edit
) -> dict[str, Any] | None:
    """Staff change the file, applied at once; returns the file (with `created_id` when a
    row was created), None for a removal."""
    async with uow:
        created = await apply_change(uow, actor, vault, household_id, edit, now=utcnow())
        if edit.operation == "delete":
            return None
        body = await household_file(uow.conn, actor.tenant, household_id)
    if created:
        body["created_id"] = created
    return body
