"""Household files uploaded by staff: kept an hour between their preview and their import,
bound to the agent's session and the town, imported at most once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from web import store
from web.domain.staff_imports import KEPT_MINUTES
from web.usecases.sessions import Session


async def keep(
    pool: asyncpg.Pool,
    session: Session,
    *,
    filename: str,
    content: bytes,
    preview: dict[str, Any],
    now: datetime,
) -> str:
    """Keeps the upload and its preview; returns its random id (its page's address)."""
    id = secrets.token_urlsafe(18)
    async with pool.acquire() as conn, conn.transaction():
        # The expired uploads go here: they are few, and nothing else writes this table.
        await store.delete_expired_staff_imports(conn, now)
        await store.insert_staff_import(
            conn,
            {
                "id": id,
                "tenant": session.tenant,
                "session_hash": session.id_hash,
                "filename": filename[:255],
                "content": content,
                "preview": preview,
                "created_at": now,
                "expires_at": now + timedelta(minutes=KEPT_MINUTES),
            },
        )
    return id


async def find(
    pool: asyncpg.Pool, session: Session, id: str, now: datetime
) -> dict[str, Any] | None:
    return await store.staff_import(pool, id, session.tenant, session.id_hash, now)


async def claim(pool: asyncpg.Pool, session: Session, id: str, now: datetime) -> bytes | None:
    """The file to import, None when it was already imported (or is not this session's)."""
    return await store.claim_staff_import(pool, id, session.tenant, session.id_hash, now)


async def release(pool: asyncpg.Pool, id: str) -> None:
    await store.release_staff_import(pool, id)


async def finish(pool: asyncpg.Pool, id: str, report: dict[str, Any]) -> None:
    await store.finish_staff_import(pool, id, report)
