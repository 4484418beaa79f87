"""SQL of reminders and recovery: the régies' schedules, the reminders sent, what an invoice
still owes as the ledger says, collection dockets and the invoices sent to recovery.

What an invoice still owes is the core's ledger-derived `remaining_cents` (the same
expression every invoice read uses: payments of any method and credit notes deducted), less
the credit notes issued for its own days that nothing else used yet (`pending_credit_cents`,
see `domain.reminders.amount_due`). Never a stored "paid" flag."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from billing.store import _INVOICE_VIEW, Conn, Row, _all, _one
from billing.store.credits import _CREDIT_VIEW


async def _fetch(conn: Conn, sql: str, *args: object) -> list[asyncpg.Record]:
    """Reads summing the ledger per invoice: the planner's cost estimate for the correlated
    sums passes the JIT threshold although they run in milliseconds, and compiling them
    takes seconds (measured: 4.9 s of JIT for a 0.7 s overdue list of 25,000 invoices). JIT
    is turned off for the transaction they run in (the caller's, when it has one)."""
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as own, own.transaction():
            await own.execute("SET LOCAL jit = off")
            return await own.fetch(sql, *args)
    if conn.is_in_transaction():
        await conn.execute("SET LOCAL jit = off")
        return await conn.fetch(sql, *args)
    async with conn.transaction():
        await conn.execute("SET LOCAL jit = off")
        return await conn.fetch(sql, *args)


# --- schedules ---------------------------------------------------------------------------


async def get_schedule(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM reminder_schedules WHERE tenant = $1 AND regie_id = $2",
            tenant,
            regie_id,
        )
    )


async def lock_schedule(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    """The régie's schedule, locked until the transaction ends: dockets of a régie are made
    one at a time (their numbers, the invoices they take)."""
    return _one(
        await conn.fetchrow(
            "SELECT * FROM reminder_schedules WHERE tenant = $1 AND regie_id = $2 FOR UPDATE",
            tenant,
            regie_id,
        )
    )


async def upsert_schedule(
    conn: Conn, tenant: str, regie_id: uuid.UUID, data: Row, actor: uuid.UUID, now: datetime
) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO reminder_schedules (regie_id, tenant, offsets_days, minimum_cents,
               recovery_after_days, updated_by, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (regie_id) DO UPDATE SET offsets_days = EXCLUDED.offsets_days,
               minimum_cents = EXCLUDED.minimum_cents,
               recovery_after_days = EXCLUDED.recovery_after_days,
               updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
           WHERE reminder_schedules.tenant = EXCLUDED.tenant
           RETURNING *""",
        regie_id,
        tenant,
        list(data["offsets_days"]),
        data["minimum_cents"],
        data["recovery_after_days"],
        actor,
        now,
    )
    return dict(row)


# --- what invoices owe -------------------------------------------------------------------

# Credit notes issued for an invoice's own days, each counted for what it credits on this
# invoice and only while it is still available (not yet deducted elsewhere or refunded).
_PENDING_CREDIT = f"""coalesce((
    SELECT sum(least(c.credited_cents, (
        SELECT a.available_cents FROM (SELECT {_CREDIT_VIEW} FROM credit_notes n
                                       WHERE n.id = c.credit_note_id) a)))
    FROM (SELECT cl.credit_note_id, sum(cl.amount_cents) AS credited_cents
          FROM invoice_lines il JOIN credit_note_lines cl ON cl.invoice_line_id = il.id
          WHERE il.invoice_id = v.id
          GROUP BY cl.credit_note_id) c), 0)"""


def _states(where: str, schedule_join: str = "LEFT JOIN") -> str:
    """Each issued invoice matching `where` (a fixed fragment over `i`, never user text)
    with what it still owes, its last reminder, whether it went to recovery, and its
    régie's schedule."""
    return f"""
        SELECT v.id, v.tenant, v.regie_id, r.code AS regie_code, r.name AS regie_name,
               v.household_id, v.payer_id, p.account_id AS payer_account_id, v.payer,
               v.number, v.issue_date, v.due_date, v.total_cents, v.remaining_cents,
               {_PENDING_CREDIT} AS pending_credit_cents,
               m.level AS last_level, m.reminded_on AS last_reminded_on,
               ri.docket_id, d.number AS docket_number, (ri.invoice_id IS NOT NULL) AS in_recovery,
               s.offsets_days, s.minimum_cents, s.recovery_after_days
        FROM (SELECT {_INVOICE_VIEW} FROM invoices i
              WHERE i.status = 'issued' AND {where}) v
        JOIN regies r ON r.id = v.regie_id
        {schedule_join} reminder_schedules s ON s.regie_id = v.regie_id
        LEFT JOIN payers p ON p.id = v.payer_id
        LEFT JOIN recovery_items ri ON ri.invoice_id = v.id
        LEFT JOIN recovery_dockets d ON d.id = ri.docket_id
        LEFT JOIN LATERAL (SELECT x.level, x.reminded_on FROM invoice_reminders x
                           WHERE x.invoice_id = v.id ORDER BY x.level DESC LIMIT 1) m ON true"""


async def invoice_states(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    """Read in a statement of its own: after the payers' lock, it sees every change
    committed before the lock was taken."""
    return _all(
        await _fetch(conn, _states("i.id = ANY($1::uuid[])") + " ORDER BY v.id", list(invoice_ids))
    )


async def reminder_chunk(
    conn: Conn,
    *,
    tenant: str | None,
    regie_id: uuid.UUID | None,
    today: date,
    after: uuid.UUID | None,
    limit: int,
) -> list[uuid.UUID]:
    """The next `limit` invoices (by id, after `after`) that may be due a reminder: issued,
    of a régie with a schedule, past the first reminder's date, not in recovery, not yet at
    the schedule's last level, something remaining due in the ledger (settled ones are read,
    never locked). The rules decide on their `invoice_states`."""
    rows = await _fetch(
        conn,
        f"""SELECT v.id FROM (
                SELECT {_INVOICE_VIEW} FROM invoices i
                JOIN reminder_schedules s ON s.regie_id = i.regie_id
                WHERE i.status = 'issued'
                  AND ($1::text IS NULL OR i.tenant = $1)
                  AND ($2::uuid IS NULL OR i.regie_id = $2)
                  AND ($4::uuid IS NULL OR i.id > $4)
                  AND cardinality(s.offsets_days) > 0
                  AND i.due_date + s.offsets_days[1] <= $3
                  AND NOT EXISTS (SELECT 1 FROM recovery_items ri WHERE ri.invoice_id = i.id)
                  AND NOT EXISTS (SELECT 1 FROM invoice_reminders x WHERE x.invoice_id = i.id
                                  AND x.level >= cardinality(s.offsets_days))) v
            WHERE v.remaining_cents > 0
            ORDER BY v.id
            LIMIT $5""",
        tenant,
        regie_id,
        today,
        after,
        limit,
    )
    return [r["id"] for r in rows]


# --- reminders ---------------------------------------------------------------------------


async def insert_reminders(conn: Conn, reminders: Sequence[Row]) -> list[Row]:
    """The reminders not sent before (a level already recorded for an invoice is left as
    it was): only those returned are new."""
    if not reminders:
        return []
    names = (
        "invoice_id",
        "level",
        "tenant",
        "regie_id",
        "household_id",
        "payer_id",
        "reminded_on",
        "amount_due_cents",
        "last",
        "at",
    )
    return _all(
        await conn.fetch(
            f"""INSERT INTO invoice_reminders ({", ".join(names)})
                SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::uuid[],
                                     $5::uuid[], $6::uuid[], $7::date[], $8::integer[],
                                     $9::boolean[], $10::timestamptz[])
                ON CONFLICT (invoice_id, level) DO NOTHING
                RETURNING *""",
            *([x[name] for x in reminders] for name in names),
        )
    )


async def invoice_reminders(conn: Conn, tenant: str, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT invoice_id, level, reminded_on, amount_due_cents, last
               FROM invoice_reminders WHERE tenant = $1 AND invoice_id = ANY($2::uuid[])
               ORDER BY invoice_id, level""",
            tenant,
            list(invoice_ids),
        )
    )


async def in_recovery(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """The invoices among these that were sent to recovery: the treasury collects them now,
    the régie no longer does (no reminder, no online payment)."""
    rows = await conn.fetch(
        "SELECT invoice_id FROM recovery_items WHERE invoice_id = ANY($1::uuid[])",
        list(invoice_ids),
    )
    return {r["invoice_id"] for r in rows}


# --- overdue lists -----------------------------------------------------------------------

_OVERDUE_WHERE = """i.tenant = $1 AND i.due_date < $2
    AND ($3::uuid IS NULL OR i.regie_id = $3)
    AND ($4::uuid IS NULL OR i.household_id = $4)
    AND i.due_date <= $2 - $5::integer"""


def _overdue() -> str:
    return f"""SELECT o.*, o.remaining_cents - least(o.remaining_cents,
                      o.pending_credit_cents) AS amount_due_cents
               FROM ({_states(_OVERDUE_WHERE)}) o
               WHERE o.remaining_cents > o.pending_credit_cents
                 AND ($6::boolean IS NULL OR o.in_recovery = $6)"""


async def overdue_invoices(conn: Conn, tenant: str, today: date, filters: Row) -> list[Row]:
    """Invoices past their due date that still owe something, oldest due first; each row
    carries `total_count`, the number of rows without paging."""
    return _all(
        await _fetch(
            conn,
            f"""SELECT q.*, count(*) OVER () AS total_count FROM ({_overdue()}) q
                ORDER BY q.due_date, q.number
                LIMIT $7 OFFSET $8""",
            tenant,
            today,
            filters.get("regie_id"),
            filters.get("household_id"),
            filters.get("min_days_late") or 0,
            filters.get("in_recovery"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


async def overdue_households(conn: Conn, tenant: str, today: date, filters: Row) -> list[Row]:
    """Per household: its overdue invoices' count and amount due, the oldest due date, the
    highest reminder level reached, how many went to recovery; the most owed first."""
    return _all(
        await _fetch(
            conn,
            f"""SELECT q.household_id, count(*) AS invoice_count,
                       sum(q.amount_due_cents)::bigint AS amount_due_cents,
                       min(q.due_date) AS oldest_due_date,
                       max(q.last_level) AS highest_level,
                       count(*) FILTER (WHERE q.in_recovery) AS in_recovery_count,
                       sum(q.amount_due_cents) FILTER (WHERE q.in_recovery)::bigint
                           AS in_recovery_cents,
                       (array_agg(q.payer ->> 'name' ORDER BY q.due_date DESC))[1]
                           AS payer_name,
                       count(*) OVER () AS total_count
                FROM ({_overdue()}) q
                GROUP BY q.household_id
                ORDER BY sum(q.amount_due_cents) DESC, min(q.due_date), q.household_id
                LIMIT $7 OFFSET $8""",
            tenant,
            today,
            filters.get("regie_id"),
            filters.get("household_id"),
            filters.get("min_days_late") or 0,
            filters.get("in_recovery"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


# --- recovery ----------------------------------------------------------------------------


_RECOVERY_STATES = _states("i.tenant = $1 AND i.regie_id = $2 AND i.due_date < $3", "JOIN")


async def recovery_candidates(
    conn: Conn, tenant: str, regie_id: uuid.UUID, today: date
) -> list[Row]:
    """The régie's overdue invoices not yet sent to recovery that still owe something
    (whether each may go now is the domain's `recoverable`)."""
    return _all(
        await _fetch(
            conn,
            f"""SELECT o.* FROM ({_RECOVERY_STATES}) o
                WHERE NOT o.in_recovery AND o.remaining_cents > o.pending_credit_cents
                ORDER BY o.due_date, o.number""",
            tenant,
            regie_id,
            today,
        )
    )


async def next_docket_seq(conn: Conn, regie_id: uuid.UUID, year: int) -> int:
    """The next docket number of the régie in the year; the caller holds the régie's
    schedule lock, so that two dockets never take the same one."""
    last = await conn.fetchval(
        "SELECT max(seq) FROM recovery_dockets WHERE regie_id = $1 AND year = $2",
        regie_id,
        year,
    )
    return (last or 0) + 1


async def insert_docket(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO recovery_dockets (id, tenant, regie_id, number, year, seq, created_on,
               invoice_count, total_cents, regie, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["number"],
        values["year"],
        values["seq"],
        values["created_on"],
        values["invoice_count"],
        values["total_cents"],
        values["regie"],
        values["created_by"],
        values["created_at"],
    )
    return dict(row)


_ITEM_COLUMNS = (
    ("invoice_id", "uuid"),
    ("docket_id", "uuid"),
    ("position", "integer"),
    ("tenant", "text"),
    ("household_id", "uuid"),
    ("payer_id", "uuid"),
    ("number", "text"),
    ("issue_date", "date"),
    ("due_date", "date"),
    ("total_cents", "integer"),
    ("amount_due_cents", "integer"),
    ("debtor", "jsonb"),
    ("last_reminder_level", "smallint"),
    ("last_reminded_on", "date"),
)


async def insert_items(conn: Conn, items: Sequence[Row]) -> None:
    columns = ", ".join(name for name, _ in _ITEM_COLUMNS)
    arrays = ", ".join(f"${n}::{kind}[]" for n, (_, kind) in enumerate(_ITEM_COLUMNS, start=1))
    await conn.execute(
        f"INSERT INTO recovery_items ({columns}) SELECT * FROM unnest({arrays})",
        *([item[name] for item in items] for name, _ in _ITEM_COLUMNS),
    )


_DOCKET_VIEW = "d.*, r.code AS regie_code"


async def get_docket(conn: Conn, tenant: str, docket_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"""SELECT {_DOCKET_VIEW} FROM recovery_dockets d JOIN regies r ON r.id = d.regie_id
                WHERE d.tenant = $1 AND d.id = $2""",
            tenant,
            docket_id,
        )
    )


async def list_dockets(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_DOCKET_VIEW} FROM recovery_dockets d JOIN regies r ON r.id = d.regie_id
                WHERE d.tenant = $1 AND ($2::uuid IS NULL OR d.regie_id = $2)
                ORDER BY d.created_at DESC, d.number DESC
                LIMIT $3 OFFSET $4""",
            tenant,
            filters.get("regie_id"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


async def docket_items(conn: Conn, docket_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            "SELECT * FROM recovery_items WHERE docket_id = $1 ORDER BY position", docket_id
        )
    )
