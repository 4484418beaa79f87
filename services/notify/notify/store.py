"""All the SQL of the notify service."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

# A pool (one statement) or a unit of work's connection (inside its transaction).
Conn = asyncpg.Pool | asyncpg.Connection

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
async def tenant_row(conn: Conn, tenant: str) -> dict[str, Any] | None:
    row = await conn.fetchrow("SELECT * FROM tenants WHERE tenant = $1", tenant)
    return dict(row) if row else None


async def tenant_rows(pool: asyncpg.Pool, tenants: Iterable[str]) -> dict[str, dict[str, Any]]:
    rows = await pool.fetch("SELECT * FROM tenants WHERE tenant = ANY($1::text[])", list(tenants))
    return {row["tenant"]: dict(row) for row in rows}


async def upsert_tenant(conn: Conn, tenant: str, data: dict[str, Any]) -> dict[str, Any]:
    values = [data.get(name) for name in TENANT_FIELDS]
    columns = ", ".join(TENANT_FIELDS)
    placeholders = ", ".join(f"${i + 2}" for i in range(len(TENANT_FIELDS)))
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in TENANT_FIELDS)
    row = await conn.fetchrow(
        f"INSERT INTO tenants (tenant, {columns}) VALUES ($1, {placeholders})"
        f" ON CONFLICT (tenant) DO UPDATE SET {updates}, updated_at = now() RETURNING *",
        tenant,
        *values,
    )
    return dict(row)


# --- emails (queued by the use cases of the consumed events) --------------------------
async def queue_email(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    event_id: uuid.UUID,
    event_type: str,
    recipient: str | None,
    account_id: uuid.UUID | None,
    template: str,
    context: dict[str, Any],
    household_id: uuid.UUID | None = None,
) -> bool:
    """Queue one email; False when this (event, recipient) already has one.

    Without `recipient` the email is addressed to the account: the dispatcher sends it to the
    account's latest known address, and it is once per (event, account)."""
    by_account = recipient is None
    if by_account and account_id is None:
        raise ValueError("an email needs a recipient or an account")
    target = (
        "(event_id, account_id) WHERE by_account"
        if by_account
        else ("(event_id, recipient) WHERE NOT by_account")
    )
    inserted = await conn.fetchval(
        f"""INSERT INTO emails (id, tenant, event_id, event_type, recipient, account_id, template,
                                context, by_account, household_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
            ON CONFLICT {target} DO NOTHING RETURNING true""",
        uuid.uuid4(),
        tenant,
        event_id,
        event_type,
        recipient,
        account_id,
        template,
        context,
        by_account,
        household_id,
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
    household_id: uuid.UUID | None,
) -> None:
    await conn.execute(
        """INSERT INTO notifications
               (id, tenant, account_id, event_id, kind, title, body, household_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (event_id, account_id, kind) DO NOTHING""",
        uuid.uuid4(),
        tenant,
        account_id,
        event_id,
        kind,
        title,
        body,
        household_id,
    )


async def event_emailed(
    conn: asyncpg.Connection, event_id: uuid.UUID, account_id: uuid.UUID
) -> bool:
    """Whether a gathered email already carries this event's part for this account."""
    return bool(
        await conn.fetchval(
            "SELECT true FROM email_events WHERE event_id = $1 AND account_id = $2",
            event_id,
            account_id,
        )
    )


async def gather_email(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    event_id: uuid.UUID,
    event_type: str,
    account_id: uuid.UUID,
    template: str,
    group_key: str,
    context: dict[str, Any],
    grace: float,
    household_id: uuid.UUID | None = None,
) -> bool:
    """Add an event's parts (`context["parts"]`, a JSON object keyed by event) to the
    account's open email of `group_key` (one basket), or open one; it is due `grace` seconds
    after its last part (at most ten graces after the first). Once per (event, account):
    False when this event's part was already there."""
    if await event_emailed(conn, event_id, account_id):
        return False
    email_id = await conn.fetchval(
        """INSERT INTO emails (id, tenant, event_id, event_type, recipient, account_id, template,
                               context, by_account, group_key, group_open, next_attempt_at,
                               household_id)
           VALUES ($1, $2, $3, $4, NULL, $5, $6, $7::jsonb, true, $8, true,
                   now() + make_interval(secs => $9), $10)
           ON CONFLICT (tenant, group_key, account_id) WHERE group_open DO UPDATE
               SET context = jsonb_set(
                       emails.context, '{parts}',
                       (emails.context -> 'parts') || (EXCLUDED.context -> 'parts')),
                   next_attempt_at = least(greatest(emails.next_attempt_at,
                                                    EXCLUDED.next_attempt_at),
                                           emails.created_at + make_interval(secs => $9 * 10))
           RETURNING id""",
        uuid.uuid4(),
        tenant,
        event_id,
        event_type,
        account_id,
        template,
        context,
        group_key,
        float(grace),
        household_id,
    )
    await conn.execute(
        "INSERT INTO email_events (event_id, account_id, email_id) VALUES ($1, $2, $3)",
        event_id,
        account_id,
        email_id,
    )
    return True


async def next_due_in(pool: asyncpg.Pool) -> float | None:
    """Seconds until the next queued email is due (None when none is queued)."""
    value = await pool.fetchval(
        "SELECT extract(epoch FROM min(next_attempt_at) - now()) FROM emails"
        " WHERE status = 'queued'"
    )
    return None if value is None else float(value)


# --- emails (the dispatcher) -------------------------------------------------------------
async def take_dispatch_owner(conn: asyncpg.Connection, namespace: int, owner: int) -> bool:
    """This dispatcher's identity: a session advisory lock held on its own connection for as
    long as the process lives (Postgres drops it with the connection when the process dies)."""
    return bool(await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", namespace, owner))


async def claim_due(
    pool: asyncpg.Pool, limit: int, lease_seconds: float, *, namespace: int, owner: int
) -> list[dict[str, Any]]:
    """Claim due emails for this worker: counted as an attempt and leased to `owner` (SKIP
    LOCKED, so replicas share the work). One not marked before the lease ends is due again,
    and at once when its owner's advisory lock in `namespace` is gone (a dead dispatcher).

    An email addressed to an account gets the account's latest address (NULL while unknown)
    and its name (`account_name`)."""
    rows = await pool.fetch(
        """WITH alive AS (
               SELECT coalesce(array_agg(l.objid::bigint), '{}') AS owners FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                 AND l.classid = $3::bigint::oid
                 AND l.database = (SELECT oid FROM pg_database
                                   WHERE datname = current_database())),
           due AS (
               SELECT id FROM emails, alive
               WHERE status = 'queued'
                 AND (next_attempt_at <= now()
                      OR (lease_owner IS NOT NULL AND lease_owner <> ALL(alive.owners)))
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE OF emails SKIP LOCKED)
           UPDATE emails e SET attempts = e.attempts + 1,
                               group_open = false,
                               next_attempt_at = now() + make_interval(secs => $2),
                               lease_owner = $4,
                               recipient = CASE WHEN e.by_account THEN (
                                   SELECT a.email FROM accounts a
                                   WHERE a.tenant = e.tenant AND a.account_id = e.account_id)
                                   ELSE e.recipient END
           FROM due WHERE e.id = due.id
           RETURNING e.id, e.tenant, e.recipient, e.template, e.context, e.attempts,
                     e.event_type, e.by_account, e.account_id, e.created_at,
                     (SELECT a.display_name FROM accounts a
                      WHERE e.by_account AND a.tenant = e.tenant
                        AND a.account_id = e.account_id) AS account_name""",
        limit,
        float(lease_seconds),
        namespace,
        owner,
    )
    return [{**dict(row), "context": _context(row["context"])} for row in rows]


def _context(value: Any) -> dict[str, Any]:
    """An email's context: a JSON object (the jsonb codec decodes it); emails queued before
    0004 hold it as a JSON string."""
    return json.loads(value) if isinstance(value, str) else value


ADDRESS_UNKNOWN = "adresse inconnue"


async def await_address(
    pool: asyncpg.Pool, email_ids: list[uuid.UUID], *, recheck: float, give_up_after: float
) -> set[uuid.UUID]:
    """Emails whose account has no known address yet: not an attempt; looked at again when
    the address arrives (the handler makes them due), at the latest after `recheck` seconds;
    failed as « adresse inconnue » once `give_up_after` seconds have passed since they were
    queued. Returns those that were failed."""
    if not email_ids:
        return set()
    rows = await pool.fetch(
        """UPDATE emails SET
               attempts = greatest(attempts - 1, 0), lease_owner = NULL,
               status = CASE WHEN created_at + make_interval(secs => $3) <= now()
                             THEN 'failed' ELSE 'queued' END,
               next_attempt_at = least(now() + make_interval(secs => $2),
                                       created_at + make_interval(secs => $3)),
               last_error = CASE WHEN created_at + make_interval(secs => $3) <= now()
                   THEN $4::text || ' : aucune adresse e-mail connue pour ce compte après '
                        || $5::text || ' ; e-mail non envoyé'
                   ELSE $4::text || ' : en attente de l''adresse e-mail du compte' END
           WHERE id = ANY($1::uuid[]) AND status = 'queued'
           RETURNING id, status""",
        email_ids,
        float(recheck),
        float(give_up_after),
        ADDRESS_UNKNOWN,
        _duration(give_up_after),
    )
    return {row["id"] for row in rows if row["status"] == "failed"}


def _duration(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return f"{hours} heure{'s' if hours > 1 else ''}"
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{seconds:g} s"


async def mark_sent(pool: asyncpg.Pool, email_id: uuid.UUID, subject: str) -> None:
    """Mark one email sent, in its own statement, as soon as the server accepted it: a crash
    later in the batch cannot send it again."""
    await pool.execute(
        """UPDATE emails SET status = 'sent', sent_at = now(), subject = $2, last_error = NULL,
                             lease_owner = NULL
           WHERE id = $1""",
        email_id,
        subject,
    )


async def mark_retry(
    pool: asyncpg.Pool, email_id: uuid.UUID, subject: str | None, error: str, delay: float
) -> None:
    await pool.execute(
        """UPDATE emails SET last_error = $2, subject = coalesce($3, subject),
                             next_attempt_at = now() + make_interval(secs => $4),
                             lease_owner = NULL
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
        """UPDATE emails SET status = 'failed', last_error = $2, subject = coalesce($3, subject),
                             lease_owner = NULL
           WHERE id = $1""",
        email_id,
        error,
        subject,
    )


# An email as staff read it (the list and one email alike).
EMAIL_COLUMNS = """id, event_id, event_type, recipient, account_id, template, subject, status,
    attempts, next_attempt_at, last_error, created_at, sent_at, household_id"""


async def list_emails(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    recipient: str | None,
    account_id: uuid.UUID | Sequence[uuid.UUID] | None,
    status: str | None,
    limit: int,
    offset: int,
    household_id: uuid.UUID | None = None,
    event_type: str | None = None,
) -> list[dict[str, Any]]:
    """The tenant's emails, newest first; `account_id` one account or several (a staff
    page's rows in one query)."""
    account_ids = [account_id] if isinstance(account_id, uuid.UUID) else account_id
    rows = await pool.fetch(
        f"""SELECT {EMAIL_COLUMNS}
           FROM emails
           WHERE tenant = $1
             AND ($2::text IS NULL OR lower(recipient) = lower($2))
             AND ($3::uuid[] IS NULL OR account_id = ANY($3::uuid[]))
             AND ($4::text IS NULL OR status = $4)
             AND ($7::uuid IS NULL OR household_id IS NULL OR household_id = $7)
             AND ($8::text IS NULL OR event_type = $8)
           ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6""",
        tenant,
        recipient,
        list(account_ids) if account_ids is not None else None,
        status,
        limit,
        offset,
        household_id,
        event_type,
    )
    return [dict(row) for row in rows]


async def get_email(pool: asyncpg.Pool, tenant: str, email_id: uuid.UUID) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        f"SELECT {EMAIL_COLUMNS} FROM emails WHERE tenant = $1 AND id = $2",
        tenant,
        email_id,
    )
    return dict(row) if row else None


# --- the account and household read models (identity and family events) -----------------
async def record_account(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    account_id: uuid.UUID,
    email: str,
    display_name: str,
    seen_at: datetime,
) -> bool:
    """Keep the account's address from an event unless a newer event already set it; the
    account's emails waiting for an address are made due. True when the row changed."""
    changed = await conn.fetchval(
        """INSERT INTO accounts (tenant, account_id, email, display_name, seen_at)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant, account_id) DO UPDATE
               SET email = EXCLUDED.email, display_name = EXCLUDED.display_name,
                   seen_at = EXCLUDED.seen_at, updated_at = now()
               WHERE accounts.seen_at <= EXCLUDED.seen_at
           RETURNING true""",
        tenant,
        account_id,
        email,
        display_name,
        seen_at,
    )
    await conn.execute(
        """UPDATE emails SET next_attempt_at = now()
           WHERE tenant = $1 AND account_id = $2 AND by_account AND status = 'queued'
             AND recipient IS NULL AND next_attempt_at > now()""",
        tenant,
        account_id,
    )
    return bool(changed)


async def link_household(
    conn: asyncpg.Connection,
    *,
    tenant: str,
    household_id: uuid.UUID,
    account_id: uuid.UUID,
    linked_at: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO household_members (tenant, household_id, account_id, linked_at)
           VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING""",
        tenant,
        household_id,
        account_id,
        linked_at,
    )


async def unlink_household(
    conn: asyncpg.Connection, *, tenant: str, household_id: uuid.UUID
) -> None:
    await conn.execute(
        "DELETE FROM household_members WHERE tenant = $1 AND household_id = $2",
        tenant,
        household_id,
    )


async def household_accounts(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[uuid.UUID]:
    """The accounts linked to a household, in the order they were linked."""
    rows = await conn.fetch(
        "SELECT account_id FROM household_members WHERE tenant = $1 AND household_id = $2"
        " ORDER BY linked_at, account_id",
        tenant,
        household_id,
    )
    return [row["account_id"] for row in rows]


# --- notifications -----------------------------------------------------------------------
# An account sees the notices of its current household and those about itself (no household);
# a token naming no household yet (linked since it was issued) sees all the account's own.
_SEEN = (
    "tenant = $1 AND account_id = $2"
    " AND (household_id IS NULL OR $3::uuid IS NULL OR household_id = $3)"
)


async def list_notifications(
    pool: asyncpg.Pool,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID | None,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    rows = await pool.fetch(
        f"""SELECT id, kind, title, body, created_at, read_at FROM notifications
            WHERE {_SEEN} AND (NOT $4 OR read_at IS NULL)
            ORDER BY created_at DESC, id DESC LIMIT $5 OFFSET $6""",
        tenant,
        account_id,
        household_id,
        unread_only,
        limit,
        offset,
    )
    unread = await pool.fetchval(
        f"SELECT count(*) FROM notifications WHERE {_SEEN} AND read_at IS NULL",
        tenant,
        account_id,
        household_id,
    )
    return [dict(row) for row in rows], int(unread)


async def mark_read(
    conn: Conn,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID | None,
    notification_id: uuid.UUID,
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""UPDATE notifications SET read_at = coalesce(read_at, now())
            WHERE {_SEEN} AND id = $4
            RETURNING id, kind, title, body, created_at, read_at""",
        tenant,
        account_id,
        household_id,
        notification_id,
    )
    return dict(row) if row else None


async def mark_all_read(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID | None
) -> int:
    result = await conn.execute(
        f"UPDATE notifications SET read_at = now() WHERE {_SEEN} AND read_at IS NULL",
        tenant,
        account_id,
        household_id,
    )
    return int(result.split()[-1])


# --- news ---------------------------------------------------------------------------------
NEWS_COLUMNS = """n.id, n.title, n.body, n.publish_from, n.publish_until, n.activity_id,
    n.unpublished_at, n.created_by, n.created_at, n.updated_at,
    CASE WHEN n.unpublished_at IS NOT NULL THEN 'unpublished'
         WHEN n.publish_from > now() THEN 'scheduled'
         WHEN n.publish_until <= now() THEN 'expired'
         ELSE 'current' END AS state"""

ATTACHMENT_COLUMNS = "id, news_id, filename, content_type, size, sha256, created_at"

# What a family sees: published, inside its window, and untargeted or targeted to an activity
# one of the household's children attends ($2: the household, NULL when none).
VISIBLE = """n.tenant = $1 AND n.unpublished_at IS NULL
    AND n.publish_from <= now() AND (n.publish_until IS NULL OR n.publish_until > now())
    AND (n.activity_id IS NULL OR EXISTS (
        SELECT 1 FROM family_activities fa
        WHERE fa.tenant = n.tenant AND fa.household_id = $2::uuid
          AND fa.activity_id = n.activity_id))"""

NEWS_UPDATABLE = ("title", "body", "publish_from", "publish_until", "activity_id")


async def _with_attachments(conn: Conn, rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    items = [{**dict(row), "attachments": []} for row in rows]
    if not items:
        return items
    by_id = {item["id"]: item for item in items}
    attachments = await conn.fetch(
        f"SELECT {ATTACHMENT_COLUMNS} FROM news_attachments WHERE news_id = ANY($1::uuid[])"
        " ORDER BY seq",
        list(by_id),
    )
    for attachment in attachments:
        by_id[attachment["news_id"]]["attachments"].append(dict(attachment))
    return items


async def create_news(
    conn: asyncpg.Connection,
    tenant: str,
    *,
    title: str,
    body: str,
    publish_from: datetime,
    publish_until: datetime | None,
    activity_id: uuid.UUID | None,
    created_by: uuid.UUID | None,
) -> uuid.UUID:
    news_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO news (id, tenant, title, body, publish_from, publish_until, activity_id,
                             created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        news_id,
        tenant,
        title,
        body,
        publish_from,
        publish_until,
        activity_id,
        created_by,
    )
    return news_id


async def add_attachment(
    conn: asyncpg.Connection,
    tenant: str,
    news_id: uuid.UUID,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    sha256: str,
) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"""INSERT INTO news_attachments (id, tenant, news_id, filename, content_type, size,
                                          sha256, content)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {ATTACHMENT_COLUMNS}""",
        uuid.uuid4(),
        tenant,
        news_id,
        filename,
        content_type,
        len(content),
        sha256,
        content,
    )
    return dict(row)


async def lock_news(conn: asyncpg.Connection, tenant: str, news_id: uuid.UUID) -> int | None:
    """Lock a news for a change; its number of attachments, None when it does not exist."""
    found = await conn.fetchval(
        "SELECT true FROM news WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, news_id
    )
    if not found:
        return None
    return int(
        await conn.fetchval("SELECT count(*) FROM news_attachments WHERE news_id = $1", news_id)
    )


async def get_news(conn: Conn, tenant: str, news_id: uuid.UUID) -> dict[str, Any] | None:
    rows = await conn.fetch(
        f"SELECT {NEWS_COLUMNS} FROM news n WHERE n.tenant = $1 AND n.id = $2", tenant, news_id
    )
    items = await _with_attachments(conn, rows)
    return items[0] if items else None


async def list_news(
    pool: asyncpg.Pool, tenant: str, *, state: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f"""SELECT * FROM (SELECT {NEWS_COLUMNS} FROM news n WHERE n.tenant = $1) s
            WHERE $2::text IS NULL OR s.state = $2
            ORDER BY s.publish_from DESC, s.id DESC LIMIT $3 OFFSET $4""",
        tenant,
        state,
        limit,
        offset,
    )
    return await _with_attachments(pool, rows)


async def update_news(
    conn: asyncpg.Connection, tenant: str, news_id: uuid.UUID, changes: dict[str, Any]
) -> None:
    names = [name for name in NEWS_UPDATABLE if name in changes]
    if not names:
        return
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE news SET {sets}, updated_at = now() WHERE tenant = $1 AND id = $2",
        tenant,
        news_id,
        *(changes[name] for name in names),
    )


async def set_unpublished(conn: Conn, tenant: str, news_id: uuid.UUID, unpublished: bool) -> bool:
    result = await conn.execute(
        """UPDATE news SET unpublished_at = CASE WHEN $3 THEN coalesce(unpublished_at, now()) END,
                           updated_at = now()
           WHERE tenant = $1 AND id = $2""",
        tenant,
        news_id,
        unpublished,
    )
    return result != "UPDATE 0"


async def delete_news(conn: Conn, tenant: str, news_id: uuid.UUID) -> bool:
    result = await conn.execute("DELETE FROM news WHERE tenant = $1 AND id = $2", tenant, news_id)
    return result != "DELETE 0"


async def attachment(
    pool: asyncpg.Pool, tenant: str, news_id: uuid.UUID, attachment_id: uuid.UUID
) -> dict[str, Any] | None:
    """An attachment with its content, for staff."""
    row = await pool.fetchrow(
        f"""SELECT {ATTACHMENT_COLUMNS}, content FROM news_attachments
            WHERE tenant = $1 AND news_id = $2 AND id = $3""",
        tenant,
        news_id,
        attachment_id,
    )
    return dict(row) if row else None


async def delete_attachment(
    conn: Conn, tenant: str, news_id: uuid.UUID, attachment_id: uuid.UUID
) -> bool:
    result = await conn.execute(
        "DELETE FROM news_attachments WHERE tenant = $1 AND news_id = $2 AND id = $3",
        tenant,
        news_id,
        attachment_id,
    )
    return result != "DELETE 0"


async def visible_news(
    pool: asyncpg.Pool,
    tenant: str,
    household_id: uuid.UUID | None,
    *,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        f"""SELECT {NEWS_COLUMNS} FROM news n WHERE {VISIBLE}
            ORDER BY n.publish_from DESC, n.id DESC LIMIT $3 OFFSET $4""",
        tenant,
        household_id,
        limit,
        offset,
    )
    return await _with_attachments(pool, rows)


async def visible_news_item(
    pool: asyncpg.Pool, tenant: str, household_id: uuid.UUID | None, news_id: uuid.UUID
) -> dict[str, Any] | None:
    rows = await pool.fetch(
        f"SELECT {NEWS_COLUMNS} FROM news n WHERE {VISIBLE} AND n.id = $3",
        tenant,
        household_id,
        news_id,
    )
    items = await _with_attachments(pool, rows)
    return items[0] if items else None


async def visible_attachment(
    pool: asyncpg.Pool,
    tenant: str,
    household_id: uuid.UUID | None,
    news_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> dict[str, Any] | None:
    """An attachment with its content, only when its news is visible to the household."""
    row = await pool.fetchrow(
        f"""SELECT a.id, a.filename, a.content_type, a.size, a.sha256, a.content
            FROM news n JOIN news_attachments a ON a.news_id = n.id
            WHERE {VISIBLE} AND n.id = $3 AND a.id = $4""",
        tenant,
        household_id,
        news_id,
        attachment_id,
    )
    return dict(row) if row else None


# --- the family ↔ activity read model (filled by the booking events) ----------------------
async def add_family_activity(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    activity_id: uuid.UUID,
) -> None:
    await conn.execute(
        "INSERT INTO family_activities (tenant, household_id, activity_id) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        tenant,
        household_id,
        activity_id,
    )


async def other_tenants_activities(
    conn: Conn, tenant: str, activity_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of the ids the read model knows as another tenant's activities only (an
    activity id is one tenant's)."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT fa.activity_id FROM family_activities fa
        WHERE fa.activity_id = ANY($2::uuid[]) AND fa.tenant <> $1
          AND NOT EXISTS (SELECT 1 FROM family_activities mine
                          WHERE mine.tenant = $1 AND mine.activity_id = fa.activity_id)
        ORDER BY fa.activity_id
        """,
        tenant,
        activity_ids,
    )
    return [r["activity_id"] for r in rows]


async def forget_family_activities(conn: Conn, tenant: str, household_id: uuid.UUID) -> None:
    await conn.execute(
        "DELETE FROM family_activities WHERE tenant = $1 AND household_id = $2",
        tenant,
        household_id,
    )


# --- information pages --------------------------------------------------------------------
async def list_pages(pool: asyncpg.Pool, tenant: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT slug, title, position, updated_at FROM info_pages WHERE tenant = $1"
        " ORDER BY position, title, slug",
        tenant,
    )
    return [dict(row) for row in rows]


async def get_page(pool: asyncpg.Pool, tenant: str, slug: str) -> dict[str, Any] | None:
    row = await pool.fetchrow(
        "SELECT * FROM info_pages WHERE tenant = $1 AND slug = $2", tenant, slug
    )
    return dict(row) if row else None


async def put_page(
    conn: Conn, tenant: str, slug: str, data: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Create or replace a page; (page, created)."""
    row = await conn.fetchrow(
        """INSERT INTO info_pages (tenant, slug, title, body, position)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant, slug) DO UPDATE
               SET title = EXCLUDED.title, body = EXCLUDED.body, position = EXCLUDED.position,
                   updated_at = now()
           RETURNING *, (xmax = 0) AS created""",
        tenant,
        slug,
        data["title"],
        data["body"],
        data["position"],
    )
    page = dict(row)
    return page, bool(page.pop("created"))


async def delete_page(conn: Conn, tenant: str, slug: str) -> bool:
    result = await conn.execute(
        "DELETE FROM info_pages WHERE tenant = $1 AND slug = $2", tenant, slug
    )
    return result != "DELETE 0"


# --- canteen menus ------------------------------------------------------------------------
def _menu(row: asyncpg.Record) -> dict[str, Any]:
    return {**dict(row), "days": json.loads(row["days"])}


async def menus(pool: asyncpg.Pool, tenant: str, weeks: list[date]) -> dict[date, dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT week_start, days, remarks, updated_at FROM canteen_menus"
        " WHERE tenant = $1 AND week_start = ANY($2::date[])",
        tenant,
        weeks,
    )
    return {row["week_start"]: _menu(row) for row in rows}


async def put_menu(
    conn: Conn,
    tenant: str,
    week_start: date,
    days: list[dict[str, Any]],
    remarks: str | None,
) -> tuple[dict[str, Any], bool]:
    row = await conn.fetchrow(
        """INSERT INTO canteen_menus (tenant, week_start, days, remarks)
           VALUES ($1, $2, $3::jsonb, $4)
           ON CONFLICT (tenant, week_start) DO UPDATE
               SET days = EXCLUDED.days, remarks = EXCLUDED.remarks, updated_at = now()
           RETURNING week_start, days, remarks, updated_at, (xmax = 0) AS created""",
        tenant,
        week_start,
        json.dumps(days, ensure_ascii=False),
        remarks,
    )
    menu = _menu(row)
    return menu, bool(menu.pop("created"))


async def delete_menu(conn: Conn, tenant: str, week_start: date) -> bool:
    result = await conn.execute(
        "DELETE FROM canteen_menus WHERE tenant = $1 AND week_start = $2", tenant, week_start
    )
    return result != "DELETE 0"


# --- town documents -----------------------------------------------------------------------
TOWN_DOCUMENT_COLUMNS = """d.id, d.title, d.category, d.description, d.filename, d.content_type,
    d.size, d.sha256, d.version, d.valid_from, d.valid_until, d.published, d.position,
    d.created_by, d.created_at, d.updated_at"""

# Published and in force on $2 (the tenant's today): what families see.
IN_FORCE = """d.published AND (d.valid_from IS NULL OR d.valid_from <= $2::date)
    AND (d.valid_until IS NULL OR d.valid_until >= $2::date)"""

TOWN_DOCUMENT_UPDATABLE = (
    "title",
    "category",
    "description",
    "valid_from",
    "valid_until",
    "published",
    "position",
)


async def _with_links(conn: Conn, rows: list[asyncpg.Record]) -> list[dict[str, Any]]:
    items = [{**dict(row), "activity_ids": [], "page_slugs": []} for row in rows]
    if not items:
        return items
    by_id = {item["id"]: item for item in items}
    links = await conn.fetch(
        """SELECT document_id, activity_id, page_slug FROM town_document_links
           WHERE document_id = ANY($1::uuid[]) ORDER BY page_slug, activity_id""",
        list(by_id),
    )
    for link in links:
        item = by_id[link["document_id"]]
        if link["activity_id"] is not None:
            item["activity_ids"].append(link["activity_id"])
        else:
            item["page_slugs"].append(link["page_slug"])
    return items


async def create_town_document(
    conn: asyncpg.Connection,
    tenant: str,
    data: dict[str, Any],
    *,
    filename: str,
    content_type: str,
    content: bytes,
    sha256: str,
    created_by: uuid.UUID | None,
) -> uuid.UUID:
    document_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO town_documents (id, tenant, title, category, description, filename,
               content_type, size, sha256, content, valid_from, valid_until, published,
               position, created_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)""",
        document_id,
        tenant,
        data["title"],
        data["category"],
        data["description"],
        filename,
        content_type,
        len(content),
        sha256,
        content,
        data["valid_from"],
        data["valid_until"],
        data["published"],
        data["position"],
        created_by,
    )
    return document_id


async def lock_town_document(
    conn: asyncpg.Connection, tenant: str, document_id: uuid.UUID
) -> dict[str, Any] | None:
    row = await conn.fetchrow(
        f"""SELECT {TOWN_DOCUMENT_COLUMNS} FROM town_documents d
            WHERE d.tenant = $1 AND d.id = $2 FOR UPDATE""",
        tenant,
        document_id,
    )
    return dict(row) if row else None


async def get_town_document(
    conn: Conn, tenant: str, document_id: uuid.UUID
) -> dict[str, Any] | None:
    rows = await conn.fetch(
        f"SELECT {TOWN_DOCUMENT_COLUMNS} FROM town_documents d WHERE d.tenant = $1 AND d.id = $2",
        tenant,
        document_id,
    )
    items = await _with_links(conn, rows)
    return items[0] if items else None


async def list_town_documents(
    conn: Conn,
    tenant: str,
    *,
    in_force_on: date | None,
    activity_id: uuid.UUID | None = None,
    page_slug: str | None = None,
) -> list[dict[str, Any]]:
    """The tenant's documents by category and position; `in_force_on`: only those published
    and in force that day; `activity_id`, `page_slug`: only those linked there."""
    rows = await conn.fetch(
        f"""SELECT {TOWN_DOCUMENT_COLUMNS} FROM town_documents d
            WHERE d.tenant = $1 AND ($2::date IS NULL OR ({IN_FORCE}))
              AND ($3::uuid IS NULL OR EXISTS (
                  SELECT 1 FROM town_document_links l
                  WHERE l.document_id = d.id AND l.activity_id = $3::uuid))
              AND ($4::text IS NULL OR EXISTS (
                  SELECT 1 FROM town_document_links l
                  WHERE l.document_id = d.id AND l.page_slug = $4::text))
            ORDER BY array_position(
                         ARRAY['rules', 'form', 'official', 'tariffs', 'other'], d.category),
                     d.position, d.title, d.id""",
        tenant,
        in_force_on,
        activity_id,
        page_slug,
    )
    return await _with_links(conn, rows)


async def update_town_document(
    conn: asyncpg.Connection, tenant: str, document_id: uuid.UUID, changes: dict[str, Any]
) -> None:
    names = [name for name in TOWN_DOCUMENT_UPDATABLE if name in changes]
    if not names:
        return
    sets = ", ".join(f"{name} = ${i + 3}" for i, name in enumerate(names))
    await conn.execute(
        f"UPDATE town_documents SET {sets}, updated_at = now() WHERE tenant = $1 AND id = $2",
        tenant,
        document_id,
        *(changes[name] for name in names),
    )


async def replace_town_document_file(
    conn: asyncpg.Connection,
    tenant: str,
    document_id: uuid.UUID,
    *,
    filename: str,
    content_type: str,
    content: bytes,
    sha256: str,
) -> bool:
    result = await conn.execute(
        """UPDATE town_documents SET filename = $3, content_type = $4, size = $5, sha256 = $6,
                                     content = $7, version = version + 1, updated_at = now()
           WHERE tenant = $1 AND id = $2""",
        tenant,
        document_id,
        filename,
        content_type,
        len(content),
        sha256,
        content,
    )
    return result != "UPDATE 0"


async def set_town_document_links(
    conn: asyncpg.Connection,
    tenant: str,
    document_id: uuid.UUID,
    *,
    activity_ids: list[uuid.UUID] | None,
    page_slugs: list[str] | None,
) -> None:
    """Replace the activities and/or the pages a document is linked to (None: unchanged)."""
    if activity_ids is not None:
        await conn.execute(
            "DELETE FROM town_document_links WHERE document_id = $1 AND activity_id IS NOT NULL",
            document_id,
        )
        await conn.executemany(
            "INSERT INTO town_document_links (document_id, tenant, activity_id)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(document_id, tenant, activity_id) for activity_id in activity_ids],
        )
    if page_slugs is not None:
        await conn.execute(
            "DELETE FROM town_document_links WHERE document_id = $1 AND page_slug IS NOT NULL",
            document_id,
        )
        await conn.executemany(
            "INSERT INTO town_document_links (document_id, tenant, page_slug)"
            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [(document_id, tenant, slug) for slug in page_slugs],
        )


async def missing_pages(conn: Conn, tenant: str, slugs: list[str]) -> list[str]:
    """Those of `slugs` that are not information pages of the tenant."""
    found = await conn.fetch(
        "SELECT slug FROM info_pages WHERE tenant = $1 AND slug = ANY($2::text[])", tenant, slugs
    )
    known = {row["slug"] for row in found}
    return [slug for slug in slugs if slug not in known]


async def forget_page_links(conn: Conn, tenant: str, slug: str) -> None:
    await conn.execute(
        "DELETE FROM town_document_links WHERE tenant = $1 AND page_slug = $2", tenant, slug
    )


async def delete_town_document(conn: Conn, tenant: str, document_id: uuid.UUID) -> bool:
    result = await conn.execute(
        "DELETE FROM town_documents WHERE tenant = $1 AND id = $2", tenant, document_id
    )
    return result != "DELETE 0"


async def town_document_file(
    pool: asyncpg.Pool, tenant: str, document_id: uuid.UUID, *, in_force_on: date | None
) -> dict[str, Any] | None:
    """A document's file; `in_force_on`: only when published and in force that day."""
    row = await pool.fetchrow(
        f"""SELECT d.id, d.filename, d.content_type, d.size, d.sha256, d.content
            FROM town_documents d
            WHERE d.tenant = $1 AND d.id = $3 AND ($2::date IS NULL OR ({IN_FORCE}))""",
        tenant,
        in_force_on,
        document_id,
    )
    return dict(row) if row else None


# --- reminder preferences (issue 18) ------------------------------------------------------
async def booking_reminders(conn: Conn, tenant: str, account_id: uuid.UUID) -> bool:
    """Whether the account wants the week reminders (on unless it said no)."""
    value = await conn.fetchval(
        "SELECT booking_reminders FROM reminder_preferences WHERE tenant = $1 AND account_id = $2",
        tenant,
        account_id,
    )
    return True if value is None else bool(value)


async def set_booking_reminders(
    conn: Conn, tenant: str, account_id: uuid.UUID, wanted: bool, now: datetime
) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO reminder_preferences (tenant, account_id, booking_reminders, updated_at)
               VALUES ($1, $2, $3, $4)
               ON CONFLICT (tenant, account_id) DO UPDATE
                   SET booking_reminders = EXCLUDED.booking_reminders,
                       updated_at = EXCLUDED.updated_at
               RETURNING booking_reminders""",
            tenant,
            account_id,
            wanted,
            now,
        )
    )


async def reminders_refused(
    conn: Conn, tenant: str, account_ids: Iterable[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of the accounts that turned the week reminders off."""
    rows = await conn.fetch(
        "SELECT account_id FROM reminder_preferences"
        " WHERE tenant = $1 AND account_id = ANY($2::uuid[]) AND NOT booking_reminders",
        tenant,
        list(account_ids),
    )
    return {row["account_id"] for row in rows}
