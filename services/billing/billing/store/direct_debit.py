"""SQL of SEPA direct debit: the régies' creditor settings, mandates and their signature links,
batches and their items, rejections, and the bank details access log. Bank details arrive
and leave sealed (`key_id`, `sealed`): nothing here sees an IBAN."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from billing.store import _INVOICE_VIEW, Conn, Row, _all, _one

# --- creditor settings ---------------------------------------------------------------------


async def upsert_creditor(
    conn: Conn, tenant: str, regie_id: uuid.UUID, data: Row, actor: uuid.UUID, now: datetime
) -> Row:
    return dict(
        await conn.fetchrow(
            """INSERT INTO sepa_creditors (regie_id, tenant, creditor_id, creditor_name,
                   iban_masked, key_id, sealed, prenotification_days, updated_by, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
               ON CONFLICT (regie_id) DO UPDATE SET creditor_id = EXCLUDED.creditor_id,
                   creditor_name = EXCLUDED.creditor_name, iban_masked = EXCLUDED.iban_masked,
                   key_id = EXCLUDED.key_id, sealed = EXCLUDED.sealed,
                   prenotification_days = EXCLUDED.prenotification_days,
                   updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
               RETURNING *""",
            regie_id,
            tenant,
            data["creditor_id"],
            data["creditor_name"],
            data["iban_masked"],
            data["key_id"],
            data["sealed"],
            data["prenotification_days"],
            actor,
            now,
        )
    )


async def get_creditor(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM sepa_creditors WHERE tenant = $1 AND regie_id = $2", tenant, regie_id
        )
    )


async def list_creditors(conn: Conn, tenant: str) -> list[Row]:
    """The régies that collect by direct debit, by name (no bank details)."""
    return _all(
        await conn.fetch(
            """SELECT c.regie_id, r.name AS regie_name, c.creditor_name,
                      c.prenotification_days
               FROM sepa_creditors c JOIN regies r ON r.id = c.regie_id AND r.tenant = c.tenant
               WHERE c.tenant = $1 ORDER BY r.name, c.regie_id""",
            tenant,
        )
    )


async def lock_creditor(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    """The régie's settings, locked until the transaction ends: its batches are made one at
    a time (numbers, and no invoice collected twice)."""
    return _one(
        await conn.fetchrow(
            "SELECT * FROM sepa_creditors WHERE tenant = $1 AND regie_id = $2 FOR UPDATE",
            tenant,
            regie_id,
        )
    )


# --- mandates ------------------------------------------------------------------------------

_MANDATE = """m.*, r.name AS regie_name, r.code AS regie_code,
    (SELECT s.expires_at FROM mandate_signatures s
     WHERE s.mandate_id = m.id AND s.used_at IS NULL
     ORDER BY s.created_at DESC LIMIT 1) AS signature_expires_at"""


async def take_rum_number(conn: Conn, tenant: str, year: int) -> int:
    """The next mandate number of the tenant in the year (the row stays locked until the
    transaction ends: no duplicate)."""
    seq: int = await conn.fetchval(
        """INSERT INTO mandate_counters (tenant, year, last) VALUES ($1, $2, 1)
           ON CONFLICT (tenant, year) DO UPDATE SET last = mandate_counters.last + 1
           RETURNING last""",
        tenant,
        year,
    )
    return seq


async def insert_mandate(conn: Conn, values: Row) -> None:
    await conn.execute(
        """INSERT INTO mandates (id, tenant, regie_id, household_id, payer_id, rum, holder,
               iban_masked, key_id, sealed, status, account_id, created_by, signed_on,
               activated_at, recorded_by, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                   $17, $17)""",
        values["id"],
        values["tenant"],
        values["regie_id"],
        values["household_id"],
        values["payer_id"],
        values["rum"],
        values["holder"],
        values["iban_masked"],
        values["key_id"],
        values["sealed"],
        values["status"],
        values["account_id"],
        values["created_by"],
        values.get("signed_on"),
        values.get("activated_at"),
        values.get("recorded_by"),
        values["created_at"],
    )


async def get_mandate(conn: Conn, tenant: str, mandate_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"""SELECT {_MANDATE} FROM mandates m JOIN regies r ON r.id = m.regie_id
                WHERE m.tenant = $1 AND m.id = $2""",
            tenant,
            mandate_id,
        )
    )


async def lock_mandate(conn: Conn, tenant: str, mandate_id: uuid.UUID) -> Row | None:
    row = await conn.fetchrow(
        "SELECT id FROM mandates WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, mandate_id
    )
    return None if row is None else await get_mandate(conn, tenant, mandate_id)


async def list_mandates(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_MANDATE} FROM mandates m JOIN regies r ON r.id = m.regie_id
                WHERE m.tenant = $1
                  AND ($2::uuid IS NULL OR m.household_id = $2)
                  AND ($3::uuid IS NULL OR m.regie_id = $3)
                  AND ($4::text IS NULL OR m.status = $4)
                  AND ($5::uuid[] IS NULL OR m.payer_id = ANY($5))
                ORDER BY m.created_at DESC, m.rum DESC
                LIMIT $6 OFFSET $7""",
            tenant,
            filters.get("household_id"),
            filters.get("regie_id"),
            filters.get("status"),
            None if filters.get("payer_ids") is None else list(filters["payer_ids"]),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


async def live_mandates_of(
    conn: Conn, tenant: str, regie_id: uuid.UUID, payer_id: uuid.UUID, but: uuid.UUID
) -> list[Row]:
    """The payer's other mandates of the régie not revoked yet, locked (a new active one
    replaces them)."""
    ids = await conn.fetch(
        """SELECT id FROM mandates
           WHERE tenant = $1 AND regie_id = $2 AND payer_id = $3 AND id <> $4
             AND status <> 'revoked'
           ORDER BY id FOR UPDATE""",
        tenant,
        regie_id,
        payer_id,
        but,
    )
    return [row for r in ids if (row := await get_mandate(conn, tenant, r["id"])) is not None]


async def activate_mandate(
    conn: Conn,
    mandate_id: uuid.UUID,
    *,
    signed_on: date,
    recorded_by: str,
    collects_from: datetime,
    now: datetime,
) -> None:
    await conn.execute(
        """UPDATE mandates SET status = 'active', signed_on = $2, recorded_by = $3,
                  activated_at = $4, updated_at = $4, collects_from = $5
           WHERE id = $1""",
        mandate_id,
        signed_on,
        recorded_by,
        now,
        collects_from,
    )


async def revoke_mandate(
    conn: Conn,
    mandate_id: uuid.UUID,
    *,
    revoked_by: str,
    now: datetime,
    replaced_by: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        """UPDATE mandates SET status = 'revoked', revoked_by = $2, revoked_at = $3,
                  replaced_by = $4, updated_at = $3
           WHERE id = $1""",
        mandate_id,
        revoked_by,
        now,
        replaced_by,
    )
    # Its signature links die with it.
    await conn.execute(
        "UPDATE mandate_signatures SET used_at = $2 WHERE mandate_id = $1 AND used_at IS NULL",
        mandate_id,
        now,
    )


async def count_rejection(
    conn: Conn, mandate_id: uuid.UUID, *, rejections: int, suspend: bool, now: datetime
) -> None:
    await conn.execute(
        """UPDATE mandates SET rejections = $2, updated_at = $4,
                  status = CASE WHEN $3 THEN 'suspended' ELSE status END,
                  suspended_at = CASE WHEN $3 THEN $4 ELSE suspended_at END
           WHERE id = $1""",
        mandate_id,
        rejections,
        suspend,
        now,
    )


async def insert_signature(
    conn: Conn,
    *,
    digest: str,
    tenant: str,
    mandate_id: uuid.UUID,
    expires_at: datetime,
    now: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO mandate_signatures (digest, tenant, mandate_id, expires_at, created_at)
           VALUES ($1, $2, $3, $4, $5)""",
        digest,
        tenant,
        mandate_id,
        expires_at,
        now,
    )


async def lock_signature(conn: Conn, tenant: str, digest: str) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM mandate_signatures WHERE tenant = $1 AND digest = $2 FOR UPDATE",
            tenant,
            digest,
        )
    )


async def use_signature(conn: Conn, digest: str, now: datetime) -> None:
    await conn.execute("UPDATE mandate_signatures SET used_at = $2 WHERE digest = $1", digest, now)


# --- batches -------------------------------------------------------------------------------


async def invoices_to_collect(conn: Conn, tenant: str, regie_id: uuid.UUID) -> list[Row]:
    """The régie's issued invoices with something still due, never in a batch, whose payer
    has an active mandate collecting invoices issued from before this one (domain/mandates
    `collects`); with the mandate. Per mandate, oldest invoice first."""
    return _all(
        await conn.fetch(
            f"""SELECT v.id AS invoice_id, v.number AS invoice_number, v.household_id,
                       v.payer_id, v.remaining_cents, v.issue_date, v.issued_at,
                       m.id AS mandate_id
                FROM (SELECT {_INVOICE_VIEW} FROM invoices i
                      WHERE i.tenant = $1 AND i.regie_id = $2 AND i.status = 'issued'
                        AND EXISTS (SELECT 1 FROM mandates a
                                    WHERE a.tenant = $1 AND a.regie_id = $2
                                      AND a.payer_id = i.payer_id AND a.status = 'active')
                        AND NOT EXISTS (SELECT 1 FROM direct_debit_items d
                                        WHERE d.invoice_id = i.id)) v
                JOIN mandates m ON m.tenant = $1 AND m.regie_id = $2
                    AND m.payer_id = v.payer_id AND m.status = 'active'
                    AND v.issued_at > m.collects_from
                WHERE v.remaining_cents > 0
                ORDER BY m.rum, v.issue_date, v.number""",
            tenant,
            regie_id,
        )
    )


async def mandates_by_id(conn: Conn, tenant: str, mandate_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_MANDATE} FROM mandates m JOIN regies r ON r.id = m.regie_id
                WHERE m.tenant = $1 AND m.id = ANY($2::uuid[])""",
            tenant,
            list(mandate_ids),
        )
    )


async def lock_mandates(conn: Conn, tenant: str, mandate_ids: Sequence[uuid.UUID]) -> None:
    """Mandates being collected cannot be revoked or suspended meanwhile (same order: no
    deadlock)."""
    await conn.execute(
        """SELECT id FROM mandates WHERE tenant = $1 AND id = ANY($2::uuid[])
           ORDER BY id FOR UPDATE""",
        tenant,
        list(mandate_ids),
    )


async def collections_of(conn: Conn, mandate_ids: Sequence[uuid.UUID]) -> list[Row]:
    """Every collection already made on these mandates, oldest first."""
    return _all(
        await conn.fetch(
            """SELECT d.mandate_id, d.sequence_type, d.status
               FROM direct_debit_items d JOIN direct_debit_batches b ON b.id = d.batch_id
               WHERE d.mandate_id = ANY($1::uuid[])
               ORDER BY b.created_at, b.seq, d.position""",
            list(mandate_ids),
        )
    )


async def insert_batch(conn: Conn, values: Row) -> None:
    await conn.execute(
        """INSERT INTO direct_debit_batches (id, tenant, regie_id, number, year, seq,
               collection_date, item_count, total_cents, message_id, key_id, sealed_file,
               created_by, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)""",
        *(
            values[k]
            for k in (
                "id",
                "tenant",
                "regie_id",
                "number",
                "year",
                "seq",
                "collection_date",
                "item_count",
                "total_cents",
                "message_id",
                "key_id",
                "sealed_file",
                "created_by",
                "created_at",
            )
        ),
    )


_ITEM_COLUMNS = (
    "id",
    "tenant",
    "batch_id",
    "position",
    "mandate_id",
    "invoice_id",
    "household_id",
    "payer_id",
    "end_to_end_id",
    "sequence_type",
    "amount_cents",
    "payment_id",
)
_ITEM_TYPES = (
    "uuid",
    "text",
    "uuid",
    "integer",
    "uuid",
    "uuid",
    "uuid",
    "uuid",
    "text",
    "text",
    "integer",
    "uuid",
)


async def insert_items(conn: Conn, items: Sequence[Row]) -> None:
    arrays = ", ".join(f"${i + 1}::{t}[]" for i, t in enumerate(_ITEM_TYPES))
    await conn.execute(
        f"""INSERT INTO direct_debit_items ({", ".join(_ITEM_COLUMNS)})
            SELECT * FROM unnest({arrays})""",
        *([item[c] for item in items] for c in _ITEM_COLUMNS),
    )


_BATCH = """b.id, b.tenant, b.regie_id, b.number, b.year, b.seq, b.collection_date,
    b.item_count, b.total_cents, b.message_id, b.created_by, b.created_at,
    r.name AS regie_name, r.code AS regie_code,
    (SELECT count(*) FROM direct_debit_items d
     WHERE d.batch_id = b.id AND d.status = 'rejected') AS rejected_count,
    (SELECT coalesce(sum(d.amount_cents), 0) FROM direct_debit_items d
     WHERE d.batch_id = b.id AND d.status = 'rejected') AS rejected_cents"""


async def get_batch(conn: Conn, tenant: str, batch_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"""SELECT {_BATCH} FROM direct_debit_batches b JOIN regies r ON r.id = b.regie_id
                WHERE b.tenant = $1 AND b.id = $2""",
            tenant,
            batch_id,
        )
    )


async def batch_file(conn: Conn, tenant: str, batch_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            """SELECT id, number, key_id, sealed_file FROM direct_debit_batches
               WHERE tenant = $1 AND id = $2""",
            tenant,
            batch_id,
        )
    )


async def latest_batch_on(
    conn: Conn, tenant: str, regie_id: uuid.UUID, collection_date: date
) -> uuid.UUID | None:
    batch_id: uuid.UUID | None = await conn.fetchval(
        """SELECT id FROM direct_debit_batches
           WHERE tenant = $1 AND regie_id = $2 AND collection_date = $3
           ORDER BY seq DESC LIMIT 1""",
        tenant,
        regie_id,
        collection_date,
    )
    return batch_id


async def list_batches(conn: Conn, tenant: str, filters: Row) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_BATCH} FROM direct_debit_batches b JOIN regies r ON r.id = b.regie_id
                WHERE b.tenant = $1 AND ($2::uuid IS NULL OR b.regie_id = $2)
                ORDER BY b.created_at DESC, b.number DESC
                LIMIT $3 OFFSET $4""",
            tenant,
            filters.get("regie_id"),
            filters.get("limit", 100),
            filters.get("offset", 0),
        )
    )


_ITEM = """d.*, i.number AS invoice_number, m.rum, m.holder, m.iban_masked,
    b.number AS batch_number, b.collection_date, b.regie_id, b.message_id,
    x.reason_code, x.reason_label, x.recorded_at AS rejected_at"""
_ITEM_FROM = """direct_debit_items d
    JOIN direct_debit_batches b ON b.id = d.batch_id
    JOIN invoices i ON i.id = d.invoice_id
    JOIN mandates m ON m.id = d.mandate_id
    LEFT JOIN direct_debit_rejections x ON x.item_id = d.id"""


async def batch_items(conn: Conn, batch_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            f"SELECT {_ITEM} FROM {_ITEM_FROM} WHERE d.batch_id = $1 ORDER BY d.position",
            batch_id,
        )
    )


async def household_items(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    payer_ids: Sequence[uuid.UUID] | None,
    limit: int,
) -> list[Row]:
    """The household's debits (those of `payer_ids` only, when given), latest date first."""
    return _all(
        await conn.fetch(
            f"""SELECT {_ITEM} FROM {_ITEM_FROM}
                WHERE d.tenant = $1 AND d.household_id = $2
                  AND ($3::uuid[] IS NULL OR d.payer_id = ANY($3::uuid[]))
                ORDER BY b.collection_date DESC, b.seq DESC, d.position
                LIMIT $4""",
            tenant,
            household_id,
            None if payer_ids is None else list(payer_ids),
            limit,
        )
    )


async def batch_households(conn: Conn, batch_id: uuid.UUID) -> list[Row]:
    """Each mandate of a batch with its household (whose bank details the file holds)."""
    return _all(
        await conn.fetch(
            """SELECT DISTINCT d.mandate_id, d.household_id FROM direct_debit_items d
               WHERE d.batch_id = $1 ORDER BY d.household_id, d.mandate_id""",
            batch_id,
        )
    )


async def find_items(conn: Conn, tenant: str, by: str, values: Sequence[Any]) -> list[Row]:
    """Items by id, invoice id, end-to-end id, invoice number or batch message id."""
    where = {
        "item_id": "d.id = ANY($2::uuid[])",
        "invoice_id": "d.invoice_id = ANY($2::uuid[])",
        "end_to_end_id": "d.end_to_end_id = ANY($2::text[])",
        "invoice_number": "i.number = ANY($2::text[])",
        "message_id": "b.message_id = ANY($2::text[])",
    }[by]
    return _all(
        await conn.fetch(
            f"""SELECT {_ITEM} FROM {_ITEM_FROM}
                WHERE d.tenant = $1 AND {where}
                ORDER BY b.seq, d.position""",
            tenant,
            list(values),
        )
    )


async def lock_item(conn: Conn, item_id: uuid.UUID) -> str | None:
    """The item's status, the item locked (two rejections of it wait for each other)."""
    status: str | None = await conn.fetchval(
        "SELECT status FROM direct_debit_items WHERE id = $1 FOR UPDATE", item_id
    )
    return status


async def insert_rejection(conn: Conn, values: Row) -> bool:
    """False when the item was rejected already (the rejection is applied once)."""
    inserted = await conn.fetchval(
        """INSERT INTO direct_debit_rejections (id, tenant, item_id, reason_code, reason_label,
               source, recorded_by, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (item_id) DO NOTHING
           RETURNING id""",
        uuid.uuid4(),
        values["tenant"],
        values["item_id"],
        values["reason_code"],
        values["reason_label"],
        values["source"],
        values["recorded_by"],
        values["recorded_at"],
    )
    if inserted is not None:
        await conn.execute(
            "UPDATE direct_debit_items SET status = 'rejected' WHERE id = $1", values["item_id"]
        )
    return inserted is not None


# --- access log ----------------------------------------------------------------------------


async def log_access(conn: Conn, entries: Sequence[Row]) -> None:
    await conn.executemany(
        """INSERT INTO bank_details_access_log (tenant, household_id, mandate_id, batch_id,
               account_id, roles, purpose, accessed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [
            (
                e["tenant"],
                e["household_id"],
                e["mandate_id"],
                e.get("batch_id"),
                e["account_id"],
                e["roles"],
                e["purpose"],
                e["accessed_at"],
            )
            for e in entries
        ],
    )


async def access_log(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT a.id, a.mandate_id, m.rum, a.batch_id, b.number AS batch_number,
                      a.account_id, a.roles, a.purpose, a.accessed_at
               FROM bank_details_access_log a
               JOIN mandates m ON m.id = a.mandate_id
               LEFT JOIN direct_debit_batches b ON b.id = a.batch_id
               WHERE a.tenant = $1 AND a.household_id = $2
               ORDER BY a.accessed_at DESC, a.id DESC""",
            tenant,
            household_id,
        )
    )
