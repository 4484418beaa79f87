"""All of billing's SQL (asyncpg, parameterised). Functions take a connection or the pool:
writes run inside the caller's unit of work (`uow.conn`), reads anywhere.

This module holds the invoicing core (régies, grids, read models, documents, ledger); each
later area keeps its SQL in a module of this package (`payments`, `wallet`, `direct_debit`,
`reminders`), imported as `from billing.store import payments`."""

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


# --- households, children, quotients (read models of family's events) --------------------


async def upsert_household(
    conn: Conn, tenant: str, household_id: uuid.UUID, guardian_names: list[str]
) -> None:
    await conn.execute(
        """INSERT INTO households (household_id, tenant, guardian_names) VALUES ($1, $2, $3)
           ON CONFLICT (household_id) DO UPDATE SET guardian_names = EXCLUDED.guardian_names
           WHERE households.tenant = EXCLUDED.tenant""",
        household_id,
        tenant,
        guardian_names,
    )


async def ensure_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> None:
    await conn.execute(
        """INSERT INTO households (household_id, tenant) VALUES ($1, $2)
           ON CONFLICT (household_id) DO NOTHING""",
        household_id,
        tenant,
    )


async def set_billing_profile(
    conn: Conn, tenant: str, household_id: uuid.UUID, data: Row
) -> Row | None:
    return _one(
        await conn.fetchrow(
            """INSERT INTO households (household_id, tenant, resident, payer_name, payer_address,
                   payer_email)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (household_id) DO UPDATE SET resident = EXCLUDED.resident,
                   payer_name = EXCLUDED.payer_name, payer_address = EXCLUDED.payer_address,
                   payer_email = EXCLUDED.payer_email
               WHERE households.tenant = EXCLUDED.tenant
               RETURNING *""",
            household_id,
            tenant,
            data["resident"],
            data["payer_name"],
            data["payer_address"],
            data["payer_email"],
        )
    )


async def anonymise_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> None:
    """Names and contact details go from the read models; issued documents keep their copy
    (accounting records)."""
    await conn.execute(
        """UPDATE households SET anonymised = true, guardian_names = '{Anonyme}',
                  payer_name = NULL, payer_address = NULL, payer_email = NULL
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )
    await conn.execute(
        """UPDATE children SET first_name = 'Anonyme', last_name = 'Anonyme'
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )
    await conn.execute(
        """UPDATE payers SET name = 'Anonyme', address = NULL, email = NULL, updated_at = now()
           WHERE tenant = $1 AND household_id = $2""",
        tenant,
        household_id,
    )


async def get_household(conn: Conn, tenant: str, household_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM households WHERE tenant = $1 AND household_id = $2",
            tenant,
            household_id,
        )
    )


async def upsert_child(conn: Conn, tenant: str, payload: Row, version_at: datetime) -> None:
    """An older event arriving after a newer one changes nothing."""
    await conn.execute(
        """INSERT INTO children (child_id, tenant, household_id, first_name, last_name,
               birth_date, version_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (child_id) DO UPDATE SET household_id = EXCLUDED.household_id,
               first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name,
               birth_date = EXCLUDED.birth_date, version_at = EXCLUDED.version_at
           WHERE children.version_at < EXCLUDED.version_at
             AND children.tenant = EXCLUDED.tenant""",
        payload["child_id"],
        tenant,
        payload["household_id"],
        payload["first_name"],
        payload["last_name"],
        payload["birth_date"],
        version_at,
    )


async def household_children(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]
) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM children WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY birth_date""",
            tenant,
            list(household_ids),
        )
    )


async def get_child(conn: Conn, tenant: str, child_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM children WHERE tenant = $1 AND child_id = $2", tenant, child_id
        )
    )


async def upsert_quotient(conn: Conn, tenant: str, payload: Row, recorded_at: datetime) -> None:
    await conn.execute(
        """INSERT INTO quotients (quotient_id, tenant, household_id, value, valid_from,
               valid_until, source, recorded_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (quotient_id) DO UPDATE SET value = EXCLUDED.value,
               valid_from = EXCLUDED.valid_from, valid_until = EXCLUDED.valid_until,
               source = EXCLUDED.source, recorded_at = EXCLUDED.recorded_at
           WHERE quotients.recorded_at < EXCLUDED.recorded_at
             AND quotients.tenant = EXCLUDED.tenant""",
        payload["quotient_id"],
        tenant,
        payload["household_id"],
        payload["value"],
        payload["valid_from"],
        payload["valid_until"],
        payload["source"],
        recorded_at,
    )


async def household_quotients(
    conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]
) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM quotients WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY valid_from""",
            tenant,
            list(household_ids),
        )
    )


async def households_of(conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            "SELECT * FROM households WHERE tenant = $1 AND household_id = ANY($2::uuid[])",
            tenant,
            list(household_ids),
        )
    )


# --- payers, linked accounts, billing rules ----------------------------------------------

PAYER_FIELDS = ("name", "address", "email", "account_id")


async def link_account(
    conn: Conn, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> None:
    await conn.execute(
        """INSERT INTO household_accounts (tenant, account_id, household_id) VALUES ($1, $2, $3)
           ON CONFLICT (tenant, account_id) DO UPDATE SET household_id = EXCLUDED.household_id""",
        tenant,
        account_id,
        household_id,
    )


async def account_household(conn: Conn, tenant: str, account_id: uuid.UUID) -> uuid.UUID | None:
    household_id: uuid.UUID | None = await conn.fetchval(
        "SELECT household_id FROM household_accounts WHERE tenant = $1 AND account_id = $2",
        tenant,
        account_id,
    )
    return household_id


async def insert_payer(conn: Conn, tenant: str, household_id: uuid.UUID, data: Row) -> Row | None:
    """None when the account is another payer's already."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO payers (id, tenant, household_id, name, address, email, account_id)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (tenant, account_id) WHERE account_id IS NOT NULL DO NOTHING
               RETURNING *""",
            uuid.uuid4(),
            tenant,
            household_id,
            *(data[f] for f in PAYER_FIELDS),
        )
    )


async def update_payer(conn: Conn, tenant: str, payer_id: uuid.UUID, data: Row) -> Row | None:
    return _one(
        await conn.fetchrow(
            """UPDATE payers SET name = $3, address = $4, email = $5, account_id = $6,
                      updated_at = now()
               WHERE tenant = $1 AND id = $2
               RETURNING *""",
            tenant,
            payer_id,
            *(data[f] for f in PAYER_FIELDS),
        )
    )


async def payer_account_taken(
    conn: Conn, tenant: str, account_id: uuid.UUID, but: uuid.UUID | None
) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM payers
               WHERE tenant = $1 AND account_id = $2 AND id IS DISTINCT FROM $3""",
            tenant,
            account_id,
            but,
        )
    )


async def get_payer(conn: Conn, tenant: str, payer_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow("SELECT * FROM payers WHERE tenant = $1 AND id = $2", tenant, payer_id)
    )


async def household_payers(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM payers WHERE tenant = $1 AND household_id = $2
               ORDER BY created_at, id""",
            tenant,
            household_id,
        )
    )


async def payers_of(conn: Conn, tenant: str, payer_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            "SELECT * FROM payers WHERE tenant = $1 AND id = ANY($2::uuid[])",
            tenant,
            list(payer_ids),
        )
    )


async def account_payers(
    conn: Conn, tenant: str, household_id: uuid.UUID, account_id: uuid.UUID
) -> list[uuid.UUID]:
    """The household's payers tied to this account."""
    rows = await conn.fetch(
        "SELECT id FROM payers WHERE tenant = $1 AND household_id = $2 AND account_id = $3",
        tenant,
        household_id,
        account_id,
    )
    return [r["id"] for r in rows]


RULE_FIELDS = (
    "child_id",
    "effective_from",
    "kind",
    "payer_a",
    "payer_b",
    "reference_week",
    "weekdays",
    "percent_a",
)


async def insert_rule(
    conn: Conn, tenant: str, household_id: uuid.UUID, data: Row, actor: uuid.UUID
) -> Row | None:
    """None when a rule of the child starts that day already."""
    return _one(
        await conn.fetchrow(
            """INSERT INTO billing_rules (id, tenant, household_id, child_id, effective_from,
                   kind, payer_a, payer_b, reference_week, weekdays, percent_a, created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
               ON CONFLICT (tenant, child_id, effective_from) DO NOTHING
               RETURNING *""",
            uuid.uuid4(),
            tenant,
            household_id,
            *(data[f] for f in RULE_FIELDS),
            actor,
        )
    )


async def delete_rule(conn: Conn, tenant: str, rule_id: uuid.UUID) -> bool:
    deleted = await conn.fetchval(
        "DELETE FROM billing_rules WHERE tenant = $1 AND id = $2 RETURNING id", tenant, rule_id
    )
    return deleted is not None


async def household_rules(conn: Conn, tenant: str, household_ids: Sequence[uuid.UUID]) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM billing_rules
               WHERE tenant = $1 AND household_id = ANY($2::uuid[])
               ORDER BY child_id, effective_from""",
            tenant,
            list(household_ids),
        )
    )


# --- bookings (read model of booking's events) -------------------------------------------


async def record_booked(conn: Conn, tenant: str, days: Sequence[Row]) -> None:
    """Days booked (validated or promoted): a day first seen as an unexpected presence
    becomes booked; attendance already recorded stays."""
    await conn.executemany(
        """INSERT INTO bookings (booking_id, tenant, household_id, child_id, child_name,
               activity_id, activity_name, day, late, basket_id, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'booked')
           ON CONFLICT (booking_id) DO UPDATE SET status = 'booked', late = EXCLUDED.late,
               child_name = EXCLUDED.child_name, activity_name = EXCLUDED.activity_name,
               basket_id = coalesce(bookings.basket_id, EXCLUDED.basket_id), updated_at = now()
           WHERE bookings.status = 'unexpected' AND bookings.tenant = EXCLUDED.tenant""",
        [
            (
                d["booking_id"],
                tenant,
                d["household_id"],
                d["child_id"],
                d["child_name"],
                d["activity_id"],
                d["activity_name"],
                d["day"],
                d["late"],
                d["basket_id"],
            )
            for d in days
        ],
    )


async def record_cancelled(conn: Conn, tenant: str, days: Sequence[Row], *, charged: bool) -> None:
    await conn.executemany(
        """INSERT INTO bookings (booking_id, tenant, household_id, child_id, child_name,
               activity_id, activity_name, day, late, basket_id, status, charged_cancel)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'cancelled', $11)
           ON CONFLICT (booking_id) DO UPDATE SET status = 'cancelled',
               charged_cancel = EXCLUDED.charged_cancel, updated_at = now()
           WHERE bookings.tenant = EXCLUDED.tenant""",
        [
            (
                d["booking_id"],
                tenant,
                d["household_id"],
                d["child_id"],
                d["child_name"],
                d["activity_id"],
                d["activity_name"],
                d["day"],
                d["late"],
                d["basket_id"],
                charged,
            )
            for d in days
        ],
    )


async def record_attendance(
    conn: Conn, tenant: str, marks: Sequence[Row], marked_at: datetime
) -> None:
    """The latest mark of a booking wins; a mark of a booking billing never saw booked is an
    unexpected presence (or absence)."""
    await conn.executemany(
        """INSERT INTO bookings (booking_id, tenant, household_id, child_id, child_name,
               activity_id, activity_name, day, late, status, attendance, attendance_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'unexpected', $10, $11)
           ON CONFLICT (booking_id) DO UPDATE SET attendance = EXCLUDED.attendance,
               attendance_at = EXCLUDED.attendance_at, updated_at = now()
           WHERE (bookings.attendance_at IS NULL OR bookings.attendance_at < EXCLUDED.attendance_at)
             AND bookings.tenant = EXCLUDED.tenant""",
        [
            (
                m["booking_id"],
                tenant,
                m["household_id"],
                m["child_id"],
                m["child_name"],
                m["activity_id"],
                m["activity_name"],
                m["day"],
                m["late"],
                m["status"],
                marked_at,
            )
            for m in marks
        ],
    )


async def record_justified(conn: Conn, tenant: str, day: Row) -> None:
    await conn.execute(
        """INSERT INTO bookings (booking_id, tenant, household_id, child_id, child_name,
               activity_id, activity_name, day, late, status, justified)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', true)
           ON CONFLICT (booking_id) DO UPDATE SET justified = true, updated_at = now()
           WHERE bookings.tenant = EXCLUDED.tenant""",
        day["booking_id"],
        tenant,
        day["household_id"],
        day["child_id"],
        day["child_name"],
        day["activity_id"],
        day["activity_name"],
        day["day"],
        day["late"],
    )


async def cancelled_bookings(conn: Conn, booking_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Those of these days already cancelled free of charge (a cancellation that came first)."""
    rows = await conn.fetch(
        """SELECT booking_id FROM bookings
           WHERE booking_id = ANY($1::uuid[]) AND status = 'cancelled' AND NOT charged_cancel""",
        list(booking_ids),
    )
    return {r["booking_id"] for r in rows}


async def unbilled_bookings(
    conn: Conn, tenant: str, activity_ids: Sequence[uuid.UUID], start: date, end: date
) -> list[Record]:
    """Days of these activities in the period that no document charges yet."""
    return list(
        await conn.fetch(
            """SELECT b.* FROM bookings b
               WHERE b.tenant = $1 AND b.activity_id = ANY($2::uuid[])
                 AND b.day BETWEEN $3 AND $4
                 AND NOT EXISTS (SELECT 1 FROM charges c WHERE c.booking_id = b.booking_id)
               ORDER BY b.household_id, b.child_id, b.day""",
            tenant,
            list(activity_ids),
            start,
            end,
        )
    )


async def unconfigured_bookings(conn: Conn, tenant: str, start: date, end: date) -> list[Row]:
    """Booked days of activities billing has no configuration for."""
    return _all(
        await conn.fetch(
            """SELECT b.* FROM bookings b
               WHERE b.tenant = $1 AND b.day BETWEEN $2 AND $3 AND b.status = 'booked'
                 AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.activity_id = b.activity_id)
               ORDER BY b.activity_id, b.day""",
            tenant,
            start,
            end,
        )
    )


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


# --- campaigns ---------------------------------------------------------------------------


async def insert_campaign(conn: Conn, values: Row) -> Row:
    row = await conn.fetchrow(
        """INSERT INTO campaigns (id, tenant, regie_id, period_from, period_to, due_date,
               created_by, created_at, drafted_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
           RETURNING *""",
        uuid.uuid4(),
        values["tenant"],
        values["regie_id"],
        values["period_from"],
        values["period_to"],
        values["due_date"],
        values["created_by"],
        values["now"],
    )
    return dict(row)


async def overlapping_draft(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT 1 FROM campaigns WHERE tenant = $1 AND regie_id = $2 AND status = 'draft'
                 AND period_from <= $4 AND $3 <= period_to""",
            tenant,
            regie_id,
            start,
            end,
        )
    )


async def lock_campaign(conn: Conn, tenant: str, campaign_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            "SELECT * FROM campaigns WHERE tenant = $1 AND id = $2 FOR UPDATE", tenant, campaign_id
        )
    )


async def get_campaign(conn: Conn, tenant: str, campaign_id: uuid.UUID) -> Row | None:
    return _one(
        await conn.fetchrow(
            f"SELECT {_CAMPAIGN_VIEW} FROM campaigns c WHERE c.tenant = $1 AND c.id = $2",
            tenant,
            campaign_id,
        )
    )


_CAMPAIGN_VIEW = """c.*,
    (SELECT count(*) FROM invoices i WHERE i.campaign_id = c.id) AS invoice_count,
    (SELECT coalesce(sum(i.total_cents), 0) FROM invoices i
        WHERE i.campaign_id = c.id AND i.status = 'issued') AS issued_cents,
    (SELECT count(*) FROM campaign_issues x WHERE x.campaign_id = c.id
        AND x.severity = 'error') AS error_count,
    (SELECT count(*) FROM campaign_issues x WHERE x.campaign_id = c.id
        AND x.severity = 'warning') AS warning_count"""


async def list_campaigns(conn: Conn, tenant: str, regie_id: uuid.UUID | None) -> list[Row]:
    return _all(
        await conn.fetch(
            f"""SELECT {_CAMPAIGN_VIEW} FROM campaigns c
                WHERE c.tenant = $1 AND ($2::uuid IS NULL OR c.regie_id = $2)
                ORDER BY c.period_from DESC, c.created_at DESC""",
            tenant,
            regie_id,
        )
    )


async def set_campaign_status(
    conn: Conn,
    campaign_id: uuid.UUID,
    status: str,
    *,
    actor: uuid.UUID | None = None,
    now: datetime | None = None,
    issue_date: date | None = None,
) -> None:
    await conn.execute(
        """UPDATE campaigns SET status = $2,
                  finalised_by = coalesce($3, finalised_by),
                  finalised_at = CASE WHEN $2 = 'finalised' THEN $4 ELSE finalised_at END,
                  issue_date = coalesce($5, issue_date)
           WHERE id = $1""",
        campaign_id,
        status,
        actor,
        now,
        issue_date,
    )


async def touch_campaign(conn: Conn, campaign_id: uuid.UUID, now: datetime) -> None:
    await conn.execute("UPDATE campaigns SET drafted_at = $2 WHERE id = $1", campaign_id, now)


async def replace_issues(conn: Conn, campaign_id: uuid.UUID, issues: Sequence[Row]) -> None:
    await conn.execute("DELETE FROM campaign_issues WHERE campaign_id = $1", campaign_id)
    await conn.executemany(
        """INSERT INTO campaign_issues (campaign_id, severity, code, detail, household_id,
               child_id, child_name, activity_id, booking_id, day)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        [
            (
                campaign_id,
                x["severity"],
                x["code"],
                x["detail"],
                x.get("household_id"),
                x.get("child_id"),
                x.get("child_name"),
                x.get("activity_id"),
                x.get("booking_id"),
                x.get("day"),
            )
            for x in issues
        ],
    )


async def campaign_issues(conn: Conn, campaign_id: uuid.UUID) -> list[Row]:
    return _all(
        await conn.fetch(
            """SELECT * FROM campaign_issues WHERE campaign_id = $1
               ORDER BY severity, code, household_id, day""",
            campaign_id,
        )
    )
