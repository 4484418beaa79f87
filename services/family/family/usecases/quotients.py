"""The family quotient (QF): its history, the one in force, a new one (QuotientChanged)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from family import store
from family.domain import quotient
from family.usecases import Actor, utcnow
from shared.errors import DomainError
from shared.uow import UnitOfWork


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


async def quotients(
    conn: asyncpg.Connection | asyncpg.Pool, household_id: uuid.UUID
) -> dict[str, Any]:
    """The household's quotient in force and its whole history."""
    rows = await store.quotients(conn, household_id)
    return {"current": current_quotient(rows), "history": rows}


async def add_quotient(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
) -> dict[str, Any]:
    """Record a quotient in the household's history (QuotientChanged)."""
    problems = quotient.validity_problems(data["valid_from"], data.get("valid_until"))
    if problems:
        raise DomainError(problems[0])
    row = await store.insert_quotient(
        uow.conn,
        tenant=actor.tenant,
        household_id=household_id,
        value=data["value"],
        source=data["source"],
        valid_from=data["valid_from"],
        valid_until=data.get("valid_until"),
        recorded_by=actor.account_id,
        now=now,
    )
    uow.emit(
        "family.QuotientChanged",
        {
            "quotient_id": row["id"],
            "household_id": household_id,
            "value": row["value"],
            "valid_from": row["valid_from"],
            "valid_until": row["valid_until"],
            "source": row["source"],
        },
        tenant=actor.tenant,
    )
    return row


async def set_quotient(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """Staff set the household's quotient; returns the quotient in force and the history."""
    async with uow:
        await add_quotient(uow, actor, household_id, data, now=utcnow())
        return await quotients(uow.conn, household_id)
