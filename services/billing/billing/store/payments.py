"""The SQL of payments: receipts and their allocations, remittance slips, régies' card
payment backends and online card transactions (asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from billing.store import _INVOICE_VIEW, Conn, Row, _all, _one

# --- invoices as a payment sees them ------------------------------------------------------


async def owed_invoices(
    conn: Conn, tenant: str, payer_id: uuid.UUID, regie_id: uuid.UUID
) -> list[Row]:
    """The payer's issued invoices of the régie that still owe something, oldest first."""
    return _all(
        await conn.fetch(
            f"""SELECT * FROM (
                    SELECT {_INVOICE_VIEW} FROM invoices i
                    WHERE i.tenant = $1 AND i.payer_id = $2 AND i.regie_id = $3
                      AND i.status = 'issued') v
                WHERE v.remaining_cents > 0
                ORDER BY v.issue_date, v.seq""",
            tenant,
            payer_id,
            regie_id,
        )
    )


async def invoices_by_id(conn: Conn, tenant: str, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    """These invoices of the tenant with what they still owe (any status: the caller checks)."""
    return _all(
        await conn.fetch(
            f"""SELECT {_INVOICE_VIEW} FROM invoices i
                WHERE i.tenant = $1 AND i.id = ANY($2::uuid[])""",
            tenant,
            list(invoice_ids),
        )
    )


# --- payments ----------------------------------------------------------------------------


async def insert_payment(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO payments (id, tenant, regie_id, household_id, payer_id, number, year, seq,
               method, amount_cents, credit_cents, received_on, reference, recorded_by, payer,
               regie, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["household_id"],
        values["payer_id"],
        values["number"],
        values["year"],
        values["seq"],
        values["method"],
        values["amount_cents"],
        values["credit_cents"],
        values["received_on"],
        values["reference"],
        values["recorded_by"],
        values["payer"],
        values["regie"],
        values["created_at"],
    )
    return dict(row)


async def insert_allocations(
    conn: Conn, payment_id: uuid.UUID, allocations: Sequence[tuple[uuid.UUID, int]]
) -> None:
    await conn.executemany(
        """INSERT INTO payment_allocations (payment_id, position, invoice_id, amount_cents)
           VALUES ($1, $2, $3, $4)""",
        [
            (payment_id, position, invoice_id, cents)
            for position, (invoice_id, cents) in enumerate(allocations, start=1)
        ],
    )


async def lines_paid(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    """The charge lines (products) of these invoices in order, each with what payments
    recorded on it less their reversals (domain/payment_lines.py)."""
    return _all(
        await conn.fetch(
            """SELECT l.invoice_id, l.id, l.position, l.amount_cents,
                      coalesce((SELECT sum(pl.amount_cents) FROM payment_lines pl
                                WHERE pl.invoice_line_id = l.id), 0)::integer AS paid_cents
               FROM invoice_lines l
               WHERE l.invoice_id = ANY($1::uuid[]) AND l.kind = 'charge'
               ORDER BY l.invoice_id, l.position""",
            list(invoice_ids),
        )
    )


async def insert_payment_lines(
    conn: Conn,
    payment_id: uuid.UUID,
    lines: Sequence[tuple[int, uuid.UUID, uuid.UUID, int]],
    now: datetime,
) -> None:
    """What a payment paid per line: (allocation's position, invoice, line, amount)."""
    await conn.executemany(
        """INSERT INTO payment_lines (payment_id, position, invoice_id, invoice_line_id, kind,
               amount_cents, at)
           VALUES ($1, $2, $3, $4, 'payment', $5, $6)""",
        [
            (payment_id, position, invoice_id, line_id, cents, now)
            for position, invoice_id, line_id, cents in lines
        ],
    )


async def reverse_payment_lines(conn: Conn, payment_id: uuid.UUID, now: datetime) -> None:
    """The opposite of what a payment paid per line (its reversal), on the same lines."""
    await conn.execute(
        """INSERT INTO payment_lines (payment_id, position, invoice_id, invoice_line_id, kind,
               amount_cents, at)
           SELECT payment_id, position, invoice_id, invoice_line_id, 'reversal', -amount_cents,
                  $2
           FROM payment_lines WHERE payment_id = $1 AND kind = 'payment'
           ORDER BY seq""",
        payment_id,
        now,
    )


async def payment_lines(conn: Conn, payment_ids: Sequence[uuid.UUID]) -> list[Row]:
    """What these payments paid per invoice line (a reversal's opposite rows aside), with
    the line's product: its label, child and activity."""
    return _all(
        await conn.fetch(
            """SELECT pl.payment_id, pl.position AS allocation_position, pl.invoice_line_id,
                      l.position, l.label, l.child_id, l.child_name, l.activity_id,
                      l.activity_name, pl.amount_cents
               FROM payment_lines pl JOIN invoice_lines l ON l.id = pl.invoice_line_id
               WHERE pl.payment_id = ANY($1::uuid[]) AND pl.kind = 'payment'
               ORDER BY pl.payment_id, pl.position, l.position""",
            list(payment_ids),
        )
    )


_PAYMENT_VIEW = """p.*, r.number AS remittance_number,
    coalesce((SELECT -sum(l.amount_cents) FROM ledger l
        WHERE l.related_id = p.id AND l.document_id = p.id AND l.kind = 'payment'), 0)
    - coalesce((SELECT sum(l.amount_cents) FROM ledger l
        WHERE l.related_id = p.id AND l.kind IN ('allocation', 'refund')), 0)
        AS credit_available_cents"""
_PAYMENT_FROM = "payments p LEFT JOIN remittances r ON r.id = p.remittance_id"


async def get_payment(conn: Conn, tenant: str, payment_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_PAYMENT_VIEW} FROM {_PAYMENT_FROM} WHERE p.tenant = $1 AND p.id = $2",
            tenant,
            payment_id,
        )
    )


async def lock_payment(conn: Conn, tenant: str, payment_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM payments WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, payment_id
        )
    )


async def allocations(conn: Conn, payment_ids: Sequence[uuid.UUID]) -> list[Row]:
    """How these payments were spread, with each invoice's number and basket."""
    return _all(
        await conn.fetch(
            """SELECT a.payment_id, a.position, a.invoice_id, a.amount_cents, i.number,
                      i.basket_id, i.issue_date, i.total_cents
               FROM payment_allocations a JOIN invoices i ON i.id = a.invoice_id
               WHERE a.payment_id = ANY($1::uuid[])
               ORDER BY a.payment_id, a.position""",
            list(payment_ids),
        )
    )


async def invoice_payments(conn: Conn, invoice_ids: Sequence[uuid.UUID]) -> list[Row]:
    """The payments that settled part of these invoices (reversed ones included)."""
    return _all(
        await conn.fetch(
            """SELECT a.invoice_id, a.amount_cents, p.id AS payment_id, p.number, p.method,
                      p.received_on, p.status
               FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
               WHERE a.invoice_id = ANY($1::uuid[])
               ORDER BY p.received_on, p.number""",
            list(invoice_ids),
        )
    )


async def payment_entries(conn: Conn, payment_id: uuid.UUID) -> list[Row]:
    """The ledger entries of a payment: what it settled, its excess, the deductions of its
    excess from later invoices (all related to it)."""
    return _all(
        await conn.fetch(
            """SELECT * FROM ledger WHERE related_id = $1 AND kind IN ('payment', 'allocation')
               ORDER BY seq""",
            payment_id,
        )
    )


async def mark_reversed(
    conn: Conn, payment_id: uuid.UUID, reason: str, now: datetime
) -> Row | None:
    return _one(
        await conn.fetchrow(
            """UPDATE payments SET status = 'reversed', reversal_reason = $2, reversed_at = $3
               WHERE id = $1 AND status = 'recorded'
               RETURNING *""",
            payment_id,
            reason,
            now,
        )
    )


async def list_payments(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_PAYMENT_VIEW} FROM {_PAYMENT_FROM}
                WHERE p.tenant = $1
                  AND ($2::uuid IS NULL OR p.household_id = $2)
                  AND ($3::uuid IS NULL OR p.regie_id = $3)
                  AND ($4::text IS NULL OR p.method = $4)
                  AND ($5::text IS NULL OR p.status = $5)
                  AND ($6::date IS NULL OR p.received_on >= $6)
                  AND ($7::date IS NULL OR p.received_on <= $7)
                  AND ($8::uuid[] IS NULL OR p.payer_id = ANY($8))
                  AND ($9::uuid IS NULL OR p.remittance_id = $9)
                  AND ($10::boolean IS NULL OR (p.remittance_id IS NOT NULL) = $10)
                  AND ($11::text IS NULL OR p.number = $11)
                  AND ($14::uuid IS NULL OR EXISTS (SELECT 1 FROM payment_allocations a
                                                    WHERE a.payment_id = p.id
                                                      AND a.invoice_id = $14))
                ORDER BY p.received_on DESC, p.number DESC
                LIMIT $12 OFFSET $13""",
            tenant,
            filters.get("household_id"),
            filters.get("regie_id"),
            filters.get("method"),
            filters.get("status"),
            filters.get("received_from"),
            filters.get("received_to"),
            None if filters.get("payer_ids") is None else list(filters["payer_ids"]),
            filters.get("remittance_id"),
            filters.get("remitted"),
            filters.get("number"),
            filters.get("limit", 100),
            filters.get("offset", 0),
            filters.get("invoice_id"),
        )
    )


# --- remittance slips --------------------------------------------------------------------


async def lock_unremitted(
    conn: Conn,
    tenant: str,
    regie_id: uuid.UUID,
    method: str,
    payment_ids: Sequence[uuid.UUID] | None,
    received_to: date | None,
) -> list[Row]:
    """Recorded payments of a method and régie on no slip yet (these ones when given),
    locked: two slips never take the same payment."""
    return _all(
        await conn.fetch(
            """SELECT * FROM payments
               WHERE tenant = $1 AND regie_id = $2 AND method = $3 AND status = 'recorded'
                 AND remittance_id IS NULL
                 AND ($4::uuid[] IS NULL OR id = ANY($4))
                 AND ($5::date IS NULL OR received_on <= $5)
               ORDER BY received_on, number
               FOR UPDATE""",
            tenant,
            regie_id,
            method,
            None if payment_ids is None else list(payment_ids),
            received_to,
        )
    )


async def insert_remittance(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO remittances (id, tenant, regie_id, method, number, year, seq, total_cents,
               payment_count, regie, created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["method"],
        values["number"],
        values["year"],
        values["seq"],
        values["total_cents"],
        values["payment_count"],
        values["regie"],
        values["created_by"],
        values["created_at"],
    )
    return dict(row)


async def remit(conn: Conn, remittance_id: uuid.UUID, payment_ids: Sequence[uuid.UUID]) -> None:
    await conn.execute(
        "UPDATE payments SET remittance_id = $1 WHERE id = ANY($2::uuid[])",
        remittance_id,
        list(payment_ids),
    )


async def get_remittance(conn: Conn, tenant: str, remittance_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM remittances WHERE tenant = $1 AND id = $2", tenant, remittance_id
        )
    )


async def list_remittances(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM remittances
               WHERE tenant = $1 AND ($2::uuid IS NULL OR regie_id = $2)
                 AND ($3::text IS NULL OR method = $3)
               ORDER BY created_at DESC, number DESC
               LIMIT $4 OFFSET $5""",
            tenant,
            filters.get("regie_id"),
            filters.get("method"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


async def remittance_payments(conn: Conn, remittance_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_PAYMENT_VIEW} FROM {_PAYMENT_FROM} WHERE p.remittance_id = $1
                ORDER BY p.received_on, p.number""",
            remittance_id,
        )
    )


# --- card payment backends per régie -----------------------------------------------------


async def get_card_backend(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM card_backends WHERE tenant = $1 AND regie_id = $2", tenant, regie_id
        )
    )


async def upsert_card_backend(
    conn: Conn, tenant: str, regie_id: uuid.UUID, values: Row, actor: uuid.UUID, now: datetime
) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO card_backends (regie_id, tenant, backend, options, enabled, updated_by,
               updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (regie_id) DO UPDATE SET backend = EXCLUDED.backend,
               options = EXCLUDED.options, enabled = EXCLUDED.enabled,
               updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
           RETURNING *""",
        regie_id,
        tenant,
        values["backend"],
        values["options"],
        values["enabled"],
        actor,
        now,
    )
    return dict(row)


# --- card transactions -------------------------------------------------------------------


async def insert_transaction(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO card_transactions (id, tenant, regie_id, household_id, payer_id,
               account_id, purpose, invoice_ids, amount_cents, email, backend, reference,
               created_by, created_at, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           RETURNING *""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["household_id"],
        values["payer_id"],
        values["account_id"],
        values["purpose"],
        list(values["invoice_ids"]),
        values["amount_cents"],
        values["email"],
        values["backend"],
        values["reference"],
        values["created_by"],
        values["created_at"],
        values["expires_at"],
    )
    return dict(row)


async def set_bank_transaction(
    conn: Conn, transaction_id: uuid.UUID, bank_transaction_id: str, payment_url: str
) -> None:
    await conn.execute(
        """UPDATE card_transactions SET bank_transaction_id = $2, payment_url = $3
           WHERE id = $1""",
        transaction_id,
        bank_transaction_id,
        payment_url,
    )


async def get_transaction(conn: Conn, transaction_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow("SELECT * FROM card_transactions WHERE id = $1", transaction_id)
    )


async def lock_transaction(conn: Conn, transaction_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM card_transactions WHERE id = $1 FOR UPDATE", transaction_id
        )
    )


async def settle_transaction(
    conn: Conn,
    transaction_id: uuid.UUID,
    *,
    status: str,
    bank_status: str | None,
    bank_data: Any,
    now: datetime,
    payment_id: uuid.UUID | None = None,
    wallet_movement_id: uuid.UUID | None = None,
) -> Row:
    row = await conn.fetchrow(
        """UPDATE card_transactions SET status = $2, bank_status = $3, bank_data = $4,
                  settled_at = $5, payment_id = coalesce($6, payment_id),
                  wallet_movement_id = coalesce($7, wallet_movement_id)
           WHERE id = $1
           RETURNING *""",
        transaction_id,
        status,
        bank_status,
        bank_data,
        now,
        payment_id,
        wallet_movement_id,
    )
    return dict(row)


async def pending_transactions(conn: Conn, created_before: datetime, limit: int) -> list[Row]:
    """Transactions still waiting for the bank's answer, started before a moment (every
    tenant: the sweeper's)."""
    return _all(
        await conn.fetch(
            """SELECT * FROM card_transactions
               WHERE status = 'pending' AND created_at < $1
               ORDER BY created_at
               LIMIT $2""",
            created_before,
            limit,
        )
    )


async def list_transactions(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM card_transactions
               WHERE tenant = $1 AND ($2::uuid IS NULL OR household_id = $2)
                 AND ($3::text IS NULL OR status = $3)
                 AND ($4::uuid IS NULL OR regie_id = $4)
               ORDER BY created_at DESC
               LIMIT $5 OFFSET $6""",
            tenant,
            filters.get("household_id"),
            filters.get("status"),
            filters.get("regie_id"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


# --- the accounting export ---------------------------------------------------------------

_PARIS_DAY = "(({0}) AT TIME ZONE 'Europe/Paris')::date"


async def accounting_payment_entries(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> list[Row]:
    """What settled the régie's invoices over a period, as rows of the accounting export
    (domain/accounting.py): payments received (per invoice and activity, from what they
    paid per line, with the activity's accounting code; per invoice for a payment recorded
    before amounts were recorded per line; and their excess), payments reversed (the
    opposite, on the day of the reversal), payments' excess deducted from invoices (and
    given back by a reversal), refunds of credit notes. Each row has the keys of
    store.accounting_entries, plus `method` (and `sub_rank`, the order within an
    allocation: its first line's position)."""
    reversed_on = _PARIS_DAY.format("p.reversed_at")
    entry_day = _PARIS_DAY.format("l.at")
    activity = "coalesce(il.activity_name, ac.name, split_part(il.label, ' — ', 1))"
    return _all(
        await conn.fetch(
            f"""SELECT 'payment' AS kind, p.number, p.received_on AS issue_date,
                       NULL::date AS due_date, p.payer, p.payer_id, p.household_id,
                       max(coalesce(ac.accounting_code, '')) AS accounting_code,
                       max({activity}) AS activity,
                       -sum(pl.amount_cents)::integer AS amount_cents, i.number AS related,
                       p.method, 2 AS doc_rank, pl.position AS rank,
                       min(il.position) AS sub_rank
                FROM payments p
                JOIN payment_lines pl ON pl.payment_id = p.id AND pl.kind = 'payment'
                JOIN invoice_lines il ON il.id = pl.invoice_line_id
                LEFT JOIN activities ac ON ac.activity_id = il.activity_id
                JOIN invoices i ON i.id = pl.invoice_id
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.received_on BETWEEN $3 AND $4
                GROUP BY p.id, pl.position, i.id, il.activity_id
                UNION ALL
                SELECT 'payment', p.number, p.received_on, NULL, p.payer, p.payer_id,
                       p.household_id, '', '', -a.amount_cents, i.number, p.method, 2,
                       a.position, 0
                FROM payments p
                JOIN payment_allocations a ON a.payment_id = p.id
                JOIN invoices i ON i.id = a.invoice_id
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.received_on BETWEEN $3 AND $4
                  AND NOT EXISTS (SELECT 1 FROM payment_lines pl WHERE pl.payment_id = p.id)
                UNION ALL
                SELECT 'payment', p.number, p.received_on, NULL, p.payer, p.payer_id,
                       p.household_id, '', '', -p.credit_cents, NULL, p.method, 2, 10000, 0
                FROM payments p
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.received_on BETWEEN $3 AND $4
                  AND p.credit_cents > 0
                UNION ALL
                SELECT 'reversal', p.number, {reversed_on}, NULL, p.payer, p.payer_id,
                       p.household_id, max(coalesce(ac.accounting_code, '')),
                       max({activity}), -sum(pl.amount_cents)::integer, i.number, p.method, 3,
                       pl.position, min(il.position)
                FROM payments p
                JOIN payment_lines pl ON pl.payment_id = p.id AND pl.kind = 'reversal'
                JOIN invoice_lines il ON il.id = pl.invoice_line_id
                LEFT JOIN activities ac ON ac.activity_id = il.activity_id
                JOIN invoices i ON i.id = pl.invoice_id
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.status = 'reversed'
                  AND {reversed_on} BETWEEN $3 AND $4
                GROUP BY p.id, pl.position, i.id, il.activity_id
                UNION ALL
                SELECT 'reversal', p.number, {reversed_on}, NULL, p.payer, p.payer_id,
                       p.household_id, '', '', a.amount_cents, i.number, p.method, 3,
                       a.position, 0
                FROM payments p
                JOIN payment_allocations a ON a.payment_id = p.id
                JOIN invoices i ON i.id = a.invoice_id
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.status = 'reversed'
                  AND {reversed_on} BETWEEN $3 AND $4
                  AND NOT EXISTS (SELECT 1 FROM payment_lines pl WHERE pl.payment_id = p.id)
                UNION ALL
                SELECT 'reversal', p.number, {reversed_on}, NULL, p.payer, p.payer_id,
                       p.household_id, '', '', p.credit_cents, NULL, p.method, 3, 10000, 0
                FROM payments p
                WHERE p.tenant = $1 AND p.regie_id = $2 AND p.status = 'reversed'
                  AND p.credit_cents > 0 AND {reversed_on} BETWEEN $3 AND $4
                UNION ALL
                SELECT CASE WHEN l.amount_cents > 0 THEN 'payment_credit'
                            ELSE 'payment_credit_undone' END,
                       i.number, {entry_day}, i.due_date, i.payer, i.payer_id,
                       i.household_id, '', '', -l.amount_cents, p.number, p.method, 0, 2, 0
                FROM ledger l
                JOIN invoices i ON i.id = l.document_id
                JOIN payments p ON p.id = l.related_id
                WHERE l.tenant = $1 AND l.regie_id = $2 AND l.kind = 'allocation'
                  AND {entry_day} BETWEEN $3 AND $4
                UNION ALL
                SELECT 'refund', f.number, {_PARIS_DAY.format("f.created_at")}, NULL, n.payer,
                       f.payer_id, f.household_id, '', '', f.amount_cents, n.number, f.method,
                       4, 0, 0
                FROM refunds f JOIN credit_notes n ON n.id = f.credit_note_id
                WHERE f.tenant = $1 AND f.regie_id = $2
                  AND {_PARIS_DAY.format("f.created_at")} BETWEEN $3 AND $4
                ORDER BY issue_date, doc_rank, number, rank, related, sub_rank""",
            tenant,
            regie_id,
            start,
            end,
        )
    )
