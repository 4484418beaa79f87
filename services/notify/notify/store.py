"""All the SQL of the notify service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg

TENANT_FIELDS = (
    "name",
    "sender_name",
    "sender_address",
    "reply_to",
    "contact_service",
    "contact_email",
    "contact_phone",
    "primary_color",
    "accent_color",
    "portal_url",
)


# --- tenants ------------------------------------------------------------------------------
async def tenant_row(conn: asyncpg.Pool | asyncpg.Connection, tenant: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM tenants WHERE tenant = $1", tenant)
    return dict(row) if row else None


async def tenant_rows(pool: asyncpg.Pool, tenants: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch("SELECT * FROM tenants WHERE tenant = ANY($1::text[])", list(tenants))
    return {row["tenant"]: dict(row) for row in rows}


async def upsert_tenant(pool: asyncpg.Pool, tenant: str, data: dict[str, Any]) -> dict[str, Any]:
    values = [data.get(name) for name in TENANT_FIELDS]
    columns = ", ".join(TENANT_FIELDS)
    placeholders = ", ".join(f"${i + 2}" for i in range(len(TENANT_FIELDS)))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in TENANT_FIELDS)
    row = await pool.fetchrow(
        f"INSERT INTO tenants (tenant, {columns}) VALUES ($1, {placeholders})"
        f" ON CONFLICT (tenant) DO UPDATE SET {updates}, updated_at = now() RETURNING *",
        tenant,
        *values,
    )
    return dict(row)


# --- emails (written by the event handlers) ----------------------------------------------
async def queue_email(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    event_id: uuid.UUID,
    event_type: str,
    recipient: str,
    account_id: uuid.UUID | None,
    template: str,
    context: dict[str, Any],
) -> bool:
    """Queue one email; False when this (event, recipient) already has one."""
    inserted = await conn.fetchval(
        """INSERT INTO emails (id, tenant, event_id, event_type, recipient, account_id, template,
                               context)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (event_id, recipient) DO NOTHING RETURNING true""",
        uuid.uuid4(),
        tenant,
        event_id,
        event_type,
        recipient,
        account_id,
        template,
        json.dumps(context, ensure_ascii=False),
    )
    return bool(inserted)


async def add_notification(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    account_id: uuid.UUID,
    event_id: uuid.UUID,
    kind: str,
    title: str,
    body: str,
) -> None:
    await conn.execute(
        """INSERT INTO notifications (id, tenant, account_id, event_id, kind, title, body)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (event_id, account_id, kind) DO NOTHING""",
        uuid.uuid4(),
        tenant,
        account_id,
        event_id,
        kind,
        title,
        body,
    )


# --- emails (the dispatcher) -------------------------------------------------------------
async def claim_due(pool: asyncpg.Pool, limit: int, lease_seconds: float) -> list[dict[str, Any]]:
    """Claim due emails for this worker: counted as an attempt and leased (SKIP LOCKED, so
    replicas share the work). One not marked before the lease ends is due again."""
    rows = await pool.fetch(
        """WITH due AS (
               SELECT id FROM emails
               WHERE status = 'queued' AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
           UPDATE emails e SET attempts = e.attempts + 1,
                               next_attempt_at = now() + make_interval(secs => $2)
           FROM due WHERE e.id = due.id
           RETURNING e.id, e.tenant, e.recipient, e.template, e.context, e.attempts,
                     e.event_type""",
        limit,
        float(lease_seconds),
    )
    return [{**dict(row), "context": json.loads(row["context"])} for row in rows]


async def mark_sent(pool: asyncpg.Pool, sent: list[tuple[uuid.UUID, str]]) -> None:
    """Mark a batch as sent (email id, subject) in one statement."""
    if not sent:
        return
    await pool.execute(
        """UPDATE emails e SET status = 'sent', sent_at = now(), subject = s.subject,
                               last_error = NULL
           FROM unnest($1::uuid[], $2::text[]) AS s(id, subject) WHERE e.id = s.id""",
        [email_id for email_id, _ in sent],
        [subject for _, subject in sent],
    )


async def mark_retry(
    pool: asyncpg.Pool, email_id: uuid.UUID, subject: str | None, error: str, delay: float
) -> None:
    await pool.execute(
        """UPDATE emails SET last_error = $2, subject = coalesce($3, subject),
                             next_attempt_at = now() + make_interval(secs => $4)
           WHERE id = $1 AND status = 'queued'""",
        email_id,
        error,
        subject,
        float(delay),
    )


async def mark_failed(
    pool: asyncpg.Pool, email_id: uuid.UUID, subject: str | None, error: str
) -> None:
    await pool.execute(
        """UPDATE emails SET status = 'failed', last_error = $2, subject = coalesce($3, subject)
           WHERE id = $1""",
        email_id,
        error,
        subject,
    )


async def list_emails(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    recipient: str | None,
    account_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        """SELECT id, event_id, event_type, recipient, account_id, template, subject, status,
                  attempts, next_attempt_at, last_error, created_at, sent_at
           FROM emails
           WHERE tenant = $1
             AND ($2::text IS NULL OR lower(recipient) = lower($2))
             AND ($3::uuid IS NULL OR account_id = $3)
             AND ($4::text IS NULL OR status = $4)
           ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6""",
        tenant,
        recipient,
        account_id,
        status,
        limit,
        offset,
    )
    return [dict(row) for row in rows]


# --- notifications -----------------------------------------------------------------------
async def list_notifications(
    pool: asyncpg.Pool,
    tenant: str,
    account_id: uuid.UUID,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    rows = await pool.fetch(
        """SELECT id, kind, title, body, created_at, read_at FROM notifications
           WHERE tenant = $1 AND account_id = $2 AND (NOT $3 OR read_at IS NULL)
           ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5""",
        tenant,
        account_id,
        unread_only,
        limit,
        offset,
    )
    unread = await pool.fetchval(
        "SELECT count(*) FROM notifications"
        " WHERE tenant = $1 AND account_id = $2 AND read_at IS NULL",
        tenant,
        account_id,
    )
    return [dict(row) for row in rows], int(unread)


async def mark_read(
    pool: asyncpg.Pool, tenant: str, account_id: uuid.UUID, notification_id: uuid.UUID
) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        """UPDATE notifications SET read_at = coalesce(read_at, now())
           WHERE id = $1 AND tenant = $2 AND account_id = $3
           RETURNING id, kind, title, body, created_at, read_at""",
        notification_id,
        tenant,
        account_id,
    )
    return dict(row) if row else None


async def mark_all_read(pool: asyncpg.Pool, tenant: str, account_id: uuid.UUID) -> int:
    result = await pool.execute(
        "UPDATE notifications SET read_at = now()"
        " WHERE tenant = $1 AND account_id = $2 AND read_at IS NULL",
        tenant,
        account_id,
    )
    return int(result.split()[-1])
