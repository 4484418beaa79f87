"""All of billing's SQL (asyncpg, parameterised). Functions take a connection or the pool:
writes run inside the caller's unit of work (`uow.conn`), reads anywhere.

This module holds the invoices and their charges, and what every module of the package
shares; each area keeps its SQL in a module of its own: `catalog` (régies, activities, price
grids), `families` (households, children, quotients, payers, billing rules), `bookings` (the
days booked), `campaigns`, `credits` (credit notes, ledger, refunds), `reports` (certificates,
accounting export), `payments`, `wallet`, `direct_debit`, `reminders`; imported as
`from billing.store import payments as payments_store`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection | asyncpg.Pool
Row = dict[str, Any]


def _one(record: asyncpg.Record | None) -> Row | None:
    return dict(record) if record is not None else None


def _all(records: Sequence[asyncpg.Record]) -> list[Row]:
    return [dict(r) for r in records]


Record = Mapping[str, Any]  # bulk reads (a campaign's days) stay asyncpg records: read-only


# --- invoices and charges ----------------------------------------------------------------


async def basket_draft(
    conn: Conn,
    tenant: str,
    basket_id: uuid.UUID,
    regie_id: uuid.UUID,
    household_id: uuid.UUID,
    payer_id: uuid.UUID,
    finalise_after: datetime,
) -> Row:
    """The draft invoice gathering a basket's days for a régie and a payer, locked (created
    if none). A draft finalised meanwhile is no longer a draft: a new one is made."""
    while True:
        row = await conn.fetchrow(
            """SELECT * FROM invoices
               WHERE tenant = $1 AND basket_id = $2 AND regie_id = $3 AND payer_id = $4
                 AND status = 'draft'
               FOR UPDATE""",
            tenant,
            basket_id,
            regie_id,
            payer_id,
        )
        if row is not None:
            return dict(row)
        row = await conn.fetchrow(
            """INSERT INTO invoices (id, tenant, regie_id, household_id, payer_id, origin,
                   basket_id, finalise_after)
               VALUES ($1, $2, $3, $4, $5, 'basket', $6, $7)
               ON CONFLICT (tenant, basket_id, regie_id, payer_id)
                   WHERE status = 'draft' AND basket_id IS NOT NULL
               DO NOTHING
               RETURNING *""",
            uuid.uuid4(),
            tenant,
            regie_id,
            household_id,
            payer_id,
            basket_id,
            finalise_after,
        )
        if row is not None:
            return dict(row)


async def new_draft(
    conn: Conn,
    tenant: str,
    regie_id: uuid.UUID,
    household_id: uuid.UUID,
    origin: str,
    payer_id: uuid.UUID | None = None,
) -> Row:
    """A draft invoice of its own (a day promoted from the waiting list); the household
    pays unless a payer is given."""
    row = await conn.fetchrow(
        """INSERT INTO invoices (id, tenant, regie_id, household_id, payer_id, origin)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING *""",
        uuid.uuid4(),
        tenant,
        regie_id,
        household_id,
        payer_id or household_id,
        origin,
    )
    return dict(row)


async def insert_campaign_drafts(
    conn: Conn,
    tenant: str,
    regie_id: uuid.UUID,
    campaign_id: uuid.UUID,
    payers: Sequence[tuple[uuid.UUID, uuid.UUID]],
) -> dict[uuid.UUID, uuid.UUID]:
    """One draft invoice per payer (payer id, household id) of the campaign:
    payer → invoice id."""
    ids = [uuid.uuid4() for _ in payers]
    await conn.execute(
        """INSERT INTO invoices (id, tenant, regie_id, household_id, payer_id, origin,
               campaign_id)
           SELECT id, $1, $2, household_id, payer_id, 'campaign', $3
           FROM unnest($4::uuid[], $5::uuid[], $6::uuid[]) AS t (id, payer_id, household_id)""",
        tenant,
        regie_id,
        campaign_id,
        ids,
        [p for p, _ in payers],
        [h for _, h in payers],
    )
    return {payer: invoice for (payer, _), invoice in zip(payers, ids, strict=True)}


CHARGE_COLUMNS = (
    "booking_id",
    "part",
    "invoice_id",
    "unit",
    "unit_cents",
    "quantity",
    "bracket",
    "qf",
    "rank",
    "grid_id",
)
_CHARGE_TYPES = (
    "uuid",
    "smallint",
    "uuid",
    "text",
    "integer",
    "numeric",
    "text",
    "integer",
    "integer",
    "uuid",
)

# A charge with its booked day (who, what, when) and the names printed on its line.
_CHARGE_COLUMNS = """c.*, b.household_id, b.child_id, b.activity_id, b.day, b.late,
    coalesce(k.first_name, b.child_name) AS child_name,
    coalesce(a.name, b.activity_name) AS activity_name"""
_LINE_CHARGE_COLUMNS = """c.invoice_id, c.booking_id, c.unit, c.unit_cents, c.quantity, c.bracket,
    b.child_id, b.activity_id, b.day, b.late,
    coalesce(k.first_name, b.child_name) AS child_name,
    coalesce(a.name, b.activity_name) AS activity_name"""
_CHARGE_FROM = """FROM charges c
    JOIN bookings b USING (booking_id)
    LEFT JOIN children k ON k.child_id = b.child_id
    LEFT JOIN activities a ON a.activity_id = b.activity_id"""


async def insert_charges(conn: Conn, tenant: str, charges: Sequence[Row]) -> int:
    """Charge days; a day some document charges already is left alone (idempotence). A day
    shared between two payers is two parts: the second is charged only with the first, in
    the same statement, so that whatever the rules say when an event comes again, a day is
    never charged beyond its price. Returns how many parts were charged now."""
    if not charges:
        return 0
    columns = ", ".join(CHARGE_COLUMNS)
    values = [
        [c.get(name, 1) if name == "part" else c[name] for c in charges] for name in CHARGE_COLUMNS
    ]
    if isinstance(conn, asyncpg.Connection) and len(charges) >= BULK:
        given = await _staged(conn, "charges_given", CHARGE_COLUMNS, _CHARGE_TYPES, values)
        arrays: list[Any] = []
    else:
        types = ", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(_CHARGE_TYPES))
        given, arrays = f"(SELECT * FROM unnest({types}) AS t ({columns}))", values
    inserted = await conn.fetchval(
        f"""WITH given AS (SELECT * FROM {given} g),
            first AS (
                INSERT INTO charges (tenant, {columns})
                SELECT $1, * FROM given WHERE part = 1
                ON CONFLICT (booking_id, part) DO NOTHING
                RETURNING booking_id),
            second AS (
                INSERT INTO charges (tenant, {columns})
                SELECT $1, * FROM given
                WHERE part = 2 AND booking_id IN (SELECT booking_id FROM first)
                ON CONFLICT (booking_id, part) DO NOTHING
                RETURNING 1)
            SELECT (SELECT count(*) FROM first) + (SELECT count(*) FROM second)""",
        tenant,
        *arrays,
    )
    return int(inserted)


BULK = 500  # rows from which a bulk write goes through COPY (faster than arrays)


async def _staged(
    conn: asyncpg.Connection,
    name: str,
    columns: Sequence[str],
    types: Sequence[str],
    values: Sequence[Sequence[Any]],
) -> str:
    """Rows (given column by column) copied into a temporary table of the transaction,
    emptied first and at commit; returns its name for the statement that reads them."""
    definition = ", ".join(f"{c} {t}" for c, t in zip(columns, types, strict=True))
    await conn.execute(
        f"CREATE TEMP TABLE IF NOT EXISTS {name} ({definition}) ON COMMIT DELETE ROWS;"
        f"TRUNCATE {name}"
    )
    await conn.copy_records_to_table(name, records=zip(*values, strict=True), columns=columns)
    return f"pg_temp.{name}"


async def invoices_charges(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> list[Record]:
    """The charges of invoices about to be issued: what their lines need only."""
    return list(
        await conn.fetch(
            f"""SELECT {_LINE_CHARGE_COLUMNS} {_CHARGE_FROM}
                WHERE c.invoice_id = ANY($1::uuid[])
                ORDER BY c.invoice_id, b.day, c.booking_id""",
            list(invoice_ids),
        )
    )


async def lock_charges(conn: Conn, tenant: str, booking_ids: Sequence[uuid.UUID]) -> list[Row]:
    """The charges of these days with their invoice's status and what was credited, locked.
    Their invoices are locked first (in a statement of their own): a finalisation under way
    holds them, and once it commits this reads the invoice as issued, never a stale draft."""
    await conn.execute(
        """SELECT 1 FROM invoices
           WHERE id IN (SELECT invoice_id FROM charges
                        WHERE tenant = $1 AND booking_id = ANY($2::uuid[]))
           ORDER BY id
           FOR UPDATE""",
        tenant,
        list(booking_ids),
    )
    return _all(
        await conn.fetch(
            f"""SELECT {_CHARGE_COLUMNS}, i.status AS invoice_status, i.regie_id, i.payer_id,
                       l.id AS line_id, l.label AS line_label,
                       EXISTS (SELECT 1 FROM credited_days d
                               WHERE d.booking_id = c.booking_id AND d.part = c.part)
                           AS credited
                {_CHARGE_FROM}
                JOIN invoices i ON i.id = c.invoice_id
                LEFT JOIN invoice_lines l ON l.invoice_id = c.invoice_id AND l.kind = 'charge'
                    AND l.child_id = b.child_id AND l.activity_id = b.activity_id
                    AND l.unit = c.unit AND l.unit_cents = c.unit_cents AND l.detail = c.bracket
                WHERE c.tenant = $1 AND c.booking_id = ANY($2::uuid[])
                ORDER BY b.day, c.part
                FOR UPDATE OF c""",
            tenant,
            list(booking_ids),
        )
    )


async def delete_charges(conn: Conn, parts: Sequence[tuple[uuid.UUID, int]]) -> None:
    """Charges (booking id, part) leaving their drafts."""
    await conn.execute(
        """DELETE FROM charges c USING unnest($1::uuid[], $2::smallint[]) AS t (booking_id, part)
           WHERE c.booking_id = t.booking_id AND c.part = t.part""",
        [b for b, _ in parts],
        [p for _, p in parts],
    )


async def credited_quantities(conn: Conn, line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """What was credited of each of these invoice lines already (quantities)."""
    rows = await conn.fetch(
        """SELECT invoice_line_id, sum(quantity) AS quantity FROM credit_note_lines
           WHERE invoice_line_id = ANY($1::uuid[])
           GROUP BY invoice_line_id""",
        list(line_ids),
    )
    return {r["invoice_line_id"]: r["quantity"] for r in rows}


async def due_basket_invoices(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Prepaid drafts whose grace has passed, locked; those another process holds are
    skipped (it is finalising them)."""
    return _all(
        await conn.fetch(
            """SELECT * FROM invoices
               WHERE status = 'draft' AND origin = 'basket' AND finalise_after <= $1
               ORDER BY finalise_after
               LIMIT $2
               FOR UPDATE SKIP LOCKED""",
            now,
            limit,
        )
    )


async def lock_invoice(conn: Conn, invoice_id: uuid.UUID) -> Row | None:
    return _one(await conn.fetchrow("SELECT * FROM invoices WHERE id = $1 FOR UPDATE", invoice_id))


async def delete_drafts(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(
        "DELETE FROM invoices WHERE id = ANY($1::uuid[]) AND status = 'draft'", list(invoice_ids)
    )


async def issue_invoices(
    conn: Conn,
    updates: Sequence[Row],
    *,
    issue_date: date,
    due_date: date,
    regie: Row,
    issued_at: datetime,
) -> list[Row]:
    """Drafts become issued documents with their numbers, totals and printed copies."""
    return _all(
        await conn.fetch(
            """UPDATE invoices i SET status = 'issued', number = t.number, year = t.year,
                      seq = t.seq, total_cents = t.total_cents, credit_cents = t.credit_cents,
                      payer = t.payer, issue_date = $8, due_date = $9, regie = $10,
                      issued_at = $11, finalise_after = NULL
               FROM unnest($1::uuid[], $2::text[], $3::integer[], $4::integer[],
                           $5::integer[], $6::integer[], $7::jsonb[])
                    AS t (id, number, year, seq, total_cents, credit_cents, payer)
               WHERE i.id = t.id AND i.status = 'draft'
               RETURNING i.*""",
            [u["id"] for u in updates],
            [u["number"] for u in updates],
            [u["year"] for u in updates],
            [u["seq"] for u in updates],
            [u["total_cents"] for u in updates],
            [u["credit_cents"] for u in updates],
            [u["payer"] for u in updates],
            issue_date,
            due_date,
            regie,
            issued_at,
        )
    )


LINE_COLUMNS = (
    "id",
    "invoice_id",
    "position",
    "kind",
    "label",
    "detail",
    "child_id",
    "activity_id",
    "unit",
    "unit_cents",
    "quantity",
    "amount_cents",
    "period_from",
    "period_to",
    "credit_note_id",
    "child_name",
    "activity_name",
)
_LINE_TYPES = (
    "uuid",
    "uuid",
    "integer",
    "text",
    "text",
    "text",
    "uuid",
    "uuid",
    "text",
    "integer",
    "numeric",
    "integer",
    "date",
    "date",
    "uuid",
    "text",
    "text",
)


async def insert_invoice_lines(conn: Conn, lines: Sequence[Row]) -> None:
    columns = ", ".join(LINE_COLUMNS)
    values = [[line.get(name) for line in lines] for name in LINE_COLUMNS]
    if isinstance(conn, asyncpg.Connection) and len(lines) >= BULK:
        given = await _staged(conn, "lines_given", LINE_COLUMNS, _LINE_TYPES, values)
        await conn.execute(f"INSERT INTO invoice_lines ({columns}) SELECT * FROM {given}")
        return
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_LINE_TYPES))
    await conn.execute(
        f"""INSERT INTO invoice_lines ({columns})
            SELECT * FROM unnest({arrays})""",
        *values,
    )


async def invoice_lines(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM invoice_lines WHERE invoice_id = ANY($1::uuid[])
               ORDER BY invoice_id, position""",
            list(invoice_ids),
        )
    )


async def get_invoice(conn: Conn, tenant: str, invoice_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_INVOICE_VIEW} FROM invoices i WHERE i.tenant = $1 AND i.id = $2",
            tenant,
            invoice_id,
        )
    )


# Signed sums (domain/ledger.py): a payment is negative, its reversal positive.
_INVOICE_VIEW = """i.*,
    i.total_cents - coalesce((SELECT sum(CASE WHEN l.kind = 'allocation' THEN l.amount_cents
                                            ELSE -l.amount_cents END) FROM ledger l
        WHERE l.document_id = i.id AND l.kind IN ('allocation', 'payment')), 0)
        AS remaining_cents,
    coalesce((SELECT -sum(l.amount_cents) FROM ledger l
        WHERE l.document_id = i.id AND l.kind = 'payment'), 0) AS paid_cents"""


async def list_invoices(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    """Issued invoices (drafts are reviewed through their campaign), newest first."""
    return _all(
        await conn.fetch(
            f"""SELECT * FROM (
                    SELECT {_INVOICE_VIEW} FROM invoices i
                    WHERE i.tenant = $1 AND i.status = 'issued'
                      AND ($2::uuid IS NULL OR i.household_id = $2)
                      AND ($3::uuid IS NULL OR i.regie_id = $3)
                      AND ($4::uuid IS NULL OR i.campaign_id = $4)
                      AND ($5::integer IS NULL OR i.year = $5)
                      AND ($6::text IS NULL OR i.number = $6)
                      AND ($7::date IS NULL OR i.issue_date >= $7)
                      AND ($8::date IS NULL OR i.issue_date <= $8)
                      AND ($12::uuid[] IS NULL OR i.payer_id = ANY($12))
                ) v
                WHERE $9::text IS NULL OR ($9 = 'current') = (v.remaining_cents > 0)
                ORDER BY v.issue_date DESC, v.number DESC
                LIMIT $10 OFFSET $11""",
            tenant,
            filters.get("household_id"),
            filters.get("regie_id"),
            filters.get("campaign_id"),
            filters.get("year"),
            filters.get("number"),
            filters.get("issued_from"),
            filters.get("issued_to"),
            filters.get("status"),
            filters.get("limit", 100),
            filters.get("offset", 0),
            _ids(filters.get("payer_ids")),
        )
    )


def _ids(ids: Sequence[uuid.UUID] | None) -> list[uuid.UUID] | None:
    return None if ids is None else list(ids)


async def campaign_drafts(conn: Conn, campaign_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM invoices WHERE campaign_id = $1 AND status = 'draft'
               ORDER BY household_id, payer_id""",
            campaign_id,
        )
    )


async def lock_campaign_drafts(conn: Conn, campaign_id: uuid.UUID) -> list[Row]:
    """The drafts about to be finalised, locked: a cancellation waits for their outcome."""
    return _all(
        await conn.fetch(
            """SELECT * FROM invoices WHERE campaign_id = $1 AND status = 'draft'
               ORDER BY id FOR UPDATE""",
            campaign_id,
        )
    )


async def delete_campaign_drafts(conn: Conn, campaign_id: uuid.UUID) -> None:
    await conn.execute(
        "DELETE FROM invoices WHERE campaign_id = $1 AND status = 'draft'", campaign_id
    )


async def drop_empty_drafts(conn: Conn, campaign_id: uuid.UUID) -> None:
    await conn.execute(
        """DELETE FROM invoices i WHERE i.campaign_id = $1 AND i.status = 'draft'
             AND NOT EXISTS (SELECT 1 FROM charges c WHERE c.invoice_id = i.id)""",
        campaign_id,
    )


async def campaign_charges(conn: Conn, campaign_id: uuid.UUID) -> list[Record]:
    return list(
        await conn.fetch(
            f"""SELECT {_CHARGE_COLUMNS} {_CHARGE_FROM}
                JOIN invoices i ON i.id = c.invoice_id
                WHERE i.campaign_id = $1 AND i.status = 'draft'
                ORDER BY c.invoice_id, b.day, c.booking_id""",
            campaign_id,
        )
    )
