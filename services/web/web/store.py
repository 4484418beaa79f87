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


# --- household files uploaded by staff (/gestion/imports) ----------------------------------


async def insert_staff_import(conn: Conn, item: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO staff_imports (id, tenant, session_hash, filename, content, preview,"
        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        item["id"],
        item["tenant"],
        item["session_hash"],
        item["filename"],
        item["content"],
        item["preview"],
        item["created_at"],
        item["expires_at"],
    )


async def staff_import(
    conn: Conn, id: str, tenant: str, session_hash: bytes, now: datetime
) -> dict[str, Any] | None:
    """The upload, if it is this session's and this town's and not expired (a done import
    stays readable until then)."""
    row = await conn.fetchrow(
        "SELECT id, filename, preview, report, committed_at FROM staff_imports WHERE id = $1"
        " AND tenant = $2 AND session_hash = $3 AND expires_at > $4",
        id,
        tenant,
        session_hash,
        now,
    )
    return dict(row) if row else None


async def claim_staff_import(
    conn: Conn, id: str, tenant: str, session_hash: bytes, now: datetime
) -> bytes | None:
    """Marks the upload as being imported and returns its content; None when it is not
    this session's, expired, or already imported (or being imported)."""
    return await conn.fetchval(
        "UPDATE staff_imports SET committed_at = $4 WHERE id = $1 AND tenant = $2"
        " AND session_hash = $3 AND expires_at > $4 AND committed_at IS NULL"
        " RETURNING content",
        id,
        tenant,
        session_hash,
        now,
    )


async def release_staff_import(conn: Conn, id: str) -> None:
    """The import failed before the family service answered: it may be tried again."""
    await conn.execute(
        "UPDATE staff_imports SET committed_at = NULL WHERE id = $1 AND report IS NULL", id
    )


async def finish_staff_import(conn: Conn, id: str, report: dict[str, Any]) -> None:
    await conn.execute("UPDATE staff_imports SET report = $2 WHERE id = $1", id, report)


async def delete_expired_staff_imports(conn: Conn, now: datetime) -> int:
    done = await conn.execute("DELETE FROM staff_imports WHERE expires_at <= $1", now)
    return int(done.split()[-1])
