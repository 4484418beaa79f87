"""Writing events into the service's outbox, inside the caller's transaction."""

from __future__ import annotations

import asyncpg

from shared.events.envelope import Event


async def record(conn: asyncpg.Connection, *events: Event) -> None:
    """Store events with the state change: they are published if and only if it commits."""
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.record must run inside the state change's transaction")
    await conn.executemany(
        "INSERT INTO outbox (id, type, envelope) VALUES ($1, $2, $3)",
        [(e.id, e.type, e.to_json()) for e in events],
    )
