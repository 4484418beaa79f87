"""The SQL of the read model of booking's days (booked, cancelled, attended, justified) and of
what is still to bill (asyncpg, parameterised)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from billing.store import Conn, Record, Row, _all

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
