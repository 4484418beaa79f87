"""The SQL of régies (their numbering included), the activities billing knows and their
price grids (asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from billing.store import Conn, Row, _all, _one

# --- régies ------------------------------------------------------------------------------

REGIE_FIELDS = ("code", "name", "address", "email", "legal_mentions", "payment_delay_days")
# A régie without its logo's bytes (read only to print: `regie_logo`).
_REGIE = """id, tenant, code, name, address, email, legal_mentions, payment_delay_days,
    created_at, updated_at, logo IS NOT NULL AS has_logo, holds_wallets"""


async def insert_regie(conn: Conn, tenant: str, data: Row) -> Row | None:
    """None when the tenant already has a régie with that code."""
    return _one(
        await conn.fetchrow(
            f"""INSERT INTO regies (id, tenant, code, name, address, email, legal_mentions,
                                   payment_delay_days)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (tenant, code) DO NOTHING
               RETURNING {_REGIE}""",
            uuid.uuid4(),
            tenant,
            *(data[f] for f in REGIE_FIELDS),
        )
    )


async def update_regie(conn: Conn, tenant: str, regie_id: uuid.UUID, data: Row) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"""UPDATE regies SET code = $3, name = $4, address = $5, email = $6,
                      legal_mentions = $7, payment_delay_days = $8, updated_at = now()
               WHERE tenant = $1 AND id = $2
               RETURNING {_REGIE}""",
            tenant,
            regie_id,
            *(data[f] for f in REGIE_FIELDS),
        )
    )


async def code_taken(conn: Conn, tenant: str, code: str, but: uuid.UUID | None) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT 1 FROM regies WHERE tenant = $1 AND code = $2 AND id IS DISTINCT FROM $3",
            tenant,
            code,
            but,
        )
    )


async def get_regie(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_REGIE} FROM regies WHERE tenant = $1 AND id = $2", tenant, regie_id
        )
    )


async def lock_regie(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_REGIE} FROM regies WHERE tenant = $1 AND id = $2 FOR UPDATE",
            tenant,
            regie_id,
        )
    )


async def list_regies(conn: Conn, tenant: str) -> list[Row]:
    return _all(
        await conn.fetch(f"SELECT {_REGIE} FROM regies WHERE tenant = $1 ORDER BY code", tenant)
    )


async def set_regie_logo(
    conn: Conn, tenant: str, regie_id: uuid.UUID, content: bytes | None, content_type: str | None
) -> bool:
    """False when the tenant has no such régie."""
    updated = await conn.fetchval(
        """UPDATE regies SET logo = $3, logo_type = $4, updated_at = now()
           WHERE tenant = $1 AND id = $2 RETURNING id""",
        tenant,
        regie_id,
        content,
        content_type,
    )
    return updated is not None


async def regie_logo(conn: Conn, tenant: str, regie_id: uuid.UUID) -> Row | None:
    """The régie's logo and its type (both None when it has none); None: no such régie."""
    return _one(
        await conn.fetchrow(
            "SELECT logo, logo_type FROM regies WHERE tenant = $1 AND id = $2", tenant, regie_id
        )
    )


async def take_numbers(conn: Conn, regie_id: uuid.UUID, year: int, kind: str, count: int) -> int:
    """The first of the next `count` numbers of a kind of document of a régie in a year.
    The counter row stays locked until the caller's transaction ends: a concurrent
    finalisation waits, and a rollback gives the numbers back. No gap, no duplicate."""
    last = await conn.fetchval(
        """INSERT INTO counters (regie_id, year, kind, last) VALUES ($1, $2, $3, $4)
           ON CONFLICT (regie_id, year, kind) DO UPDATE SET last = counters.last + EXCLUDED.last
           RETURNING last""",
        regie_id,
        year,
        kind,
        count,
    )
    return last - count + 1


# --- activities and price grids ----------------------------------------------------------

ACTIVITY_FIELDS = (
    "accounting_code",
    "childcare",
    "regie_id",
    "name",
    "billing_mode",
    "postpaid_source",
    "unit",
    "units_per_booking",
    "bill_present",
    "bill_absent",
    "bill_absent_justified",
    "bill_unexpected",
    "payment",
    "hold_minutes",
)


async def upsert_activity(
    conn: Conn, tenant: str, activity_id: uuid.UUID, data: Row, actor: uuid.UUID
) -> Row | None:
    """None when the activity is another tenant's."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO activities (activity_id, tenant, accounting_code, childcare,
                   regie_id, name, billing_mode, postpaid_source, unit, units_per_booking,
                   bill_present, bill_absent, bill_absent_justified, bill_unexpected, payment,
                   hold_minutes, updated_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                       $17)
               ON CONFLICT (activity_id) DO UPDATE SET
                   accounting_code = EXCLUDED.accounting_code,
                   childcare = EXCLUDED.childcare, regie_id = EXCLUDED.regie_id,
                   name = EXCLUDED.name,
                   billing_mode = EXCLUDED.billing_mode,
                   postpaid_source = EXCLUDED.postpaid_source, unit = EXCLUDED.unit,
                   units_per_booking = EXCLUDED.units_per_booking,
                   bill_present = EXCLUDED.bill_present, bill_absent = EXCLUDED.bill_absent,
                   bill_absent_justified = EXCLUDED.bill_absent_justified,
                   bill_unexpected = EXCLUDED.bill_unexpected,
                   payment = EXCLUDED.payment, hold_minutes = EXCLUDED.hold_minutes,
                   updated_by = EXCLUDED.updated_by, updated_at = now()
               WHERE activities.tenant = EXCLUDED.tenant
               RETURNING *""",
            activity_id,
            tenant,
            *(data[f] for f in ACTIVITY_FIELDS),
            actor,
        )
    )


async def get_activity(conn: Conn, tenant: str, activity_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM activities WHERE tenant = $1 AND activity_id = $2", tenant, activity_id
        )
    )


async def lock_activity(conn: Conn, tenant: str, activity_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM activities WHERE tenant = $1 AND activity_id = $2 FOR UPDATE",
            tenant,
            activity_id,
        )
    )


async def list_activities(conn: Conn, tenant: str, regie_id: uuid.UUID | None = None) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM activities WHERE tenant = $1 AND ($2::uuid IS NULL OR regie_id = $2)
               ORDER BY name, activity_id""",
            tenant,
            regie_id,
        )
    )


GRID_FIELDS = (
    "label",
    "valid_from",
    "valid_to",
    "brackets",
    "effort",
    "late_surcharge",
    "non_resident_cents",
)


async def insert_grid(conn: Conn, tenant: str, activity_id: uuid.UUID, data: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO price_grids (id, tenant, activity_id, label, valid_from, valid_to,
               brackets, effort, late_surcharge, non_resident_cents)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
           RETURNING *""",
        uuid.uuid4(),
        tenant,
        activity_id,
        *(data[f] for f in GRID_FIELDS),
    )
    return dict(row)


async def update_grid(conn: Conn, tenant: str, grid_id: uuid.UUID, data: Row) -> Row | None:
    return _one(
        await conn.fetchrow(
            """UPDATE price_grids SET label = $3, valid_from = $4, valid_to = $5, brackets = $6,
                      effort = $7, late_surcharge = $8, non_resident_cents = $9,
                      updated_at = now()
               WHERE tenant = $1 AND id = $2
               RETURNING *""",
            tenant,
            grid_id,
            *(data[f] for f in GRID_FIELDS),
        )
    )


async def delete_grid(conn: Conn, tenant: str, grid_id: uuid.UUID) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM price_grids WHERE tenant = $1 AND id = $2 RETURNING id", tenant, grid_id
    )
    return deleted is not None


async def get_grid(conn: Conn, tenant: str, grid_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM price_grids WHERE tenant = $1 AND id = $2", tenant, grid_id
        )
    )


async def activity_grids(conn: Conn, tenant: str, activity_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM price_grids WHERE tenant = $1 AND activity_id = ANY($2::uuid[])
               ORDER BY activity_id, valid_from""",
            tenant,
            list(activity_ids),
        )
    )


async def grids_on(conn: Conn, tenant: str, day: date) -> list[Row]:
    """The grids in force on a day, with their activity (the public price list)."""
    return _all(
        await conn.fetch(
            """SELECT g.*, a.name AS activity_name, a.unit, a.billing_mode, r.name AS regie_name
               FROM price_grids g
               JOIN activities a USING (activity_id)
               JOIN regies r ON r.id = a.regie_id
               WHERE g.tenant = $1 AND g.valid_from <= $2
                 AND (g.valid_to IS NULL OR $2 <= g.valid_to)
               ORDER BY a.name, a.activity_id""",
            tenant,
            day,
        )
    )
