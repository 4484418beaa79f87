"""Changes to a household file, applied in the caller's transaction with their events.

Staff call these directly; a family's proposal goes through `pending_changes` and, once
approved, through the very same functions, so both paths keep the same rules and events.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from marshmallow import Schema

from family import store
from family.domain import codes, quotient
from family.domain.vault import Sealed, Vault, aad_for
from family.schemas import (
    ChildIn,
    ContactIn,
    GuardianIn,
    HealthIn,
    HouseholdPatchIn,
    NewHouseholdIn,
    QuotientIn,
)
from shared.errors import DomainError, NotFound
from shared.events import outbox
from shared.events.envelope import Event, new_event

PRODUCER = "family"


class HouseholdNotFound(NotFound):
    code = "household-not-found"
    detail = "Ce foyer n'existe pas."


class MemberNotFound(NotFound):
    code = "member-not-found"
    detail = "Cette personne ne fait pas partie du foyer."


class LastGuardian(DomainError):
    code = "last-guardian"
    kind = "conflict"
    title = "Last guardian"
    detail = "Un foyer doit garder au moins un responsable légal."


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ops:
    """One transaction's worth of changes by one person; events go to the outbox at the end."""

    conn: asyncpg.Connection
    tenant: str
    actor: uuid.UUID
    vault: Vault
    now: datetime = field(default_factory=utcnow)
    events: list[Event] = field(default_factory=list)

    def event(self, type: str, payload: dict[str, Any]) -> None:
        self.events.append(new_event(type, payload, tenant_id=self.tenant, producer=PRODUCER))

    async def flush(self) -> None:
        if self.events:
            await outbox.record(self.conn, *self.events)
            self.events = []

    # --- households ---------------------------------------------------------------------

    async def household(self, household_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
        row = await store.get_household(self.conn, self.tenant, household_id, for_update=lock)
        if row is None:
            raise HouseholdNotFound()
        return row

    async def create_household(self, data: dict[str, Any]) -> dict[str, Any]:
        while True:
            row = await store.insert_household(
                self.conn,
                tenant=self.tenant,
                code=codes.generate(),
                address=data["address"],
                phones=data.get("phones", []),
                created_by=self.actor,
                now=self.now,
            )
            if row is not None:
                break
        for guardian in data["guardians"]:
            await self.create_member("guardians", row["id"], guardian)
        for child in data.get("children", []):
            await self.create_member("children", row["id"], child)
        names = [f"{g['first_name']} {g['last_name']}" for g in data["guardians"]]
        # HouseholdCreated first: consumers see the household before its children.
        self.events.insert(
            len(self.events) - len(data.get("children", [])),
            new_event(
                "family.HouseholdCreated",
                {"household_id": row["id"], "created_by": self.actor, "guardian_names": names},
                tenant_id=self.tenant,
                producer=PRODUCER,
            ),
        )
        return row

    # --- guardians, children, contacts, the household's own fields -----------------------

    async def create_member(
        self,
        table: str,
        household_id: uuid.UUID,
        data: dict[str, Any],
        links: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if table == "contacts":
            child_id = (links or {}).get("child_id")
            if child_id is None or not await store.get_member(
                self.conn, "children", self.tenant, household_id, child_id
            ):
                raise MemberNotFound("Cet enfant ne fait pas partie du foyer.")
        if table == "children":
            data = {"diet": "standard", "image_rights": False, **data}
        row = await store.insert_member(
            self.conn,
            table,
            tenant=self.tenant,
            household_id=household_id,
            values=data,
            now=self.now,
            links=links,
        )
        if table == "children":
            self.event("family.ChildRegistered", child_payload(row))
        await store.touch_household(self.conn, household_id, self.now)
        return row

    async def update_member(
        self, table: str, household_id: uuid.UUID, member_id: uuid.UUID, changes: dict[str, Any]
    ) -> dict[str, Any]:
        row = await store.update_member(
            self.conn, table, self.tenant, household_id, member_id, changes, self.now
        )
        if row is None:
            raise HouseholdNotFound() if table == "households" else MemberNotFound()
        if table == "children":
            self.event("family.ChildUpdated", child_payload(row))
        if table != "households":
            await store.touch_household(self.conn, household_id, self.now)
        return row

    async def delete_member(
        self, table: str, household_id: uuid.UUID, member_id: uuid.UUID
    ) -> None:
        if table == "guardians":
            await self.household(household_id, lock=True)
            if not await store.get_member(self.conn, table, self.tenant, household_id, member_id):
                raise MemberNotFound()
            if await store.count_guardians(self.conn, household_id) <= 1:
                raise LastGuardian()
        if not await store.delete_member(self.conn, table, self.tenant, household_id, member_id):
            raise MemberNotFound()
        await store.touch_household(self.conn, household_id, self.now)

    async def child(self, household_id: uuid.UUID, child_id: uuid.UUID) -> dict[str, Any]:
        row = await store.get_member(self.conn, "children", self.tenant, household_id, child_id)
        if row is None:
            raise MemberNotFound("Cet enfant ne fait pas partie du foyer.")
        return row

    # --- health records -----------------------------------------------------------------

    async def read_health(self, household_id: uuid.UUID, child_id: uuid.UUID) -> dict | None:
        await self.child(household_id, child_id)
        row = await store.get_health(self.conn, self.tenant, child_id)
        if row is None:
            return None
        record = self.vault.open_json(
            Sealed(row["key_id"], row["sealed"]), aad_for(self.tenant, "health", child_id)
        )
        return {**record, "child_id": child_id, "updated_at": row["updated_at"]}

    async def write_health(
        self, household_id: uuid.UUID, child_id: uuid.UUID, data: dict[str, Any]
    ) -> None:
        await self.child(household_id, child_id)
        record = HealthIn().dump(data)
        record["certified_at"] = self.now.isoformat() if data.get("certified") else None
        record["certified_by"] = str(self.actor) if data.get("certified") else None
        sealed = self.vault.seal_json(record, aad_for(self.tenant, "health", child_id))
        await store.put_health(
            self.conn,
            tenant=self.tenant,
            household_id=household_id,
            child_id=child_id,
            key_id=sealed.key_id,
            sealed=sealed.blob,
            updated_by=self.actor,
            now=self.now,
        )

    # --- children's photos ---------------------------------------------------------------

    async def put_photo(
        self, household_id: uuid.UUID, child_id: uuid.UUID, data: dict[str, Any]
    ) -> dict[str, Any]:
        """`data`: content_type (already read from the content) and content."""
        await self.child(household_id, child_id)
        content = data["content"]
        row = await store.put_photo(
            self.conn,
            tenant=self.tenant,
            household_id=household_id,
            child_id=child_id,
            content_type=data["content_type"],
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            updated_by=self.actor,
            now=self.now,
        )
        await store.touch_household(self.conn, household_id, self.now)
        return row

    async def delete_photo(self, household_id: uuid.UUID, child_id: uuid.UUID) -> bool:
        await self.child(household_id, child_id)
        deleted = await store.delete_photo(self.conn, self.tenant, child_id)
        if deleted:
            await store.touch_household(self.conn, household_id, self.now)
        return deleted

    # --- family quotient ----------------------------------------------------------------

    async def add_quotient(self, household_id: uuid.UUID, data: dict[str, Any]) -> dict:
        problems = quotient.validity_problems(data["valid_from"], data.get("valid_until"))
        if problems:
            raise DomainError(problems[0])
        row = await store.insert_quotient(
            self.conn,
            tenant=self.tenant,
            household_id=household_id,
            value=data["value"],
            source=data["source"],
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
            recorded_by=self.actor,
            now=self.now,
        )
        self.event(
            "family.QuotientChanged",
            {
                "quotient_id": row["id"],
                "household_id": household_id,
                "value": row["value"],
                "valid_from": row["valid_from"],
                "valid_until": row["valid_until"],
                "source": row["source"],
            },
        )
        return row


def child_payload(row: dict[str, Any]) -> dict[str, Any]:
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


def current_quotient(rows: list[dict[str, Any]], day: date | None = None) -> dict | None:
    """The row in force today among the history (newest records win)."""
    day = day or utcnow().date()
    history = [
        quotient.Quotient(r["value"], r["source"], r["valid_from"], r["valid_until"], r["seq"])
        for r in rows
    ]
    chosen = quotient.in_force(history, day)
    if chosen is None:
        return None
    return next(r for r in rows if r["seq"] == chosen.recorded_at_order)


# What a pending change of each kind validates against (creation: full; update: partial).
TABLES = {"guardian": "guardians", "child": "children", "contact": "contacts"}


def change_schema(entity: str, operation: str) -> Schema:
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
    ops: Ops,
    *,
    entity: str,
    operation: str,
    household_id: uuid.UUID,
    entity_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    data: dict[str, Any],
) -> uuid.UUID | None:
    """Apply one change (already validated); returns the id of a created row."""
    if entity == "household":
        await ops.update_member("households", household_id, household_id, data)
        return None
    if entity == "health":
        assert parent_id is not None
        await ops.write_health(household_id, parent_id, data)
        return None
    if entity == "quotient":
        return (await ops.add_quotient(household_id, data))["id"]
    if entity == "photo":
        assert parent_id is not None
        if operation == "delete":
            await ops.delete_photo(household_id, parent_id)
        else:
            await ops.put_photo(household_id, parent_id, data)
        return None
    table = TABLES[entity]
    if operation == "create":
        links = {"child_id": parent_id} if entity == "contact" else None
        return (await ops.create_member(table, household_id, data, links))["id"]
    assert entity_id is not None
    if operation == "update":
        await ops.update_member(table, household_id, entity_id, data)
    else:
        await ops.delete_member(table, household_id, entity_id)
    return None
