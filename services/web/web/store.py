"""All the SQL of the portal: its sessions (asyncpg, parameterised)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool


async def insert_session(
    conn: Conn,
    *,
    id_hash: bytes,
    tenant: str,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO sessions (id_hash, tenant, csrf_token, created_at, last_seen_at,"
        " expires_at) VALUES ($1, $2, $3, $4, $4, $5)",
        id_hash,
        tenant,
        csrf_token,
        now,
        expires_at,
    )


async def session(conn: Conn, id_hash: bytes, now: datetime) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        "SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2", id_hash, now
    )
    return dict(row) if row else None


async def session_for_update(conn: Conn, id_hash: bytes, now: datetime) -> dict[str, Any] | None:
    """The session's row, locked until the transaction ends (its token refresh)."""
    row = await conn.fetchrow(
        "SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2 FOR UPDATE", id_hash, now
    )
    return dict(row) if row else None


async def remember(conn: Conn, id_hash: bytes, values: dict[str, Any]) -> dict[str, Any]:
    """Merges `values` into the session's data (a None value removes its key)."""
    kept = {k: v for k, v in values.items() if v is not None}
    gone = [k for k, v in values.items() if v is None]
    data = await conn.fetchval(
        "UPDATE sessions SET data = (data - $3::text[]) || $2::jsonb WHERE id_hash = $1"
        " RETURNING data",
        id_hash,
        kept,
        gone,
    )
    return dict(data or {})


async def touch(conn: Conn, id_hash: bytes, now: datetime, expires_at: datetime) -> None:
    await conn.execute(
        "UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE id_hash = $1",
        id_hash,
        now,
        expires_at,
    )


async def set_tokens(
    conn: Conn,
    id_hash: bytes,
    *,
    account_id: str | None,
    email: str | None,
    access_token: str | None,
    access_expires: datetime | None,
    refresh_token: str | None,
) -> None:
    await conn.execute(
        "UPDATE sessions SET account_id = $2, email = $3, access_token = $4,"
        " access_expires = $5, refresh_token = $6 WHERE id_hash = $1",
        id_hash,
        account_id,
        email,
        access_token,
        access_expires,
        refresh_token,
    )


async def rotate(
    conn: Conn,
    old_hash: bytes,
    *,
    new_hash: bytes,
    csrf_token: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    """A new id (and CSRF token) for the same row: after a login, so that an id known
    before it (session fixation) is worth nothing."""
    await conn.execute(
        "UPDATE sessions SET id_hash = $2, csrf_token = $3, created_at = $4,"
        " last_seen_at = $4, expires_at = $5 WHERE id_hash = $1",
        old_hash,
        new_hash,
        csrf_token,
        created_at,
        expires_at,
    )


async def delete_session(conn: Conn, id_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE id_hash = $1", id_hash)


async def delete_expired(conn: Conn, now: datetime, limit: int = 1000) -> int:
    done = await conn.execute(
        "DELETE FROM sessions WHERE id_hash IN"
        " (SELECT id_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
        now,
        limit,
    )
    return int(done.split()[-1])
