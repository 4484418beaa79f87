"""SQL of the households' wallets ("tirelire"), their movements and the saga's answers, and
of the days paid upfront (at booking, from the wallet). Writes run in the caller's unit of
work (`uow.conn`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from billing.store import Conn, Row, _all, _one
from billing.store.catalog import _REGIE

# --- the régie holding the wallets -------------------------------------------------------


async def wallet_regie(conn: Conn, tenant: str) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_REGIE} FROM regies WHERE tenant = $1 AND holds_wallets", tenant
        )
    )


async def wallets_held_elsewhere(conn: Conn, tenant: str, regie_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM wallets WHERE tenant = $1 AND regie_id <> $2 LIMIT 1", tenant, regie_id
        )
    )


async def hold_wallets(conn: Conn, tenant: str, regie_id: uuid.UUID) -> None:
    """`regie_id` holds the tenant's wallets, and no other régie (two statements: the
    unique index allows one holder at any time)."""
    await conn.execute(
        """UPDATE regies SET holds_wallets = false, updated_at = now()
           WHERE tenant = $1 AND holds_wallets AND id <> $2""",
        tenant,
        regie_id,
    )
    await conn.execute(
        """UPDATE regies SET holds_wallets = true, updated_at = now()
           WHERE tenant = $1 AND id = $2 AND NOT holds_wallets""",
        tenant,
        regie_id,
    )


# --- wallets -----------------------------------------------------------------------------


async def insert_wallet(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    regie_id: uuid.UUID,
    account_id: uuid.UUID | None,
    now: datetime,
) -> Row | None:
    """None when the household has a wallet already."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO wallets (household_id, tenant, regie_id, activated_by, activated_at,
                   updated_at)
               VALUES ($1, $2, $3, $4, $5, $5)
               ON CONFLICT (household_id) DO NOTHING
               RETURNING *""",
            household_id,
            tenant,
            regie_id,
            account_id,
            now,
        )
    )


async def get_wallet(conn: Conn, tenant: str, household_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM wallets WHERE tenant = $1 AND household_id = $2", tenant, household_id
        )
    )


async def lock_wallet(conn: Conn, tenant: str, household_id: uuid.UUID) -> Row | None:
    """The wallet, locked until the transaction ends: what decides on a household's wallet
    (a debit, a refund) runs one at a time."""
    return _one(
        await conn.fetchrow(
            "SELECT * FROM wallets WHERE tenant = $1 AND household_id = $2 FOR UPDATE",
            tenant,
            household_id,
        )
    )


async def list_wallets(conn: Conn, tenant: str, limit: int, offset: int) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM wallets WHERE tenant = $1
               ORDER BY activated_at DESC, household_id LIMIT $2 OFFSET $3""",
            tenant,
            limit,
            offset,
        )
    )


async def credit_wallet(
    conn: Conn, tenant: str, household_id: uuid.UUID, amount_cents: int, now: datetime
) -> int | None:
    """The balance after the credit; None: no wallet."""
    balance: int | None = await conn.fetchval(
        """UPDATE wallets SET balance_cents = balance_cents + $3, updated_at = $4
           WHERE tenant = $1 AND household_id = $2
           RETURNING balance_cents""",
        tenant,
        household_id,
        amount_cents,
        now,
    )
    return balance


async def debit_wallet(
    conn: Conn, tenant: str, household_id: uuid.UUID, amount_cents: int, now: datetime
) -> int | None:
    """The balance after the debit; None when the balance does not cover it (nothing is
    taken). Conditional: two debits racing cannot both pass on the same balance."""
    balance: int | None = await conn.fetchval(
        """UPDATE wallets SET balance_cents = balance_cents - $3, updated_at = $4
           WHERE tenant = $1 AND household_id = $2 AND balance_cents >= $3
           RETURNING balance_cents""",
        tenant,
        household_id,
        amount_cents,
        now,
    )
    return balance


# --- movements ---------------------------------------------------------------------------

MOVEMENT_COLUMNS = (
    "id",
    "tenant",
    "household_id",
    "kind",
    "amount_cents",
    "balance_cents",
    "label",
    "reason",
    "transaction_id",
    "refund_id",
    "basket_id",
    "booking_ids",
    "invoice_ids",
    "recorded_by",
    "at",
)


async def insert_movement(conn: Conn, values: Row) -> Row:
    values = {"booking_ids": [], "invoice_ids": [], **values}
    columns = ", ".join(MOVEMENT_COLUMNS)
    params = ", ".join(f"${i + 1}" for i in range(len(MOVEMENT_COLUMNS)))
    row = await conn.fetchrow(
        f"INSERT INTO wallet_movements ({columns}) VALUES ({params}) RETURNING *",
        *(values.get(c) for c in MOVEMENT_COLUMNS),
    )
    return dict(row)


async def top_up_movement(conn: Conn, transaction_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM wallet_movements WHERE transaction_id = $1", transaction_id
        )
    )


async def list_movements(
    conn: Conn, tenant: str, household_id: uuid.UUID, limit: int, offset: int
) -> list[Row]:
    """Newest first."""
    return _all(
        await conn.fetch(
            """SELECT * FROM wallet_movements WHERE tenant = $1 AND household_id = $2
               ORDER BY seq DESC LIMIT $3 OFFSET $4""",
            tenant,
            household_id,
            limit,
            offset,
        )
    )


async def transaction_account(conn: Conn, transaction_id: uuid.UUID) -> uuid.UUID | None:
    """The family account that started a card transaction (told of the top-up)."""
    account_id: uuid.UUID | None = await conn.fetchval(
        "SELECT account_id FROM card_transactions WHERE id = $1", transaction_id
    )
    return account_id


# --- the saga's answers ------------------------------------------------------------------

ANSWER_COLUMNS = (
    "basket_id",
    "activity_id",
    "child_id",
    "tenant",
    "household_id",
    "outcome",
    "reason",
    "booking_ids",
    "amount_cents",
    "balance_cents",
    "invoice_id",
    "movement_id",
    "answered_at",
)


async def get_answer(
    conn: Conn, basket_id: uuid.UUID, activity_id: uuid.UUID, child_id: uuid.UUID
) -> Row | None:
    return _one(
        await conn.fetchrow(
            """SELECT * FROM wallet_answers
               WHERE basket_id = $1 AND activity_id = $2 AND child_id = $3""",
            basket_id,
            activity_id,
            child_id,
        )
    )


async def insert_answer(conn: Conn, values: Row) -> Row | None:
    """None when these days were answered already (a replay racing this one)."""
    columns = ", ".join(ANSWER_COLUMNS)
    params = ", ".join(f"${i + 1}" for i in range(len(ANSWER_COLUMNS)))
    return _one(
        await conn.fetchrow(
            f"""INSERT INTO wallet_answers ({columns}) VALUES ({params})
                ON CONFLICT (basket_id, activity_id, child_id) DO NOTHING
                RETURNING *""",
            *(values.get(c) for c in ANSWER_COLUMNS),
        )
    )


async def wallet_paid_days(
    conn: Conn, tenant: str, household_id: uuid.UUID, booking_ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Those of these days whose invoice the household's wallet paid."""
    rows = await conn.fetch(
        """SELECT DISTINCT c.booking_id FROM charges c
           WHERE c.tenant = $1 AND c.booking_id = ANY($3::uuid[])
             AND EXISTS (SELECT 1 FROM wallet_movements m
                         WHERE m.tenant = $1 AND m.household_id = $2 AND m.kind = 'debit'
                           AND c.invoice_id = ANY(m.invoice_ids))""",
        tenant,
        household_id,
        list(booking_ids),
    )
    return [r["booking_id"] for r in rows]


async def credited_invoices(conn: Conn, credit_note_id: uuid.UUID) -> list[Row]:
    """The invoices whose days a credit note credits, with how much of each, in the order
    they were issued."""
    return _all(
        await conn.fetch(
            """SELECT i.id AS invoice_id, sum(n.amount_cents)::integer AS amount_cents
               FROM credit_note_lines n
               JOIN invoice_lines l ON l.id = n.invoice_line_id
               JOIN invoices i ON i.id = l.invoice_id
               WHERE n.credit_note_id = $1
               GROUP BY i.id, i.issued_at, i.number
               ORDER BY i.issued_at, i.number""",
            credit_note_id,
        )
    )
