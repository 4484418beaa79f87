"""Writing events into the service's outbox, inside the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg

from shared.events.envelope import Event

# Above this many events, one set-based INSERT beats a row per round trip (executemany).
MANY = 8
# Rows per set-based INSERT: bounds the size of one statement's parameters.
CHUNK = 5_000

_INSERT_MANY = """
INSERT INTO outbox (id, type, envelope)
SELECT e.id, e.type, e.envelope::jsonb
FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS e(id, type, envelope, n)
ORDER BY e.n
"""


def _in_transaction(conn: asyncpg.Connection) -> None:
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.record must run inside the state change's transaction")


async def record(conn: asyncpg.Connection, *events: Event) -> None:
    """Store events with the state change: they are published if and only if it commits."""
    _in_transaction(conn)
    if len(events) > MANY:
        await record_many(conn, events)
        return
    await conn.executemany(
        "INSERT INTO outbox (id, type, envelope) VALUES ($1, $2, $3)",
        [(e.id, e.type, e.to_json()) for e in events],
    )


async def record_many(conn: asyncpg.Connection, events: Sequence[Event]) -> None:
    """`record` for many events: one INSERT from arrays per chunk. The rows take their
    `seq` in the order given (ORDER BY the array position), which the relay and the
    arrival-order check rely on, as they do on `record`'s."""
    _in_transaction(conn)
    for start in range(0, len(events), CHUNK):
        chunk = events[start : start + CHUNK]
        await conn.execute(
            _INSERT_MANY,
            [e.id for e in chunk],
            [e.type for e in chunk],
            [json.dumps(e.to_json()) for e in chunk],
        )
