"""The SQL of credit notes, their allocations, the payers' ledger and refunds (asyncpg,
parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from billing.store import Conn, Row, _all, _ids, _one

# --- credit notes, allocations, ledger ---------------------------------------------------


async def lock_payers(conn: Conn, tenant: str, payer_ids: Sequence[uuid.UUID]) -> None:
    """Serialises what moves payers' credits (issuing invoices, credit notes); always in the
    same order, so that two transactions locking several payers never deadlock."""
    await conn.execute(
        """SELECT pg_advisory_xact_lock(hashtextextended(k, 0))
           FROM (SELECT DISTINCT 'billing:' || $1 || ':' || p AS k
                 FROM unnest($2::text[]) AS p ORDER BY 1) keys""",
        tenant,
        [str(p) for p in payer_ids],
    )


async def available_credits(
    conn: Conn, tenant: str, payer_ids: Sequence[uuid.UUID], regie_id: uuid.UUID
) -> list[Row]:
    """The payers' credits of the régie with what is left of them, oldest first: credit
    notes (`kind` credit_note) and the excess of payments (`kind` payment, an overpayment)."""
    return _all(
        await conn.fetch(
            """SELECT * FROM (
                   SELECT 'credit_note' AS kind, n.id, n.payer_id, n.number, n.issue_date,
                          n.total_cents - coalesce((SELECT sum(l.amount_cents) FROM ledger l
                              WHERE l.related_id = n.id AND l.kind IN ('allocation', 'refund')),
                              0) AS available_cents
                   FROM credit_notes n
                   WHERE n.tenant = $1 AND n.payer_id = ANY($2::uuid[]) AND n.regie_id = $3
                   UNION ALL
                   SELECT 'payment', p.id, p.payer_id, p.number, p.received_on,
                          coalesce((SELECT -sum(l.amount_cents) FROM ledger l
                              WHERE l.related_id = p.id AND l.document_id = p.id
                                AND l.kind = 'payment'), 0)
                          - coalesce((SELECT sum(l.amount_cents) FROM ledger l
                              WHERE l.related_id = p.id AND l.kind IN ('allocation', 'refund')),
                              0)
                   FROM payments p
                   WHERE p.tenant = $1 AND p.payer_id = ANY($2::uuid[]) AND p.regie_id = $3
                     AND p.credit_cents > 0) v
               WHERE v.available_cents > 0
               ORDER BY v.issue_date, v.number""",
            tenant,
            list(payer_ids),
            regie_id,
        )
    )


async def insert_credit_note(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO credit_notes (id, tenant, regie_id, household_id, payer_id, number, year,
               seq, issue_date, reason, total_cents, payer, regie)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["household_id"],
        values["payer_id"],
        values["number"],
        values["year"],
        values["seq"],
        values["issue_date"],
        values["reason"],
        values["total_cents"],
        values["payer"],
        values["regie"],
    )
    return dict(row)


async def insert_credit_note_lines(
    conn: Conn, credit_note_id: uuid.UUID, lines: Sequence[Row]
) -> None:
    await conn.executemany(
        """INSERT INTO credit_note_lines (id, credit_note_id, position, invoice_line_id, label,
               detail, child_id, activity_id, unit, unit_cents, quantity, amount_cents,
               period_from, period_to, child_name, activity_name)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)""",
        [
            (
                x["id"],
                credit_note_id,
                x["position"],
                x["invoice_line_id"],
                x["label"],
                x["detail"],
                x["child_id"],
                x["activity_id"],
                x["unit"],
                x["unit_cents"],
                x["quantity"],
                x["amount_cents"],
                x["period_from"],
                x["period_to"],
                x.get("child_name"),
                x.get("activity_name"),
            )
            for x in lines
        ],
    )


async def insert_credited_days(
    conn: Conn, days: Sequence[tuple[uuid.UUID, int, uuid.UUID, Any]]
) -> None:
    """(booking id, part, credit note line id, quantity)."""
    await conn.executemany(
        """INSERT INTO credited_days (booking_id, part, credit_note_line_id, quantity)
           VALUES ($1, $2, $3, $4)""",
        days,
    )


async def get_credit_note(conn: Conn, tenant: str, credit_note_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_CREDIT_VIEW} FROM credit_notes n WHERE n.tenant = $1 AND n.id = $2",
            tenant,
            credit_note_id,
        )
    )


_CREDIT_VIEW = """n.*,
    n.total_cents - coalesce((SELECT sum(l.amount_cents) FROM ledger l
        WHERE l.related_id = n.id AND l.kind IN ('allocation', 'refund')), 0)
        AS available_cents"""


async def list_credit_notes(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_CREDIT_VIEW} FROM credit_notes n
                WHERE n.tenant = $1
                  AND ($2::uuid IS NULL OR n.household_id = $2)
                  AND ($3::uuid IS NULL OR n.regie_id = $3)
                  AND ($4::integer IS NULL OR n.year = $4)
                  AND ($7::uuid[] IS NULL OR n.payer_id = ANY($7))
                ORDER BY n.issue_date DESC, n.number DESC
                LIMIT $5 OFFSET $6""",
            tenant,
            filters.get("household_id"),
            filters.get("regie_id"),
            filters.get("year"),
            filters.get("limit", 100),
            filters.get("offset", 0),
            _ids(filters.get("payer_ids")),
        )
    )


async def credit_note_lines(conn: Conn, credit_note_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM credit_note_lines WHERE credit_note_id = ANY($1::uuid[])
               ORDER BY credit_note_id, position""",
            list(credit_note_ids),
        )
    )


async def credit_note_allocations(conn: Conn, credit_note_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT l.document_id AS invoice_id, i.number, l.amount_cents, l.at
               FROM ledger l JOIN invoices i ON i.id = l.document_id
               WHERE l.related_id = $1 AND l.kind = 'allocation'
               ORDER BY l.seq""",
            credit_note_id,
        )
    )


async def append_ledger(conn: Conn, entries: Sequence[Row]) -> None:
    await conn.execute(
        """INSERT INTO ledger (tenant, regie_id, payer_id, household_id, kind, document_id,
               related_id, amount_cents, at)
           SELECT * FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                                $6::uuid[], $7::uuid[], $8::integer[], $9::timestamptz[])""",
        *(
            [e.get(name) for e in entries]
            for name in (
                "tenant",
                "regie_id",
                "payer_id",
                "household_id",
                "kind",
                "document_id",
                "related_id",
                "amount_cents",
                "at",
            )
        ),
    )


async def payer_ledger(conn: Conn, tenant: str, payer_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT l.*, r.code AS regie_code, r.name AS regie_name,
                      coalesce(p.number, i.number, n.number, f.number) AS number
               FROM ledger l
               JOIN regies r ON r.id = l.regie_id
               LEFT JOIN invoices i ON i.id = l.document_id
               LEFT JOIN credit_notes n ON n.id = l.document_id
               LEFT JOIN refunds f ON f.id = l.document_id
               LEFT JOIN payments p ON p.id = l.related_id AND l.kind = 'payment'
               WHERE l.tenant = $1 AND l.payer_id = $2
               ORDER BY l.seq""",
            tenant,
            payer_id,
        )
    )


async def lock_credit_note(conn: Conn, tenant: str, credit_note_id: uuid.UUID) -> Row | None:
    """The credit note, locked until the transaction ends (refunds of it wait)."""
    return _one(
        await conn.fetchrow(
            "SELECT * FROM credit_notes WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tenant,
            credit_note_id,
        )
    )


async def credit_note_available(conn: Conn, credit_note_id: uuid.UUID) -> int:
    """What is left of a credit note: its total less what was deducted or refunded."""
    return await conn.fetchval(
        f"SELECT available_cents FROM (SELECT {_CREDIT_VIEW} FROM credit_notes n "
        "WHERE n.id = $1) v",
        credit_note_id,
    )


async def insert_refund(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO refunds (id, tenant, regie_id, household_id, payer_id, credit_note_id,
               number, year, seq, amount_cents, method, reference, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["household_id"],
        values["payer_id"],
        values["credit_note_id"],
        values["number"],
        values["year"],
        values["seq"],
        values["amount_cents"],
        values["method"],
        values["reference"],
        values["created_by"],
        values["created_at"],
    )
    return dict(row)


_REFUND_VIEW = "f.*, n.number AS credit_note_number"


async def get_refund(conn: Conn, tenant: str, refund_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"""SELECT {_REFUND_VIEW} FROM refunds f JOIN credit_notes n ON n.id = f.credit_note_id
                WHERE f.tenant = $1 AND f.id = $2""",
            tenant,
            refund_id,
        )
    )


async def list_refunds(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_REFUND_VIEW} FROM refunds f JOIN credit_notes n ON n.id = f.credit_note_id
                WHERE f.tenant = $1
                  AND ($2::uuid IS NULL OR f.household_id = $2)
                  AND ($3::uuid IS NULL OR f.regie_id = $3)
                  AND ($4::uuid IS NULL OR f.credit_note_id = $4)
                ORDER BY f.created_at DESC, f.number DESC
                LIMIT $5 OFFSET $6""",
            tenant,
            filters.get("household_id"),
            filters.get("regie_id"),
            filters.get("credit_note_id"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )
