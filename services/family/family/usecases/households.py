"""The household file: a new household with its guardians and children, the file as staff
and the family read it, the staff's search."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain import codes
from family.domain.errors import HouseholdNotFound
from family.usecases import Actor, members, permissions, utcnow
from family.usecases.quotients import current_quotient
from shared.uow import UnitOfWork

Conn = asyncpg.Connection | asyncpg.Pool


async def household(
    conn: Conn, tenant: str, household_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any]:
    """The household's row (locked until the transaction ends with `lock`), or
    HouseholdNotFound."""
    row = await store.get_household(conn, tenant, household_id, for_update=lock)
    if row is None:
        raise HouseholdNotFound()
    return row


async def add_household(
    uow: UnitOfWork, actor: Actor, data: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """A new household with a new subscriber code, its guardians and children
    (HouseholdCreated, then ChildRegistered for each child)."""
    while True:
        row = await store.insert_household(
            uow.conn,
            tenant=actor.tenant,
            code=codes.generate(),
            address=data["address"],
            phones=data.get("phones", []),
            created_by=actor.account_id,
            now=now,
        )
        if row is not None:
            break
    for guardian in data["guardians"]:
        await members.add_member(uow, actor, "guardians", row["id"], guardian, now=now)
    for child in data.get("children", []):
        await members.add_member(uow, actor, "children", row["id"], child, now=now)
    names = [f"{g['first_name']} {g['last_name']}" for g in data["guardians"]]
    # HouseholdCreated first: consumers see the household before its children.
    position = len(uow.events) - len(data.get("children", []))
    uow.emit(
        "family.HouseholdCreated",
        {"household_id": row["id"], "created_by": actor.account_id, "guardian_names": names},
        tenant=actor.tenant,
    )
    uow.events.insert(position, uow.events.pop())
    return row


async def create_household(uow: UnitOfWork, actor: Actor, data: dict[str, Any]) -> dict:
    """Staff open a household file; returns the file."""
    async with uow:
        row = await add_household(uow, actor, data, now=utcnow())
        return await household_file(uow.conn, actor.tenant, row["id"])


async def ensure_exists(pool: Conn, tenant: str, household_id: uuid.UUID) -> None:
    """HouseholdNotFound unless the tenant has this household."""
    await household(pool, tenant, household_id)


async def household_file(conn: Conn, tenant: str, household_id: uuid.UUID) -> dict[str, Any]:
    """The whole file: guardians, children with their contacts, the quotient in force, the
    linked accounts and how many changes wait for staff."""
    row = await household(conn, tenant, household_id)
    children = await store.members(conn, "children", household_id)
    contacts = await store.members(conn, "contacts", household_id)
    with_health = await store.children_with_health(conn, household_id)
    with_photo = await store.children_with_photo(conn, household_id)
    for child in children:
        child["contacts"] = [c for c in contacts if c["child_id"] == child["id"]]
        child["has_health_record"] = child["id"] in with_health
        child["has_photo"] = child["id"] in with_photo
    await permissions.attach(conn, tenant, household_id, children)
    _, pending_count = await store.list_changes(
        conn, tenant, status="pending", household_id=household_id, limit=0, offset=0
    )
    return {
        **row,
        "guardians": await store.members(conn, "guardians", household_id),
        "children": children,
        "quotient": current_quotient(await store.quotients(conn, household_id)),
        "accounts": await store.linked_accounts(conn, household_id),
        "pending_changes": pending_count,
    }


async def search_households(
    pool: Conn, tenant: str, text: str, *, page: int, per_page: int, linked: bool | None = None
) -> dict[str, Any]:
    """Households whose guardian or child name, email or subscriber code matches: a page;
    `linked` False keeps those no account is linked to yet (their letters to send)."""
    rows, total = await store.search_households(
        pool, tenant, text, limit=per_page, offset=(page - 1) * per_page, linked=linked
    )
    items = []
    for row in rows:
        guardians = await store.members(pool, "guardians", row["id"])
        children = await store.members(pool, "children", row["id"])
        items.append(
            {
                **row,
                "guardians": [f"{g['first_name']} {g['last_name']}" for g in guardians],
                "children": [f"{c['first_name']} {c['last_name']}" for c in children],
            }
        )
    return {"items": items, "total": total, "page": page, "per_page": per_page}
