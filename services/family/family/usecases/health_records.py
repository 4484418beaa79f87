"""Children's health records: sealed in the vault (never at rest in clear), and every staff
read written in the household's health access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain.errors import NoHealthRecord
from family.schemas import HealthIn
from family.usecases import Actor, utcnow
from family.usecases.members import child
from shared.uow import UnitOfWork
from shared.vault import Sealed, Vault, aad_for

Conn = asyncpg.Connection | asyncpg.Pool


async def read_health(
    conn: Conn, vault: Vault, tenant: str, household_id: uuid.UUID, child_id: uuid.UUID
) -> dict[str, Any] | None:
    """The child's record opened, None when none was written yet (MemberNotFound when the
    child is not the household's)."""
    await child(conn, tenant, household_id, child_id)
    row = await store.get_health(conn, tenant, child_id)
    if row is None:
        return None
    record = vault.open_json(
        Sealed(row["key_id"], row["sealed"]), aad_for("family", "health", tenant, child_id)
    )
    return {**record, "child_id": child_id, "updated_at": row["updated_at"]}


async def write_health(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
) -> None:
    """Seal and store the child's record (« je certifie » dated and signed by the actor)."""
    await child(uow.conn, actor.tenant, household_id, child_id)
    record = HealthIn().dump(data)
    record["certified_at"] = now.isoformat() if data.get("certified") else None
    record["certified_by"] = str(actor.account_id) if data.get("certified") else None
    sealed = vault.seal_json(record, aad_for("family", "health", actor.tenant, child_id))
    await store.put_health(
        uow.conn,
        tenant=actor.tenant,
        household_id=household_id,
        child_id=child_id,
        key_id=sealed.key_id,
        sealed=sealed.blob,
        updated_by=actor.account_id,
        now=now,
    )


async def log_access(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    child_id: uuid.UUID | None,
    purpose: str,
    **document: Any,
) -> None:
    """One line of the household's health access log: who read what, and why."""
    await store.log_health_access(
        uow.conn,
        tenant=actor.tenant,
        household_id=household_id,
        child_id=child_id,
        account_id=actor.account_id,
        roles=sorted(actor.roles),
        purpose=purpose,
        now=utcnow(),
        **document,
    )


async def health_record(
    uow: UnitOfWork,
    actor: Actor,
    vault: Vault,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    *,
    logged: bool,
) -> dict[str, Any]:
    """A child's record; a `logged` read (staff's) and its log line commit together: no
    read without its trace."""
    async with uow:
        record = await read_health(uow.conn, vault, actor.tenant, household_id, child_id)
        if record is None:
            raise NoHealthRecord()
        if logged:
            await log_access(uow, actor, household_id, child_id, "read")
    return record


async def access_log(pool: Conn, household_id: uuid.UUID) -> list[dict[str, Any]]:
    """Who read the children's health records and health documents, newest first."""
    return await store.health_access_log(pool, household_id)
