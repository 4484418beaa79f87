"""The SQL of certificates (attendance, childcare costs) and of the accounting export
(asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from billing.store import Conn, Row, _all, _ids

# --- certificates ------------------------------------------------------------------------


async def present_days(
    conn: Conn,
    tenant: str,
    child_id: uuid.UUID,
    start: date,
    end: date,
    activity_id: uuid.UUID | None,
) -> list[Row]:
    """The days a child was marked present at activities billing knows, with their régie."""
    return _all(
        await conn.fetch(
            """SELECT b.day, b.activity_id, a.regie_id, a.name AS activity_name
               FROM bookings b JOIN activities a USING (activity_id)
               WHERE b.tenant = $1 AND b.child_id = $2 AND b.day BETWEEN $3 AND $4
                 AND b.attendance = 'present' AND b.status <> 'cancelled'
                 AND ($5::uuid IS NULL OR b.activity_id = $5)
               ORDER BY a.name, b.day""",
            tenant,
            child_id,
            start,
            end,
            activity_id,
        )
    )


async def childcare_amounts(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    year: int,
    payer_ids: Sequence[uuid.UUID] | None,
) -> list[Row]:
    """Per régie and child, what the documents of a year charged for childcare activities
    (invoice lines) and credited back (credit note lines), for these payers (None: all)."""
    return _all(
        await conn.fetch(
            """WITH charged AS (
                   SELECT i.regie_id, l.child_id, sum(l.amount_cents) AS cents
                   FROM invoices i
                   JOIN invoice_lines l ON l.invoice_id = i.id AND l.kind = 'charge'
                   JOIN activities a ON a.activity_id = l.activity_id AND a.childcare
                   WHERE i.tenant = $1 AND i.household_id = $2 AND i.status = 'issued'
                     AND i.year = $3 AND ($4::uuid[] IS NULL OR i.payer_id = ANY($4))
                   GROUP BY 1, 2),
               credited AS (
                   SELECT n.regie_id, l.child_id, sum(l.amount_cents) AS cents
                   FROM credit_notes n
                   JOIN credit_note_lines l ON l.credit_note_id = n.id
                   JOIN activities a ON a.activity_id = l.activity_id AND a.childcare
                   WHERE n.tenant = $1 AND n.household_id = $2 AND n.year = $3
                     AND ($4::uuid[] IS NULL OR n.payer_id = ANY($4))
                   GROUP BY 1, 2)
               SELECT coalesce(c.regie_id, r.regie_id) AS regie_id,
                      coalesce(c.child_id, r.child_id) AS child_id,
                      coalesce(c.cents, 0) AS invoiced_cents,
                      coalesce(r.cents, 0) AS credited_cents
               FROM charged c
               FULL JOIN credited r ON r.regie_id = c.regie_id AND r.child_id = c.child_id""",
            tenant,
            household_id,
            year,
            _ids(payer_ids),
        )
    )


# --- accounting export -------------------------------------------------------------------

_ACTIVITY_OF_LINE = "coalesce(l.activity_name, a.name, split_part(l.label, ' — ', 1))"


async def accounting_entries(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> list[Row]:
    """A régie's documents issued over a period, per document and activity (invoices +,
    credit notes −) and per credit note deducted from an invoice (−, after the invoice's
    rows), day by day: the invoices in number order, then the credit notes."""
    return _all(
        await conn.fetch(
            f"""SELECT 'invoice' AS kind, i.number, i.issue_date, i.due_date, i.payer,
                       i.payer_id, i.household_id, l.activity_id,
                       max(coalesce(a.accounting_code, '')) AS accounting_code,
                       max({_ACTIVITY_OF_LINE}) AS activity,
                       sum(l.amount_cents)::integer AS amount_cents, NULL::text AS related,
                       0 AS doc_rank, 0 AS rank
                FROM invoices i
                JOIN invoice_lines l ON l.invoice_id = i.id AND l.kind = 'charge'
                LEFT JOIN activities a ON a.activity_id = l.activity_id
                WHERE i.tenant = $1 AND i.regie_id = $2 AND i.status = 'issued'
                  AND i.issue_date BETWEEN $3 AND $4
                GROUP BY i.id, l.activity_id
                UNION ALL
                SELECT 'allocation', i.number, i.issue_date, i.due_date, i.payer, i.payer_id,
                       i.household_id, NULL, '', '', l.amount_cents, n.number, 0, 1
                FROM invoices i
                JOIN invoice_lines l ON l.invoice_id = i.id AND l.kind = 'credit'
                JOIN credit_notes n ON n.id = l.credit_note_id
                WHERE i.tenant = $1 AND i.regie_id = $2 AND i.status = 'issued'
                  AND i.issue_date BETWEEN $3 AND $4
                UNION ALL
                SELECT 'credit_note', n.number, n.issue_date, NULL, n.payer, n.payer_id,
                       n.household_id, l.activity_id,
                       max(coalesce(a.accounting_code, '')),
                       max({_ACTIVITY_OF_LINE}),
                       -sum(l.amount_cents)::integer, NULL, 1, 0
                FROM credit_notes n
                JOIN credit_note_lines l ON l.credit_note_id = n.id
                LEFT JOIN activities a ON a.activity_id = l.activity_id
                WHERE n.tenant = $1 AND n.regie_id = $2 AND n.issue_date BETWEEN $3 AND $4
                GROUP BY n.id, l.activity_id
                ORDER BY issue_date, doc_rank, number, rank, activity""",
            tenant,
            regie_id,
            start,
            end,
        )
    )
