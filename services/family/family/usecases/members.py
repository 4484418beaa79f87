"""Guardians, children and contacts of a household, and the household's own fields.

Pieces of a change, taking the caller's open unit of work: staff's edits, an approved
proposal, a new household, the import and the demo all go through them, so every path
keeps the same rules and raises the same events (ChildRegistered, ChildUpdated).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain import contacts as contact_rules
from family.domain.errors import HouseholdNotFound, LastGuardian, MemberNotFound
from family.usecases import Actor, permissions
from shared.uow import UnitOfWork

# A change's entity → the table of its rows.
TABLES = {"guardian": "guardians", "child": "children", "contact": "contacts"}


async def child(
    conn: asyncpg.Connection | asyncpg.Pool,
    tenant: str,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
) -> dict[str, Any]:
    """One of the household's children, or MemberNotFound."""
    row = await store.get_member(conn, "children", tenant, household_id, child_id)
    if row is None:
        raise MemberNotFound("Cet enfant ne fait pas partie du foyer.")
    return row


async def add_member(
    uow: UnitOfWork,
    actor: Actor,
    table: str,
    household_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
    links: dict[str, Any] | None = None,
    given_by: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A new guardian, child (ChildRegistered, with its permissions: given by `given_by`,
    default the actor) or contact (of one of the children; its flags dated, given by
    `given_by` too)."""
    if table == "contacts":
        child_id = (links or {}).get("child_id")
        if child_id is None or not await store.get_member(
            uow.conn, "children", actor.tenant, household_id, child_id
        ):
            raise MemberNotFound("Cet enfant ne fait pas partie du foyer.")
        data = {
            **data,
            **contact_rules.flag_stamps(None, data, given_by=given_by or actor.account_id, now=now),
        }
    answers: dict[str, bool] = {}
    if table == "children":
        answers = permissions.answers_of(data)
        data = {"diet": "standard", "image_rights": False, **data}
        if permissions.IMAGE_RIGHTS in answers:
            data["image_rights"] = answers[permissions.IMAGE_RIGHTS]
    row = await store.insert_member(
        uow.conn,
        table,
        tenant=actor.tenant,
        household_id=household_id,
        values=data,
        now=now,
        links=links,
    )
    if table == "children":
        await permissions.record_answers(
            uow, actor.tenant, row["id"], answers, given_by=given_by or actor.account_id, now=now
        )
        uow.emit("family.ChildRegistered", child_payload(row), tenant=actor.tenant)
    await store.touch_household(uow.conn, household_id, now)
    return row


async def update_member(
    uow: UnitOfWork,
    actor: Actor,
    table: str,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    now: datetime,
    given_by: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Change a member's fields (a child's: ChildUpdated, with its permissions given by
    `given_by`, default the actor; a contact's: its flags dated when they change, given by
    `given_by` too), or the household's own (`table` households, `member_id` the household's
    id)."""
    answers: dict[str, bool] = {}
    if table == "children":
        answers = permissions.answers_of(changes)
        if permissions.IMAGE_RIGHTS in answers:
            changes = {**changes, "image_rights": answers[permissions.IMAGE_RIGHTS]}
    if table == "contacts":
        # Locked: the flag compared is the one the update replaces.
        before = await store.get_member(
            uow.conn, table, actor.tenant, household_id, member_id, for_update=True
        )
        if before is None:
            raise MemberNotFound()
        changes = {
            **changes,
            **contact_rules.flag_stamps(
                before, changes, given_by=given_by or actor.account_id, now=now
            ),
        }
    row = await store.update_member(
        uow.conn, table, actor.tenant, household_id, member_id, changes, now
    )
    if row is None:
        raise HouseholdNotFound() if table == "households" else MemberNotFound()
    if table == "children":
        await permissions.record_answers(
            uow, actor.tenant, row["id"], answers, given_by=given_by or actor.account_id, now=now
        )
        uow.emit("family.ChildUpdated", child_payload(row), tenant=actor.tenant)
    if table != "households":
        await store.touch_household(uow.conn, household_id, now)
    return row


async def remove_member(
    uow: UnitOfWork,
    actor: Actor,
    table: str,
    household_id: uuid.UUID,
    member_id: uuid.UUID,
    *,
    now: datetime,
) -> None:
    """Remove a guardian (never the last one) or a contact."""
    if table == "guardians":
        if await store.get_household(uow.conn, actor.tenant, household_id, for_update=True) is None:
            raise HouseholdNotFound()
        if not await store.get_member(uow.conn, table, actor.tenant, household_id, member_id):
            raise MemberNotFound()
        if await store.count_guardians(uow.conn, household_id) <= 1:
            raise LastGuardian()
    if not await store.delete_member(uow.conn, table, actor.tenant, household_id, member_id):
        raise MemberNotFound()
    await store.touch_household(uow.conn, household_id, now)


def child_payload(row: dict[str, Any]) -> dict[str, Any]:
    """A child as ChildRegistered and ChildUpdated carry it."""
    return {
        "child_id": row["id"],
        "household_id": row["household_id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "birth_date": row["birth_date"],
        "sex": row["sex"],
        "school": row["school"],
        "grade": row["grade"],
        "diet": row["diet"],
        "image_rights": row["image_rights"],
    }
