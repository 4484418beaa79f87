"""All SQL of the booking service (asyncpg, parameterised, the service's own schema)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from booking.domain.baskets import Addition

if TYPE_CHECKING:
    from booking.usecases.capacity import Placement

Conn = asyncpg.Connection | asyncpg.Pool
Row = dict[str, Any]


def _row(record: asyncpg.Record | None) -> Row | None:
    return dict(record) if record else None


# --- children (read model of family events) ---------------------------------------------


async def upsert_child(
    conn: Conn, tenant: str, payload: dict[str, Any], occurred_at: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO children (id, tenant, household_id, first_name, last_name, birth_date,
                              school, grade, diet, version_at)
        SELECT $1::uuid, $2::text, $3::uuid, $4::text, $5::text, $6::date, $7::text, $8::text,
               $9::text, $10::timestamptz
        WHERE NOT EXISTS (SELECT 1 FROM anonymised_households h
                          WHERE h.tenant = $2 AND h.household_id = $3)
        ON CONFLICT (id) DO UPDATE SET
            household_id = EXCLUDED.household_id, first_name = EXCLUDED.first_name,
            last_name = EXCLUDED.last_name, birth_date = EXCLUDED.birth_date,
            school = EXCLUDED.school, grade = EXCLUDED.grade, diet = EXCLUDED.diet,
            version_at = EXCLUDED.version_at
        WHERE children.version_at <= EXCLUDED.version_at AND children.tenant = EXCLUDED.tenant
        """,
        payload["child_id"],
        tenant,
        payload["household_id"],
        payload["first_name"],
        payload["last_name"],
        payload["birth_date"],
        payload["school"],
        payload["grade"],
        payload["diet"],
        occurred_at,
    )


async def get_child(conn: Conn, tenant: str, child_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM children WHERE id = $1 AND tenant = $2", child_id, tenant
        )
    )


async def household_known(conn: Conn, tenant: str, household_id: uuid.UUID) -> bool:
    """Whether the tenant has this household: booking knows households by their children."""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM children WHERE tenant = $1 AND household_id = $2)",
            tenant,
            household_id,
        )
    )


async def document_owner(conn: Conn, document_id: uuid.UUID) -> Row | None:
    """Whose document this is (tenant, household), once its upload reached booking."""
    return _row(
        await conn.fetchrow("SELECT tenant, household_id FROM documents WHERE id = $1", document_id)
    )


ANONYMOUS = "Anonyme"


async def anonymise_household(
    conn: asyncpg.Connection, tenant: str, household_id: uuid.UUID, occurred_at: datetime
) -> int:
    """Forget what identifies a household's children, as the family service did: names
    become « Anonyme », the birth year stays (age bands), school, grade and diet go; their
    documents and the notes of their absences are deleted, their calendar feeds revoked.
    Bookings, attendance and absences stay (counts, billing). The household is remembered as
    anonymised: a family event about it arriving later is not applied (`upsert_child`,
    `upsert_document`). The number of children anonymised."""
    await conn.execute(
        "INSERT INTO anonymised_households (tenant, household_id, anonymised_at)"
        " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        tenant,
        household_id,
        occurred_at,
    )
    children = await conn.fetchval(
        """
        WITH done AS (
            UPDATE children SET first_name = $3, last_name = $3,
                birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),
                school = NULL, grade = NULL, diet = 'standard',
                version_at = greatest(version_at, $4)
            WHERE tenant = $1 AND household_id = $2
            RETURNING 1
        )
        SELECT count(*) FROM done
        """,
        tenant,
        household_id,
        ANONYMOUS,
        occurred_at,
    )
    await conn.execute(
        "DELETE FROM documents WHERE tenant = $1 AND household_id = $2", tenant, household_id
    )
    await conn.execute(
        "UPDATE absences SET note = NULL WHERE tenant = $1 AND household_id = $2"
        " AND note IS NOT NULL",
        tenant,
        household_id,
    )
    await conn.execute(
        "UPDATE calendar_tokens SET revoked_at = $3 WHERE tenant = $1 AND household_id = $2"
        " AND revoked_at IS NULL",
        tenant,
        household_id,
        occurred_at,
    )
    return children


# --- documents (read model of family events) -------------------------------------------


async def upsert_document(
    conn: Conn, tenant: str, payload: dict[str, Any], status: str, occurred_at: datetime
) -> None:
    """A later event wins; an older one arriving late changes nothing, nor one about an
    anonymised household."""
    await conn.execute(
        """
        INSERT INTO documents (id, tenant, household_id, child_id, member_id, document_type,
                               document_label, status, valid_until, version_at)
        SELECT $1::uuid, $2::text, $3::uuid, $4::uuid, $5::uuid, $6::text, $7::text, $8::text,
               $9::date, $10::timestamptz
        WHERE NOT EXISTS (SELECT 1 FROM anonymised_households h
                          WHERE h.tenant = $2 AND h.household_id = $3)
        ON CONFLICT (id) DO UPDATE SET
            household_id = EXCLUDED.household_id, child_id = EXCLUDED.child_id,
            member_id = EXCLUDED.member_id, document_type = EXCLUDED.document_type,
            document_label = EXCLUDED.document_label, status = EXCLUDED.status,
            valid_until = EXCLUDED.valid_until, version_at = EXCLUDED.version_at
        WHERE documents.version_at <= EXCLUDED.version_at AND documents.tenant = EXCLUDED.tenant
        """,
        payload["document_id"],
        tenant,
        payload["household_id"],
        payload.get("child_id"),
        payload.get("member_id"),
        payload["document_type"],
        payload.get("document_label"),
        status,
        payload.get("valid_until"),
        occurred_at,
    )


async def valid_document_types(
    conn: Conn, tenant: str, household_id: uuid.UUID, child_id: uuid.UUID, on: date
) -> set[str]:
    """Types of the documents valid on `on` for a child: its own, or the household's (and its
    guardians')."""
    rows = await conn.fetch(
        """
        SELECT DISTINCT document_type FROM documents
        WHERE tenant = $1 AND household_id = $2 AND status = 'valid'
          AND (child_id IS NULL OR child_id = $3)
          AND (valid_until IS NULL OR valid_until >= $4)
        """,
        tenant,
        household_id,
        child_id,
        on,
    )
    return {r["document_type"] for r in rows}


async def document_labels(conn: Conn, tenant: str, types: Iterable[str]) -> dict[str, str]:
    rows = await conn.fetch(
        """
        SELECT DISTINCT ON (document_type) document_type, document_label FROM documents
        WHERE tenant = $1 AND document_type = ANY($2::text[]) AND document_label IS NOT NULL
        ORDER BY document_type, version_at DESC
        """,
        tenant,
        list(types),
    )
    return {r["document_type"]: r["document_label"] for r in rows}


# --- tenant settings ---------------------------------------------------------------------


async def tenant_settings(conn: Conn, tenant: str) -> Row | None:
    return _row(await conn.fetchrow("SELECT * FROM tenant_settings WHERE tenant = $1", tenant))


async def set_tenant_settings(
    conn: Conn, tenant: str, school_zone: str, by: uuid.UUID, now: datetime
) -> Row:
    return dict(
        await conn.fetchrow(
            """
            INSERT INTO tenant_settings (tenant, school_zone, updated_by, updated_at)
            VALUES ($1, $2, $3, $4)
            ON CONFLICT (tenant) DO UPDATE SET school_zone = EXCLUDED.school_zone,
                updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at
            RETURNING *
            """,
            tenant,
            school_zone,
            by,
            now,
        )
    )


# --- activities ------------------------------------------------------------------------


async def insert_activity(conn: Conn, values: Row, days: Sequence[date]) -> Row:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO activities ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
        *values.values(),
    )
    await conn.execute(
        "INSERT INTO activity_days (activity_id, day, capacity)"
        " SELECT $1, d, $3 FROM unnest($2::date[]) AS d",
        values["id"],
        list(days),
        values["capacity"],
    )
    # How billing said it is paid, if it said so before the activity was known here.
    paid = await conn.fetchrow(
        """
        UPDATE activities a SET payment = p.payment, hold_minutes = p.hold_minutes
        FROM activity_payments p
        WHERE a.id = $1 AND p.activity_id = a.id AND p.tenant = a.tenant
        RETURNING a.*
        """,
        values["id"],
    )
    return dict(paid or row)


async def get_activity(conn: Conn, tenant: str, activity_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM activities WHERE id = $1 AND tenant = $2", activity_id, tenant
        )
    )


async def activities(
    conn: Conn,
    tenant: str,
    *,
    ids: Iterable[uuid.UUID] | None = None,
    type: str | None = None,
    archived: bool | None = None,
) -> list[Row]:
    """The tenant's activities (`archived`: only those archived, or not; None: both)."""
    rows = await conn.fetch(
        """
        SELECT * FROM activities
        WHERE tenant = $1 AND ($2::uuid[] IS NULL OR id = ANY($2))
          AND ($3::text IS NULL OR type = $3)
          AND ($4::boolean IS NULL OR (archived_at IS NOT NULL) = $4)
        ORDER BY period_from, name
        """,
        tenant,
        list(ids) if ids is not None else None,
        type,
        archived,
    )
    return [dict(r) for r in rows]


async def occupancy(
    conn: Conn, activity_id: uuid.UUID, start: date | None, end: date | None
) -> list[Row]:
    rows = await conn.fetch(
        """
        SELECT d.day, d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'waiting') AS waiting
        FROM activity_days d
        WHERE d.activity_id = $1 AND ($2::date IS NULL OR d.day >= $2)
          AND ($3::date IS NULL OR d.day <= $3)
        ORDER BY d.day
        """,
        activity_id,
        start,
        end,
    )
    return [dict(r) for r in rows]


async def day_counters(
    conn: Conn, activity_ids: Iterable[uuid.UUID], start: date, end: date
) -> dict[tuple[uuid.UUID, date], Row]:
    rows = await conn.fetch(
        "SELECT * FROM activity_days WHERE activity_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3",
        list(activity_ids),
        start,
        end,
    )
    return {(r["activity_id"], r["day"]): dict(r) for r in rows}


async def set_day_capacity(
    conn: asyncpg.Connection, activity_id: uuid.UUID, day: date, capacity: int
) -> None:
    """The caller holds the day row (`lock_day`) and has checked the bookings fit."""
    await conn.execute(
        "UPDATE activity_days SET capacity = $3 WHERE activity_id = $1 AND day = $2",
        activity_id,
        day,
        capacity,
    )


async def update_activity(conn: Conn, tenant: str, activity_id: uuid.UUID, values: Row) -> Row:
    columns = list(values)
    sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=3))
    row = await conn.fetchrow(
        f"UPDATE activities SET {sets} WHERE id = $1 AND tenant = $2 RETURNING *",
        activity_id,
        tenant,
        *values.values(),
    )
    return dict(row)


async def set_activity_closed(
    conn: Conn, tenant: str, activity_id: uuid.UUID, closed_at: datetime | None
) -> Row | None:
    """Close (`closed_at`) or reopen (None); closing again keeps the first closing time."""
    return _row(
        await conn.fetchrow(
            """
            UPDATE activities SET closed_at = CASE WHEN $3::timestamptz IS NULL THEN NULL
                                                   ELSE coalesce(closed_at, $3) END
            WHERE id = $1 AND tenant = $2 RETURNING *
            """,
            activity_id,
            tenant,
            closed_at,
        )
    )


async def set_activity_archived(
    conn: Conn, tenant: str, activity_id: uuid.UUID, archived_at: datetime | None
) -> Row | None:
    """Archive (closed too, if it was not) or bring back (None: it stays closed); archiving
    again keeps the first time."""
    return _row(
        await conn.fetchrow(
            """
            UPDATE activities
            SET archived_at = CASE WHEN $3::timestamptz IS NULL THEN NULL
                                   ELSE coalesce(archived_at, $3) END,
                closed_at = coalesce(closed_at, $3)
            WHERE id = $1 AND tenant = $2 RETURNING *
            """,
            activity_id,
            tenant,
            archived_at,
        )
    )


async def lock_days_after(
    conn: asyncpg.Connection, activity_id: uuid.UUID, after: date
) -> list[Row]:
    """The activity's opening days after `after`, locked in day order, each with its
    children waiting and whether any live booking (booked or waiting) holds it."""
    rows = await conn.fetch(
        """
        SELECT d.day, d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'waiting') AS waiting
        FROM activity_days d
        WHERE d.activity_id = $1 AND d.day > $2
        ORDER BY d.day
        FOR UPDATE OF d
        """,
        activity_id,
        after,
    )
    return [dict(r) for r in rows]


async def add_days(
    conn: asyncpg.Connection, activity_id: uuid.UUID, days: Sequence[date], capacity: int
) -> None:
    await conn.execute(
        "INSERT INTO activity_days (activity_id, day, capacity)"
        " SELECT $1, d, $3 FROM unnest($2::date[]) AS d ON CONFLICT DO NOTHING",
        activity_id,
        list(days),
        capacity,
    )


async def remove_days(
    conn: asyncpg.Connection, activity_id: uuid.UUID, days: Sequence[date]
) -> None:
    """The caller checked no live booking holds these days (cancelled ones stay as history)."""
    await conn.execute(
        "DELETE FROM activity_days WHERE activity_id = $1 AND day = ANY($2::date[])",
        activity_id,
        list(days),
    )


async def live_bookings_of_day(
    conn: asyncpg.Connection, activity_id: uuid.UUID, day: date
) -> list[Row]:
    """A day's live bookings (booked or waiting) in arrival order, with the child's first
    name, locked (the caller holds the day row)."""
    rows = await conn.fetch(
        """
        SELECT b.*, c.first_name AS child_first_name
        FROM bookings b JOIN children c ON c.id = b.child_id
        WHERE b.activity_id = $1 AND b.day = $2 AND b.status IN ('booked', 'waiting')
        ORDER BY b.seq
        FOR UPDATE OF b
        """,
        activity_id,
        day,
    )
    return [dict(r) for r in rows]


async def set_capacity_after(
    conn: asyncpg.Connection, activity_id: uuid.UUID, after: date, capacity: int
) -> None:
    """The caller holds these day rows (`lock_days_after`) and checked the bookings fit."""
    await conn.execute(
        "UPDATE activity_days SET capacity = $3 WHERE activity_id = $1 AND day > $2",
        activity_id,
        after,
        capacity,
    )


async def waiting_lists(
    conn: Conn, activity_id: uuid.UUID, start: date | None, end: date | None
) -> list[Row]:
    """Each opening day between two dates with its waiting children in arrival order
    (no child when none waits)."""
    rows = await conn.fetch(
        """
        SELECT d.day, d.capacity, d.booked, b.id AS booking_id, b.child_id, b.household_id,
               b.created_at AS since, c.first_name AS child_first_name,
               c.last_name AS child_last_name
        FROM activity_days d
        LEFT JOIN bookings b ON b.activity_id = d.activity_id AND b.day = d.day
             AND b.status = 'waiting'
        LEFT JOIN children c ON c.id = b.child_id
        WHERE d.activity_id = $1 AND ($2::date IS NULL OR d.day >= $2)
          AND ($3::date IS NULL OR d.day <= $3)
        ORDER BY d.day, b.seq
        """,
        activity_id,
        start,
        end,
    )
    return [dict(r) for r in rows]


# --- deadline nudges (issue 18) ----------------------------------------------------------


async def reminder_activities(
    conn: Conn, week_from: date, week_to: date, types: Sequence[str]
) -> list[Row]:
    """Every tenant's activities of these types that families book day by day, running during
    the week, not closed nor archived, in a town that lets families book online."""
    rows = await conn.fetch(
        """
        SELECT a.* FROM activities a
        WHERE a.type = ANY($3::text[]) AND a.booking_mode = 'free'
          AND a.closed_at IS NULL AND a.archived_at IS NULL
          AND a.period_from <= $2 AND a.period_to >= $1
          AND NOT EXISTS (SELECT 1 FROM tenant_features f
                          WHERE f.tenant = a.tenant AND NOT f.online_booking)
        ORDER BY a.tenant, a.id
        """,
        week_from,
        week_to,
        list(types),
    )
    return [dict(r) for r in rows]


async def week_reminder_facts(
    conn: Conn,
    *,
    urgent: Sequence[uuid.UUID],
    activity_ids: Sequence[uuid.UUID],
    week_from: date,
    week_to: date,
    after: tuple[str, uuid.UUID],
    limit: int,
) -> list[Row]:
    """The next `limit` households (by tenant, id, after `after`) with an approved
    occasional enrollment in one of the `urgent` activities, not yet reminded of that week
    and not anonymised: one row per such enrollment of theirs in `activity_ids`, with the
    household's live bookings (booked or waiting) in that activity during the week."""
    rows = await conn.fetch(
        """
        WITH households AS (
            SELECT DISTINCT e.tenant, e.household_id FROM enrollments e
            WHERE e.status = 'approved' AND e.mode = 'occasional'
              AND e.activity_id = ANY($1::uuid[])
              AND (e.tenant, e.household_id) > ($5::text, $6::uuid)
              AND NOT EXISTS (SELECT 1 FROM reminders_sent r
                              WHERE r.kind = 'week'
                                AND r.key = e.household_id::text || ':' || $7::text)
              AND NOT EXISTS (SELECT 1 FROM anonymised_households x
                              WHERE x.tenant = e.tenant AND x.household_id = e.household_id)
            ORDER BY e.tenant, e.household_id
            LIMIT $8
        )
        SELECT h.tenant, h.household_id, e.activity_id,
               coalesce((SELECT array_agg(DISTINCT b.day) FROM bookings b
                         WHERE b.activity_id = e.activity_id AND b.household_id = h.household_id
                           AND b.day BETWEEN $3 AND $4
                           AND b.status IN ('booked', 'waiting')), '{}') AS booked_days
        FROM households h
        JOIN enrollments e ON e.tenant = h.tenant AND e.household_id = h.household_id
        WHERE e.status = 'approved' AND e.mode = 'occasional' AND e.activity_id = ANY($2::uuid[])
        ORDER BY h.tenant, h.household_id, e.activity_id
        """,
        list(urgent),
        list(activity_ids),
        week_from,
        week_to,
        after[0],
        after[1],
        week_from.isoformat(),
        limit,
    )
    return [dict(r) for r in rows]


async def basket_reminder_facts(
    conn: Conn, *, today: date, created_before: datetime, after: uuid.UUID, limit: int
) -> list[Row]:
    """The next `limit` open baskets of families (by id, after `after`) created before
    `created_before`, not yet reminded, with a day to add from `today` on: one row per such
    day, with its activity's booking deadline rule (None: no such activity) and whether staff
    closed it, and the basket's number of lines."""
    rows = await conn.fetch(
        """
        WITH open AS (
            SELECT bk.id, bk.tenant, bk.household_id, bk.account_id, bk.created_at
            FROM baskets bk
            WHERE bk.status = 'open' AND NOT bk.by_staff AND bk.id > $3
              AND bk.created_at <= $2
              AND EXISTS (SELECT 1 FROM basket_lines l
                          WHERE l.basket_id = bk.id AND l.action = 'add' AND l.day >= $1)
              AND NOT EXISTS (SELECT 1 FROM reminders_sent r
                              WHERE r.kind = 'basket' AND r.key = bk.id::text)
              AND NOT EXISTS (SELECT 1 FROM anonymised_households x
                              WHERE x.tenant = bk.tenant AND x.household_id = bk.household_id)
              AND NOT EXISTS (SELECT 1 FROM tenant_features f
                              WHERE f.tenant = bk.tenant AND NOT f.online_booking)
            ORDER BY bk.id
            LIMIT $4
        )
        SELECT o.id AS basket_id, o.tenant, o.household_id, o.account_id, o.created_at,
               (SELECT count(*) FROM basket_lines c WHERE c.basket_id = o.id) AS line_count,
               l.day, a.booking_deadline, (a.closed_at IS NOT NULL) AS activity_closed
        FROM open o
        JOIN basket_lines l ON l.basket_id = o.id AND l.action = 'add' AND l.day >= $1
        LEFT JOIN activities a ON a.id = l.activity_id AND a.tenant = o.tenant
        ORDER BY o.id, l.day
        """,
        today,
        created_before,
        after,
        limit,
    )
    return [dict(r) for r in rows]


async def mark_reminder_sent(conn: Conn, kind: str, key: str, tenant: str, now: datetime) -> bool:
    """False when this reminder was already emitted (by this process or another: the row is
    written with the event, in its transaction, and a concurrent writer waits for it)."""
    return bool(
        await conn.fetchval(
            "INSERT INTO reminders_sent (kind, key, tenant, sent_at) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (kind, key) DO NOTHING RETURNING true",
            kind,
            key,
            tenant,
            now,
        )
    )


# --- capacity: the hot path -------------------------------------------------------------


async def basket_facts(conn: Conn, tenant: str, basket_id: uuid.UUID) -> list[Row]:
    """See `baskets_facts`: one basket's rows."""
    return (await baskets_facts(conn, [(tenant, basket_id)])).get((tenant, basket_id), [])


async def baskets_facts(
    conn: Conn, baskets: Sequence[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], list[Row]]:
    """Several baskets (tenant, id) read at once: for each basket found, its rows, under the
    same (tenant, id) key (a basket is only ever found in its own tenant).

    A basket and its lines in locking order (activity, day, child), each with what
    validating it needs, in one round trip: the basket's own columns (`basket_*`); the child
    (`known` false when not of the tenant); the activity's row version (`activity_version`,
    None when not of the tenant), for the cache of parsed activities; the live enrollment's
    status and, for a cancellation, the child's live booking that day. No row when there is no
    such basket; one row with `line_id` None when it has no line.

    An addition's "already booked" is decided where its booking row is written (the unique
    index, in `take_places`), not here: that check is the exact one, and the bookings table,
    which grows fastest on the opening morning, stays out of the plan of the rush's commonest
    read. The LATERAL lookups keep every plan an index probe per line, whatever the
    statistics say about tables that were just filled."""
    rows = await conn.fetch(
        """
        SELECT bk.tenant AS basket_tenant, bk.id AS basket_id,
               bk.household_id AS basket_household_id, bk.account_id AS basket_account_id,
               bk.status AS basket_status, bk.by_staff AS basket_by_staff,
               l.id AS line_id, l.child_id, l.activity_id, l.day, l.action, l.accept_waiting,
               c.household_id, c.first_name, c.birth_date, c.grade, (c.id IS NOT NULL) AS known,
               a.xmin::text AS activity_version,
               e.status AS enrollment_status,
               b.id AS live_id, b.status AS live_status, b.late AS live_late,
               w.closes_at AS window_closes_at, w.status AS window_status
        FROM unnest($1::text[], $2::uuid[]) AS wanted(tenant, id)
        JOIN baskets bk ON bk.id = wanted.id AND bk.tenant = wanted.tenant
        LEFT JOIN basket_lines l ON l.basket_id = bk.id
        LEFT JOIN children c ON c.id = l.child_id AND c.tenant = bk.tenant
        LEFT JOIN activities a ON a.id = l.activity_id AND a.tenant = bk.tenant
        LEFT JOIN LATERAL (
            SELECT e.status FROM enrollments e
            WHERE e.activity_id = l.activity_id AND e.child_id = l.child_id
              AND e.status <> 'rejected'
            LIMIT 1
        ) e ON true
        LEFT JOIN LATERAL (
            SELECT b.id, b.status, b.late FROM bookings b
            WHERE l.action = 'cancel' AND b.activity_id = l.activity_id
              AND b.child_id = l.child_id AND b.day = l.day
              AND b.status IN ('booked', 'waiting')
            LIMIT 1
        ) b ON true
        -- An opening window (issue 18) covering an addition's day and not (yet) letting
        -- first come take it: the line is refused (`rules.window_refusal`).
        LEFT JOIN LATERAL (
            SELECT w.closes_at, w.status FROM opening_windows w
            WHERE l.action = 'add' AND w.activity_id = l.activity_id
              AND w.date_from <= l.day AND w.date_to >= l.day
              AND (w.status <> 'allocated' OR NOT w.first_come_after)
            LIMIT 1
        ) w ON true
        ORDER BY bk.id, l.activity_id, l.day, l.child_id
        """,
        [tenant for tenant, _ in baskets],
        [basket_id for _, basket_id in baskets],
    )
    found: dict[tuple[str, uuid.UUID], list[Row]] = {}
    for r in rows:
        found.setdefault((r["basket_tenant"], r["basket_id"]), []).append(dict(r))
    return found


async def take_places(
    conn: Conn, baskets: Sequence[Placement], *, close: bool = True
) -> list[tuple[list[str], dict[str, int]] | None]:
    """The critical section of validations in one statement (migrations 0010, 0018): take
    the places of each basket's additions in the given order, write their bookings, the
    baskets' outcome counts, their answers and their ReservationValidated events (cut to the
    places taken from the checked envelopes); with `close`, close the baskets (else the
    caller has, in its transaction). Out of a transaction (on the pool, or a group's
    connection) the statement is its own. For each basket, its outcomes (one per addition)
    and its counts, or None for a basket that was no longer open (nothing of it written)."""
    settled_ends, line_ends, envelope_ends = [], [], []
    settled: list[str] = []
    lines: list[Addition] = []
    entries: list[tuple[dict[str, Any], Any]] = []
    envelopes: list[dict[str, Any]] = []
    for placement in baskets:
        settled.extend(placement.settled)
        lines.extend(placement.additions)
        entries.extend(placement.entries)
        envelopes.extend(placement.envelopes)
        settled_ends.append(len(settled))
        line_ends.append(len(lines))
        envelope_ends.append(len(envelopes))
    rows = await conn.fetch(
        "SELECT outcomes, counts FROM take_places_group($1, $2, $3, $4, $5, $6, $7, $8, $9,"
        " $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)",
        close,
        [x.basket.id for x in baskets],
        [x.now for x in baskets],
        [x.basket.tenant for x in baskets],
        [x.basket.household_id for x in baskets],
        [x.basket.account_id for x in baskets],
        settled_ends,
        settled,
        line_ends,
        envelope_ends,
        [x.booking_id for x in lines],
        [x.activity_id for x in lines],
        [x.day for x in lines],
        [x.child_id for x in lines],
        [x.late for x in lines],
        [x.accept_waiting for x in lines],
        [x.reservation + 1 for x in lines],
        [x[0] for x in entries],
        [x[1] for x in entries],
        envelopes,
        [x.answer for x in baskets],
    )
    return [None if r["outcomes"] is None else (r["outcomes"], r["counts"]) for r in rows]


async def lock_days(conn: asyncpg.Connection, days: Iterable[tuple[uuid.UUID, date]]) -> None:
    """Lock several day rows at once, in the order every caller uses (activity, day)."""
    pairs = sorted(set(days))
    await conn.execute(
        """
        SELECT 1 FROM activity_days d
        JOIN unnest($1::uuid[], $2::date[]) AS p(activity_id, day)
             ON d.activity_id = p.activity_id AND d.day = p.day
        ORDER BY d.activity_id, d.day
        FOR UPDATE OF d
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )


async def lock_day(conn: asyncpg.Connection, activity_id: uuid.UUID, day: date) -> Row | None:
    """Lock a day's counter row: every change to a day's bookings takes it first, so that
    transactions always lock in the same order (day row, then bookings) and never deadlock."""
    return _row(
        await conn.fetchrow(
            "SELECT * FROM activity_days WHERE activity_id = $1 AND day = $2 FOR UPDATE",
            activity_id,
            day,
        )
    )


async def release_place(conn: asyncpg.Connection, activity_id: uuid.UUID, day: date) -> Row:
    return dict(
        await conn.fetchrow(
            "UPDATE activity_days SET booked = booked - 1 WHERE activity_id = $1 AND day = $2"
            " RETURNING booked, capacity",
            activity_id,
            day,
        )
    )


async def waiting_for(conn: asyncpg.Connection, activity_id: uuid.UUID, day: date) -> list[Row]:
    """The waiting list of a day in arrival order (locked: the caller holds the day row)."""
    rows = await conn.fetch(
        """
        SELECT b.*, c.birth_date, c.grade, c.first_name AS child_first_name,
               e.status AS enrollment_status
        FROM bookings b
        JOIN children c ON c.id = b.child_id
        LEFT JOIN enrollments e ON e.activity_id = b.activity_id AND e.child_id = b.child_id
             AND e.status <> 'rejected'
        WHERE b.activity_id = $1 AND b.day = $2 AND b.status = 'waiting'
        ORDER BY b.seq
        FOR UPDATE OF b
        """,
        activity_id,
        day,
    )
    return [dict(r) for r in rows]


async def promote(conn: asyncpg.Connection, booking_id: uuid.UUID) -> None:
    booking = await conn.fetchrow(
        "UPDATE bookings SET status = 'booked' WHERE id = $1 RETURNING activity_id, day",
        booking_id,
    )
    await conn.execute(
        "UPDATE activity_days SET booked = booked + 1 WHERE activity_id = $1 AND day = $2",
        booking["activity_id"],
        booking["day"],
    )


# --- payment holds (billing's answers) ---------------------------------------------------


async def set_activity_payment(
    conn: Conn,
    tenant: str,
    activity_id: uuid.UUID,
    payment: str,
    hold_minutes: int,
    occurred_at: datetime,
) -> bool:
    """Keep how billing says an activity is paid, unless a newer word is kept already; copy
    it onto the activity when it is known (its row changes only when the value does, so
    its parsed copy stays cached otherwise). False when the event was older."""
    kept = await conn.fetchval(
        """
        INSERT INTO activity_payments (activity_id, tenant, payment, hold_minutes, version_at)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (activity_id, tenant) DO UPDATE SET
            payment = EXCLUDED.payment, hold_minutes = EXCLUDED.hold_minutes,
            version_at = EXCLUDED.version_at
        WHERE activity_payments.version_at <= EXCLUDED.version_at
        RETURNING true
        """,
        activity_id,
        tenant,
        payment,
        hold_minutes,
        occurred_at,
    )
    if kept:
        await conn.execute(
            "UPDATE activities SET payment = $3, hold_minutes = $4 WHERE id = $1 AND tenant = $2"
            " AND (payment, hold_minutes) IS DISTINCT FROM ($3, $4)",
            activity_id,
            tenant,
            payment,
            hold_minutes,
        )
    return bool(kept)


async def activate_wallet(
    conn: Conn, tenant: str, household_id: uuid.UUID, occurred_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO wallets (tenant, household_id, activated_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        tenant,
        household_id,
        occurred_at,
    )


async def wallet_active(conn: Conn, tenant: str, household_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT true FROM wallets WHERE tenant = $1 AND household_id = $2",
            tenant,
            household_id,
        )
    )


async def hold_bookings(
    conn: asyncpg.Connection,
    booking_ids: Sequence[uuid.UUID],
    payments: Sequence[str],
    held_until: Sequence[datetime | None],
) -> int:
    """Mark bookings just written (in the caller's transaction) as held until paid."""
    done = await conn.execute(
        """
        UPDATE bookings b SET payment = h.payment, hold = 'held', held_until = h.held_until
        FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS h(id, payment, held_until)
        WHERE b.id = h.id AND b.status = 'booked'
        """,
        list(booking_ids),
        list(payments),
        list(held_until),
    )
    return int(done.split()[-1])


async def held_bookings(
    conn: Conn,
    tenant: str | None,
    *,
    booking_ids: Sequence[uuid.UUID] | None = None,
    basket_ids: Sequence[uuid.UUID] | None = None,
    payment: str | None = None,
) -> list[Row]:
    """Bookings still held (not locked): those among `booking_ids`, or of `basket_ids`;
    of `tenant` (None: any, for the sweeper) and paid by `payment` (None: either)."""
    rows = await conn.fetch(
        """
        SELECT id, tenant, activity_id, day FROM bookings
        WHERE (id = ANY($2::uuid[]) OR basket_id = ANY($3::uuid[]))
          AND hold = 'held' AND status = 'booked'
          AND ($1::text IS NULL OR tenant = $1) AND ($4::text IS NULL OR payment = $4)
        ORDER BY activity_id, day, id
        """,
        tenant,
        list(booking_ids or ()),
        list(basket_ids or ()),
        payment,
    )
    return [dict(r) for r in rows]


async def confirm_holds(
    conn: asyncpg.Connection, booking_ids: Sequence[uuid.UUID], now: datetime
) -> list[uuid.UUID]:
    """Held bookings among `booking_ids` now paid: confirmed. Locked in id order (as
    `release_holds` does) so two settlements never deadlock; one released meanwhile stays
    released. The ids confirmed."""
    rows = await conn.fetch(
        """
        WITH held AS (
            SELECT id FROM bookings WHERE id = ANY($1::uuid[])
              AND hold = 'held' AND status = 'booked'
            ORDER BY id FOR UPDATE
        )
        UPDATE bookings b SET hold = 'confirmed', hold_settled_at = $2
        FROM held WHERE b.id = held.id AND b.hold = 'held' AND b.status = 'booked'
        RETURNING b.id
        """,
        list(booking_ids),
        now,
    )
    return [r["id"] for r in rows]


async def release_holds(
    conn: asyncpg.Connection, booking_ids: Sequence[uuid.UUID], reason: str, now: datetime
) -> list[Row]:
    """Held bookings among `booking_ids` released: cancelled with the reason (the caller
    holds their day rows, and gives the places back). Locked in id order; one confirmed
    meanwhile stays confirmed. The released bookings, in (activity, day) order, with what
    their event says: the child's first name, who filled the basket."""
    rows = await conn.fetch(
        """
        WITH held AS (
            SELECT id FROM bookings WHERE id = ANY($1::uuid[])
              AND hold = 'held' AND status = 'booked'
            ORDER BY id FOR UPDATE
        ), done AS (
            UPDATE bookings b SET status = 'cancelled', hold = 'released', hold_settled_at = $3,
                cancelled_at = $3, cancel_reason = $2
            FROM held WHERE b.id = held.id AND b.hold = 'held' AND b.status = 'booked'
            RETURNING b.*
        )
        SELECT done.*, c.first_name AS child_first_name, coalesce(k.by_staff, false) AS by_staff
        FROM done
        JOIN children c ON c.id = done.child_id
        LEFT JOIN baskets k ON k.id = done.basket_id
        ORDER BY done.activity_id, done.day, done.id
        """,
        list(booking_ids),
        reason,
        now,
    )
    return [dict(r) for r in rows]


async def hold_states(conn: Conn, booking_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Where bookings stand (for the log of an answer that changed nothing)."""
    rows = await conn.fetch(
        "SELECT id, coalesce(hold, status) AS state FROM bookings WHERE id = ANY($1::uuid[])",
        list(booking_ids),
    )
    return {r["id"]: r["state"] for r in rows}


# --- waiting-list offers (issue 18) ---


async def insert_offer(conn: asyncpg.Connection, values: Row) -> Row:
    """A new open offer of a day's place to a waiting booking, the place counted in the
    day's `booked` (held for it: no validation can take it). The caller holds the day row."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO offers ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
        *values.values(),
    )
    await conn.execute(
        "UPDATE activity_days SET booked = booked + 1 WHERE activity_id = $1 AND day = $2",
        values["activity_id"],
        values["day"],
    )
    return dict(row)


async def offered_bookings(
    conn: asyncpg.Connection, activity_id: uuid.UUID, day: date
) -> set[uuid.UUID]:
    """The waiting bookings of a day that have an open offer (the caller holds the day row)."""
    rows = await conn.fetch(
        "SELECT booking_id FROM offers WHERE activity_id = $1 AND day = $2 AND status = 'open'",
        activity_id,
        day,
    )
    return {r["booking_id"] for r in rows}


async def bookings_with_open_offer(conn: Conn, booking_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Of these (waiting) bookings, those with an open offer (the calendar's « offered »)."""
    if not booking_ids:
        return set()
    rows = await conn.fetch(
        "SELECT booking_id FROM offers WHERE booking_id = ANY($1::uuid[]) AND status = 'open'",
        booking_ids,
    )
    return {r["booking_id"] for r in rows}


async def pending_window_spans(
    conn: Conn, activity_ids: list[uuid.UUID], date_from: date, date_to: date
) -> list[Row]:
    """The opening windows over these activities' days in the span that keep first come off
    them: not allocated yet (`closed` false: their places go to the draw, the calendar's
    « window_pending »), or allocated without first come after (`closed` true)."""
    if not activity_ids:
        return []
    rows = await conn.fetch(
        """
        SELECT activity_id, date_from, date_to, status = 'allocated' AS closed
        FROM opening_windows
        WHERE activity_id = ANY($1::uuid[])
          AND (status <> 'allocated' OR NOT first_come_after)
          AND date_from <= $3 AND date_to >= $2
        """,
        activity_ids,
        date_from,
        date_to,
    )
    return [dict(r) for r in rows]


async def lapsed_bookings(
    conn: asyncpg.Connection, activity_id: uuid.UUID, day: date
) -> set[uuid.UUID]:
    """The bookings of a day that let an offer lapse (declined, expired)."""
    rows = await conn.fetch(
        "SELECT DISTINCT booking_id FROM offers WHERE activity_id = $1 AND day = $2"
        " AND status IN ('declined', 'expired')",
        activity_id,
        day,
    )
    return {r["booking_id"] for r in rows}


async def offer_by_token(conn: Conn, digest: bytes) -> Row | None:
    """Where the offer of an accept link is (not locked: the caller locks its day first)."""
    return _row(
        await conn.fetchrow(
            "SELECT id, tenant, activity_id, day FROM offers WHERE token_hash = $1", digest
        )
    )


async def offer_place(conn: Conn, tenant: str, offer_id: uuid.UUID) -> Row | None:
    """Where an offer is (not locked: the caller locks its day first)."""
    return _row(
        await conn.fetchrow(
            "SELECT id, tenant, activity_id, day, household_id FROM offers"
            " WHERE id = $1 AND tenant = $2",
            offer_id,
            tenant,
        )
    )


async def lock_offer(conn: asyncpg.Connection, offer_id: uuid.UUID) -> Row | None:
    """An offer with its waiting booking (status, late, booked_by) and the child's first
    name, locked (the caller holds the day row)."""
    return _row(
        await conn.fetchrow(
            """
            SELECT o.*, b.status AS booking_status, b.late, b.booked_by,
                   c.first_name AS child_first_name
            FROM offers o
            JOIN bookings b ON b.id = o.booking_id
            JOIN children c ON c.id = o.child_id
            WHERE o.id = $1
            FOR UPDATE OF o, b
            """,
            offer_id,
        )
    )


async def open_offer_of_booking(conn: asyncpg.Connection, booking_id: uuid.UUID) -> Row | None:
    """The open offer of a booking, if any, locked (the caller holds the day row)."""
    return _row(
        await conn.fetchrow(
            "SELECT * FROM offers WHERE booking_id = $1 AND status = 'open' FOR UPDATE",
            booking_id,
        )
    )


async def answer_offer(
    conn: asyncpg.Connection,
    offer_id: uuid.UUID,
    status: str,
    now: datetime,
    by: uuid.UUID | None,
) -> None:
    """An open offer answered (accepted, declined), expired or void (the caller locked it)."""
    await conn.execute(
        "UPDATE offers SET status = $2, answered_at = $3, answered_by = $4"
        " WHERE id = $1 AND status = 'open'",
        offer_id,
        status,
        now,
        by,
    )


async def book_offered(conn: asyncpg.Connection, booking_id: uuid.UUID) -> None:
    """A waiting booking whose offer is accepted: booked; its place was already counted."""
    await conn.execute(
        "UPDATE bookings SET status = 'booked' WHERE id = $1 AND status = 'waiting'", booking_id
    )


async def move_behind(conn: asyncpg.Connection, booking_id: uuid.UUID) -> None:
    """A waiting booking whose offer lapsed goes to the end of its day's list (arrival order
    is `seq`: it gets a new one)."""
    await conn.execute(
        "UPDATE bookings SET seq = nextval(pg_get_serial_sequence('bookings', 'seq'))"
        " WHERE id = $1",
        booking_id,
    )


async def expired_offers(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Open offers past their expiry, the oldest first (any tenant; not locked)."""
    rows = await conn.fetch(
        """
        SELECT id, tenant, activity_id, day FROM offers
        WHERE status = 'open' AND expires_at <= $1
        ORDER BY expires_at, id
        LIMIT $2
        """,
        now,
        limit,
    )
    return [dict(r) for r in rows]


async def lock_free_days(
    conn: asyncpg.Connection, days: Iterable[tuple[uuid.UUID, date]]
) -> set[tuple[uuid.UUID, date]]:
    """Lock the day rows no other transaction holds, in the common order, skipping the
    others (another sweeper, or a validation, is on them: a later round takes them)."""
    pairs = sorted(set(days))
    rows = await conn.fetch(
        """
        SELECT d.activity_id, d.day FROM activity_days d
        JOIN unnest($1::uuid[], $2::date[]) AS p(activity_id, day)
             ON d.activity_id = p.activity_id AND d.day = p.day
        ORDER BY d.activity_id, d.day
        FOR UPDATE OF d SKIP LOCKED
        """,
        [p[0] for p in pairs],
        [p[1] for p in pairs],
    )
    return {(r["activity_id"], r["day"]) for r in rows}


async def void_day_offers(
    conn: asyncpg.Connection, activity_id: uuid.UUID, day: date, now: datetime
) -> int:
    """A closed day's open offers are void (its day row goes: no count to give back)."""
    done = await conn.execute(
        "UPDATE offers SET status = 'void', answered_at = $3"
        " WHERE activity_id = $1 AND day = $2 AND status = 'open'",
        activity_id,
        day,
        now,
    )
    return int(done.split()[-1])


_OFFER_COLUMNS = """
    o.id, o.activity_id, a.name AS activity_name, o.booking_id, o.household_id, o.child_id,
    c.first_name AS child_first_name, o.day, o.status, o.offered_at, o.expires_at,
    o.answered_at, o.answered_by
"""


async def offer_view(conn: Conn, tenant: str, offer_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            f"""
            SELECT {_OFFER_COLUMNS}
            FROM offers o JOIN activities a ON a.id = o.activity_id
            JOIN children c ON c.id = o.child_id
            WHERE o.tenant = $1 AND o.id = $2
            """,
            tenant,
            offer_id,
        )
    )


async def household_offers(conn: Conn, tenant: str, household_id: uuid.UUID) -> list[Row]:
    """A household's offers, the open ones first, then the latest first."""
    rows = await conn.fetch(
        f"""
        SELECT {_OFFER_COLUMNS}
        FROM offers o JOIN activities a ON a.id = o.activity_id
        JOIN children c ON c.id = o.child_id
        WHERE o.tenant = $1 AND o.household_id = $2
        ORDER BY (o.status = 'open') DESC, o.offered_at DESC, o.seq DESC
        LIMIT 500
        """,
        tenant,
        household_id,
    )
    return [dict(r) for r in rows]


async def offers_chain(
    conn: Conn, tenant: str, activity_id: uuid.UUID | None, day: date | None
) -> list[Row]:
    """Offers of an activity (and day), in the order they were made: a day's chain."""
    rows = await conn.fetch(
        f"""
        SELECT {_OFFER_COLUMNS}
        FROM offers o JOIN activities a ON a.id = o.activity_id
        JOIN children c ON c.id = o.child_id
        WHERE o.tenant = $1 AND ($2::uuid IS NULL OR o.activity_id = $2)
          AND ($3::date IS NULL OR o.day = $3)
        ORDER BY o.day, o.seq
        LIMIT 2000
        """,
        tenant,
        activity_id,
        day,
    )
    return [dict(r) for r in rows]


async def expired_holds(conn: Conn, now: datetime, limit: int) -> list[uuid.UUID]:
    """At_booking holds whose time ran out, the oldest first (any tenant)."""
    rows = await conn.fetch(
        """
        SELECT id FROM bookings
        WHERE hold = 'held' AND payment = 'at_booking' AND held_until <= $1
        ORDER BY held_until, id
        LIMIT $2
        """,
        now,
        limit,
    )
    return [r["id"] for r in rows]


async def basket_holds(conn: Conn, basket_id: uuid.UUID) -> list[Row]:
    """The basket's days taken while their payment was pending, whatever became of them."""
    rows = await conn.fetch(
        """
        SELECT id AS booking_id, child_id, activity_id, day, payment, hold, held_until,
               CASE WHEN hold = 'released' THEN cancel_reason END AS release_reason
        FROM bookings WHERE basket_id = $1 AND hold IS NOT NULL
        ORDER BY activity_id, day, child_id
        """,
        basket_id,
    )
    return [dict(r) for r in rows]


# --- enrollments -----------------------------------------------------------------------


async def insert_enrollment(conn: Conn, values: Row) -> Row | None:
    """None when the child already has a live enrollment in the activity."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return _row(
        await conn.fetchrow(
            f"INSERT INTO enrollments ({', '.join(columns)}) VALUES ({placeholders})"
            " ON CONFLICT (activity_id, child_id) WHERE status <> 'rejected' DO NOTHING"
            " RETURNING *",
            *values.values(),
        )
    )


async def get_enrollment(conn: Conn, tenant: str, enrollment_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM enrollments WHERE id = $1 AND tenant = $2", enrollment_id, tenant
        )
    )


async def list_enrollments(
    conn: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None = None,
    status: str | None = None,
    child_id: uuid.UUID | None = None,
    activity_id: uuid.UUID | None = None,
) -> list[Row]:
    rows = await conn.fetch(
        """
        SELECT * FROM enrollments
        WHERE tenant = $1 AND ($2::uuid IS NULL OR household_id = $2)
          AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR child_id = $4)
          AND ($5::uuid IS NULL OR activity_id = $5)
        ORDER BY requested_at, id
        """,
        tenant,
        household_id,
        status,
        child_id,
        activity_id,
    )
    return [dict(r) for r in rows]


async def decide_enrollment(
    conn: Conn,
    enrollment_id: uuid.UUID,
    *,
    status: str,
    reason: str | None,
    decided_by: uuid.UUID,
    now: datetime,
) -> Row | None:
    """None when it was no longer pending."""
    return _row(
        await conn.fetchrow(
            "UPDATE enrollments SET status = $2, reason = $3, decided_by = $4, decided_at = $5"
            " WHERE id = $1 AND status = 'pending' RETURNING *",
            enrollment_id,
            status,
            reason,
            decided_by,
            now,
        )
    )


# --- baskets ---------------------------------------------------------------------------


async def insert_basket(conn: Conn, values: Row) -> Row:
    return dict(
        await conn.fetchrow(
            "INSERT INTO baskets (id, tenant, household_id, account_id, created_at, by_staff)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            values["id"],
            values["tenant"],
            values["household_id"],
            values["account_id"],
            values["created_at"],
            values.get("by_staff", False),
        )
    )


async def get_basket(conn: Conn, tenant: str, basket_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM baskets WHERE id = $1 AND tenant = $2", basket_id, tenant
        )
    )


async def add_lines(conn: Conn, basket_id: uuid.UUID, lines: list[Row]) -> None:
    """A day already in the basket for the same child and activity takes the new action."""
    await conn.executemany(
        """
        INSERT INTO basket_lines (id, basket_id, child_id, activity_id, day, action,
                                  accept_waiting)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (basket_id, child_id, activity_id, day) DO UPDATE
            SET action = EXCLUDED.action, accept_waiting = EXCLUDED.accept_waiting
        """,
        [
            (
                uuid.uuid4(),
                basket_id,
                line["child_id"],
                line["activity_id"],
                line["day"],
                line["action"],
                line["accept_waiting"],
            )
            for line in lines
        ],
    )


async def basket_lines(conn: Conn, basket_id: uuid.UUID) -> list[Row]:
    rows = await conn.fetch(
        "SELECT * FROM basket_lines WHERE basket_id = $1 ORDER BY activity_id, day, child_id",
        basket_id,
    )
    return [dict(r) for r in rows]


async def count_lines(conn: Conn, basket_id: uuid.UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM basket_lines WHERE basket_id = $1", basket_id)


async def validated_baskets(
    conn: Conn, tenant: str, household_id: uuid.UUID, *, limit: int, offset: int
) -> list[Row]:
    """A household's validated baskets, newest first, each with its number of lines."""
    rows = await conn.fetch(
        """
        SELECT b.id, b.household_id, b.by_staff, b.status, b.created_at, b.validated_at,
               b.outcome,
               (SELECT count(*) FROM basket_lines l WHERE l.basket_id = b.id) AS line_count
        FROM baskets b
        WHERE b.tenant = $1 AND b.household_id = $2 AND b.status = 'validated'
        ORDER BY b.validated_at DESC, b.id
        LIMIT $3 OFFSET $4
        """,
        tenant,
        household_id,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def delete_line(conn: Conn, basket_id: uuid.UUID, line_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "DELETE FROM basket_lines WHERE id = $1 AND basket_id = $2 RETURNING true",
            line_id,
            basket_id,
        )
    )


async def basket_answer(conn: Conn, tenant: str, basket_id: uuid.UUID) -> Row | None:
    """A validated basket's stored answer (`answer`, NULL for one validated before 0018) and
    counts (`outcome`), with who it belongs to."""
    return _row(
        await conn.fetchrow(
            "SELECT id, tenant, household_id, account_id, by_staff, status, outcome, answer"
            " FROM baskets WHERE id = $1 AND tenant = $2",
            basket_id,
            tenant,
        )
    )


async def close_basket(conn: asyncpg.Connection, basket_id: uuid.UUID, now: datetime) -> bool:
    """False when it was already validated (a second click, a replayed request)."""
    return bool(
        await conn.fetchval(
            "UPDATE baskets SET status = 'validated', validated_at = $2"
            " WHERE id = $1 AND status = 'open' RETURNING true",
            basket_id,
            now,
        )
    )


# --- bookings --------------------------------------------------------------------------


async def get_booking(conn: Conn, tenant: str, booking_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM bookings WHERE id = $1 AND tenant = $2", booking_id, tenant
        )
    )


async def cancel_booking(
    conn: asyncpg.Connection,
    booking_id: uuid.UUID,
    *,
    by: uuid.UUID,
    reason: str | None,
    now: datetime,
) -> Row | None:
    """The booking as it was (with `previous_status`), or None when it was no longer live."""
    before = await conn.fetchrow(
        "SELECT status FROM bookings WHERE id = $1 AND status IN ('booked', 'waiting') FOR UPDATE",
        booking_id,
    )
    if before is None:
        return None
    # A day held until paid and cancelled meanwhile is no longer held (no sweep, no answer
    # of billing applies to it).
    row = await conn.fetchrow(
        "UPDATE bookings SET status = 'cancelled', cancelled_at = $2, cancelled_by = $3,"
        " cancel_reason = $4,"
        " hold = CASE WHEN hold = 'held' THEN 'cancelled' ELSE hold END,"
        " hold_settled_at = CASE WHEN hold = 'held' THEN $2 ELSE hold_settled_at END"
        " WHERE id = $1 RETURNING *",
        booking_id,
        now,
        by,
        reason,
    )
    return {**dict(row), "previous_status": before["status"]}


async def child_bookings(
    conn: Conn,
    child_id: uuid.UUID,
    start: date,
    end: date,
    activity_ids: Iterable[uuid.UUID] | None = None,
) -> list[Row]:
    """Bookings of a child between two dates, oldest first (the last one of a day wins); a
    waiting one with its `waiting_position` on the day's list (1: the first, arrival order)."""
    rows = await conn.fetch(
        """
        SELECT b.*,
               CASE WHEN b.status = 'waiting' THEN (
                   SELECT count(*) FROM bookings w
                   WHERE w.activity_id = b.activity_id AND w.day = b.day
                     AND w.status = 'waiting' AND w.seq <= b.seq)
               END AS waiting_position
        FROM bookings b WHERE b.child_id = $1 AND b.day BETWEEN $2 AND $3
          AND ($4::uuid[] IS NULL OR b.activity_id = ANY($4))
        ORDER BY b.day, b.seq
        """,
        child_id,
        start,
        end,
        list(activity_ids) if activity_ids is not None else None,
    )
    return [dict(r) for r in rows]


# --- attendance (pointage) --------------------------------------------------------------


async def day_roll(conn: Conn, activity_id: uuid.UUID, day: date) -> list[Row]:
    """The children booked on a day of an activity, by name, with diet, attendance mark and
    live absence justification."""
    rows = await conn.fetch(
        """
        SELECT b.id AS booking_id, b.child_id, b.household_id, b.late, b.unexpected,
               c.first_name, c.last_name, c.grade, c.school, c.diet,
               a.status AS attendance, a.marked_at,
               j.id AS absence_id, j.status AS absence_status, j.reason AS absence_reason
        FROM bookings b
        JOIN children c ON c.id = b.child_id
        LEFT JOIN attendance a ON a.booking_id = b.id
        LEFT JOIN absences j ON j.booking_id = b.id AND j.status <> 'refused'
        WHERE b.activity_id = $1 AND b.day = $2 AND b.status = 'booked'
        ORDER BY c.last_name, c.first_name, b.child_id
        """,
        activity_id,
        day,
    )
    return [dict(r) for r in rows]


async def mark_attendance(
    conn: Conn,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    marks: Sequence[tuple[uuid.UUID, str]],
    *,
    by: uuid.UUID,
    now: datetime,
) -> list[Row]:
    """Upsert (booking_id, status) marks; 'absent' becomes 'absent_justified' when the
    absence was justified and accepted. The rows as recorded."""
    rows = await conn.fetch(
        """
        INSERT INTO attendance (booking_id, tenant, activity_id, day, status, marked_by,
                                marked_at)
        SELECT m.booking_id, $1, $2, $3,
               CASE WHEN m.status = 'absent' AND EXISTS (
                        SELECT 1 FROM absences j WHERE j.booking_id = m.booking_id
                          AND j.status = 'accepted')
                    THEN 'absent_justified' ELSE m.status END,
               $6, $7
        FROM unnest($4::uuid[], $5::text[]) AS m(booking_id, status)
        ON CONFLICT (booking_id) DO UPDATE
            SET status = EXCLUDED.status, marked_by = EXCLUDED.marked_by,
                marked_at = EXCLUDED.marked_at
        RETURNING booking_id, status
        """,
        tenant,
        activity_id,
        day,
        [m[0] for m in marks],
        [m[1] for m in marks],
        by,
        now,
    )
    return [dict(r) for r in rows]


async def live_booking(
    conn: Conn, activity_id: uuid.UUID, child_id: uuid.UUID, day: date
) -> Row | None:
    """The child's booking of the day that is not cancelled (booked or waiting), if any."""
    return _row(
        await conn.fetchrow(
            "SELECT * FROM bookings WHERE activity_id = $1 AND child_id = $2 AND day = $3"
            " AND status IN ('booked', 'waiting')",
            activity_id,
            child_id,
            day,
        )
    )


async def take_waiting_as_unexpected(conn: asyncpg.Connection, booking_id: uuid.UUID) -> Row:
    """A child on the day's waiting list who came anyway: booked, flagged unexpected, counted
    (the caller holds the day row)."""
    row = await conn.fetchrow(
        "UPDATE bookings SET status = 'booked', unexpected = true WHERE id = $1 RETURNING *",
        booking_id,
    )
    await conn.execute(
        "UPDATE activity_days SET booked = booked + 1 WHERE activity_id = $1 AND day = $2",
        row["activity_id"],
        row["day"],
    )
    return dict(row)


async def insert_unexpected_booking(conn: asyncpg.Connection, values: Row) -> Row:
    """A booking for a child who came without one; the caller holds the day row
    (`lock_day`). It takes a place in the day's count even beyond capacity: the child is
    there."""
    row = await conn.fetchrow(
        """
        INSERT INTO bookings (id, tenant, activity_id, child_id, household_id, day, status,
                              late, booked_by, created_at, unexpected)
        VALUES ($1, $2, $3, $4, $5, $6, 'booked', false, $7, $8, true)
        RETURNING *
        """,
        values["id"],
        values["tenant"],
        values["activity_id"],
        values["child_id"],
        values["household_id"],
        values["day"],
        values["booked_by"],
        values["created_at"],
    )
    await conn.execute(
        "UPDATE activity_days SET booked = booked + 1 WHERE activity_id = $1 AND day = $2",
        values["activity_id"],
        values["day"],
    )
    return dict(row)


# Lower-case accented letters and their plain forms, for a name search that ignores accents
# (the query is folded the same way in Python; no `unaccent` extension needed).
ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"


async def search_children(conn: Conn, tenant: str, words: Sequence[str], limit: int) -> list[Row]:
    """Children of the tenant whose full name holds every (folded) word; anonymised
    households are left out."""
    rows = await conn.fetch(
        """
        SELECT c.id, c.first_name, c.last_name, c.birth_date, c.grade, c.school
        FROM children c
        WHERE c.tenant = $1
          AND NOT EXISTS (SELECT 1 FROM anonymised_households h
                          WHERE h.tenant = c.tenant AND h.household_id = c.household_id)
          AND (SELECT bool_and(strpos(
                    translate(lower(c.first_name || ' ' || c.last_name), $3, $4), w) > 0)
               FROM unnest($2::text[]) AS w)
        ORDER BY c.last_name, c.first_name, c.id
        LIMIT $5
        """,
        tenant,
        list(words),
        ACCENTED,
        PLAIN,
        limit,
    )
    return [dict(r) for r in rows]


# --- absence justifications -------------------------------------------------------------


async def insert_absence(conn: Conn, values: Row) -> Row | None:
    """None when the booking already has a live (pending or accepted) justification."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return _row(
        await conn.fetchrow(
            f"INSERT INTO absences ({', '.join(columns)}) VALUES ({placeholders})"
            " ON CONFLICT (booking_id) WHERE status <> 'refused' DO NOTHING RETURNING *",
            *values.values(),
        )
    )


async def get_absence(conn: Conn, tenant: str, absence_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM absences WHERE id = $1 AND tenant = $2", absence_id, tenant
        )
    )


async def list_absences(
    conn: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None = None,
    status: str | None = None,
    activity_id: uuid.UUID | None = None,
) -> list[Row]:
    rows = await conn.fetch(
        """
        SELECT * FROM absences
        WHERE tenant = $1 AND ($2::uuid IS NULL OR household_id = $2)
          AND ($3::text IS NULL OR status = $3) AND ($4::uuid IS NULL OR activity_id = $4)
        ORDER BY requested_at, id
        LIMIT 1000
        """,
        tenant,
        household_id,
        status,
        activity_id,
    )
    return [dict(r) for r in rows]


async def decide_absence(
    conn: Conn,
    absence_id: uuid.UUID,
    *,
    status: str,
    reason: str | None,
    by: uuid.UUID,
    now: datetime,
) -> Row | None:
    """None when it was no longer pending. An accepted absence turns an 'absent' mark into
    'absent_justified'."""
    row = await conn.fetchrow(
        "UPDATE absences SET status = $2, decision_reason = $3, decided_by = $4, decided_at = $5"
        " WHERE id = $1 AND status = 'pending' RETURNING *",
        absence_id,
        status,
        reason,
        by,
        now,
    )
    if row is not None and status == "accepted":
        await conn.execute(
            "UPDATE attendance SET status = 'absent_justified'"
            " WHERE booking_id = $1 AND status = 'absent'",
            row["booking_id"],
        )
    return _row(row)


# --- iCalendar feeds --------------------------------------------------------------------


async def revoke_calendar_tokens(conn: Conn, child_id: uuid.UUID, now: datetime) -> bool:
    return bool(
        await conn.fetchval(
            "UPDATE calendar_tokens SET revoked_at = $2 WHERE child_id = $1"
            " AND revoked_at IS NULL RETURNING true",
            child_id,
            now,
        )
    )


async def insert_calendar_token(
    conn: Conn,
    token_hash: bytes,
    tenant: str,
    child_id: uuid.UUID,
    household_id: uuid.UUID,
    by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO calendar_tokens (token_hash, tenant, child_id, household_id, created_by,"
        " created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        token_hash,
        tenant,
        child_id,
        household_id,
        by,
        now,
    )


async def calendar_token(conn: Conn, token_hash: bytes) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM calendar_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash,
        )
    )


async def booked_days(conn: Conn, child_id: uuid.UUID, start: date, end: date) -> list[Row]:
    rows = await conn.fetch(
        """
        SELECT b.id, b.day, a.name AS activity_name, a.site
        FROM bookings b JOIN activities a ON a.id = b.activity_id
        WHERE b.child_id = $1 AND b.status = 'booked' AND b.day BETWEEN $2 AND $3
        ORDER BY b.day, a.name
        """,
        child_id,
        start,
        end,
    )
    return [dict(r) for r in rows]


# --- staff views ------------------------------------------------------------------------


async def site_occupancy(
    conn: Conn, tenant: str, start: date, end: date, site: str | None
) -> list[Row]:
    """Every opening day of every activity between two dates, with its site and counters."""
    rows = await conn.fetch(
        """
        SELECT d.day, a.site, a.id AS activity_id, a.name, a.type, d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'waiting') AS waiting
        FROM activity_days d JOIN activities a ON a.id = d.activity_id
        WHERE a.tenant = $1 AND d.day BETWEEN $2 AND $3 AND ($4::text IS NULL OR a.site = $4)
        ORDER BY d.day, a.site, a.name, a.id
        """,
        tenant,
        start,
        end,
        site,
    )
    return [dict(r) for r in rows]


async def meal_counts(
    conn: Conn, tenant: str, start: date, end: date, site: str | None, types: Sequence[str]
) -> list[Row]:
    """Children booked per day, site and diet in meal activities; `expected` leaves out the
    children known absent (marked absent, or an accepted absence)."""
    rows = await conn.fetch(
        """
        SELECT b.day, a.site, c.diet, count(DISTINCT b.child_id) AS booked,
               count(DISTINCT b.child_id) FILTER (
                   WHERE coalesce(t.status, 'present') = 'present'
                     AND NOT EXISTS (SELECT 1 FROM absences j WHERE j.booking_id = b.id
                                       AND j.status = 'accepted')) AS expected
        FROM bookings b
        JOIN activities a ON a.id = b.activity_id
        JOIN children c ON c.id = b.child_id
        LEFT JOIN attendance t ON t.booking_id = b.id
        WHERE a.tenant = $1 AND b.status = 'booked' AND b.day BETWEEN $2 AND $3
          AND ($4::text IS NULL OR a.site = $4) AND a.type = ANY($5::text[])
        GROUP BY b.day, a.site, c.diet
        ORDER BY b.day, a.site, c.diet
        """,
        tenant,
        start,
        end,
        site,
        list(types),
    )
    return [dict(r) for r in rows]


# --- enrollment campaigns and renewals (issue 16) ----------------------------------------


async def insert_campaign(conn: Conn, values: Row) -> Row:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return dict(
        await conn.fetchrow(
            f"INSERT INTO campaigns ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *",
            *values.values(),
        )
    )


async def get_campaign(
    conn: Conn, tenant: str, campaign_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM campaigns WHERE id = $1 AND tenant = $2"
            + (" FOR UPDATE" if lock else ""),
            campaign_id,
            tenant,
        )
    )


async def list_campaigns(conn: Conn, tenant: str, *, archived: bool) -> list[Row]:
    """The tenant's campaigns, newest window first (`archived` False: the archived left out)."""
    rows = await conn.fetch(
        """
        SELECT * FROM campaigns WHERE tenant = $1 AND ($2 OR archived_at IS NULL)
        ORDER BY opens_on DESC, created_at DESC
        """,
        tenant,
        archived,
    )
    return [dict(r) for r in rows]


async def update_campaign(conn: Conn, campaign_id: uuid.UUID, values: Row) -> Row:
    sets = ", ".join(f"{column} = ${i}" for i, column in enumerate(values, start=2))
    return dict(
        await conn.fetchrow(
            f"UPDATE campaigns SET {sets} WHERE id = $1 RETURNING *",
            campaign_id,
            *values.values(),
        )
    )


async def campaign_activities(conn: Conn, campaign_ids: Sequence[uuid.UUID]) -> list[Row]:
    """The activities of these campaigns (their full rows, with `campaign_id`)."""
    rows = await conn.fetch(
        """
        SELECT ca.campaign_id, a.* FROM campaign_activities ca
        JOIN activities a ON a.id = ca.activity_id
        WHERE ca.campaign_id = ANY($1::uuid[])
        ORDER BY a.type, a.name, a.site, a.id
        """,
        list(campaign_ids),
    )
    return [dict(r) for r in rows]


async def activities_in_other_campaigns(
    conn: Conn, activity_ids: Sequence[uuid.UUID], campaign_id: uuid.UUID | None
) -> list[Row]:
    """Those of `activity_ids` already in a campaign other than `campaign_id` (id, name)."""
    rows = await conn.fetch(
        """
        SELECT a.id, a.name, ca.campaign_id FROM campaign_activities ca
        JOIN activities a ON a.id = ca.activity_id
        WHERE ca.activity_id = ANY($1::uuid[])
          AND ($2::uuid IS NULL OR ca.campaign_id <> $2)
        ORDER BY a.name
        """,
        list(activity_ids),
        campaign_id,
    )
    return [dict(r) for r in rows]


async def set_campaign_activities(
    conn: Conn, campaign_id: uuid.UUID, activity_ids: Sequence[uuid.UUID]
) -> None:
    await conn.execute(
        "DELETE FROM campaign_activities WHERE campaign_id = $1 AND activity_id <> ALL($2)",
        campaign_id,
        list(activity_ids),
    )
    await conn.execute(
        """
        INSERT INTO campaign_activities (campaign_id, activity_id)
        SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING
        """,
        campaign_id,
        list(activity_ids),
    )


async def campaign_of_activity(conn: Conn, tenant: str, activity_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            """
            SELECT c.* FROM campaigns c JOIN campaign_activities ca ON ca.campaign_id = c.id
            WHERE ca.activity_id = $1 AND c.tenant = $2
            """,
            activity_id,
            tenant,
        )
    )


async def campaign_counts(conn: Conn, campaign_id: uuid.UUID) -> Row:
    """What staff follow of a campaign: its enrollments, renewals and checked files."""
    return dict(
        await conn.fetchrow(
            """
            SELECT
              (SELECT count(*) FROM enrollments e JOIN campaign_activities ca
                 ON ca.activity_id = e.activity_id
               WHERE ca.campaign_id = $1 AND e.status = 'approved') AS enrollments,
              (SELECT count(*) FROM enrollments e JOIN campaign_activities ca
                 ON ca.activity_id = e.activity_id
               WHERE ca.campaign_id = $1 AND e.status = 'pending') AS pending,
              count(*) FILTER (WHERE r.status = 'proposed') AS renewals_proposed,
              count(*) FILTER (WHERE r.status = 'confirmed') AS renewals_confirmed,
              count(*) FILTER (WHERE r.status = 'declined') AS renewals_declined,
              count(*) FILTER (WHERE r.status = 'ineligible') AS renewals_ineligible,
              (SELECT count(*) FROM campaign_file_checks f
               WHERE f.campaign_id = $1) AS file_checks
            FROM renewals r WHERE r.campaign_id = $1
            """,
            campaign_id,
        )
    )


async def check_file(
    conn: Conn, campaign_id: uuid.UUID, household_id: uuid.UUID, by: uuid.UUID, now: datetime
) -> Row:
    """The household's file checked for the campaign; the first check is kept."""
    await conn.execute(
        """
        INSERT INTO campaign_file_checks (campaign_id, household_id, checked_by, checked_at)
        VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
        """,
        campaign_id,
        household_id,
        by,
        now,
    )
    found = await file_check(conn, campaign_id, household_id)
    assert found is not None
    return found


async def file_check(conn: Conn, campaign_id: uuid.UUID, household_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM campaign_file_checks WHERE campaign_id = $1 AND household_id = $2",
            campaign_id,
            household_id,
        )
    )


async def renewable_enrollments(
    conn: Conn, tenant: str, activity_ids: Sequence[uuid.UUID]
) -> list[Row]:
    """The approved enrollments in these activities, with their child (households that asked
    to be forgotten left out)."""
    rows = await conn.fetch(
        """
        SELECT e.id, e.activity_id, e.child_id, e.household_id, c.first_name, c.last_name,
               c.birth_date, c.grade
        FROM enrollments e JOIN children c ON c.id = e.child_id
        WHERE e.tenant = $1 AND e.activity_id = ANY($2::uuid[]) AND e.status = 'approved'
          AND NOT EXISTS (SELECT 1 FROM anonymised_households h
                          WHERE h.tenant = e.tenant AND h.household_id = e.household_id)
        ORDER BY e.household_id, c.first_name, e.requested_at, e.id
        """,
        tenant,
        list(activity_ids),
    )
    return [dict(r) for r in rows]


async def insert_renewal(conn: Conn, values: Row) -> Row | None:
    """None when the child already has a renewal for that activity in the campaign."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return _row(
        await conn.fetchrow(
            f"INSERT INTO renewals ({', '.join(columns)}) VALUES ({placeholders})"
            " ON CONFLICT (campaign_id, child_id, activity_id) DO NOTHING RETURNING *",
            *values.values(),
        )
    )


async def reassess_renewal(
    conn: Conn,
    campaign_id: uuid.UUID,
    child_id: uuid.UUID,
    activity_id: uuid.UUID,
    *,
    next_grade: str | None,
    status: str,
    reason: str | None,
) -> Row | None:
    """An ineligible renewal checked again (the child's file may have been completed since):
    the row when it was ineligible and now says `status`, else None (others never change)."""
    return _row(
        await conn.fetchrow(
            """
            UPDATE renewals SET next_grade = $4, status = $5, reason = $6
            WHERE campaign_id = $1 AND child_id = $2 AND activity_id = $3
              AND status = 'ineligible'
            RETURNING *
            """,
            campaign_id,
            child_id,
            activity_id,
            next_grade,
            status,
            reason,
        )
    )


_RENEWALS = """
    SELECT r.*, c.first_name AS child_first_name, c.last_name AS child_last_name,
           fa.name AS from_activity_name, a.name AS activity_name,
           (f.household_id IS NOT NULL) AS file_checked
    FROM renewals r
    JOIN children c ON c.id = r.child_id
    JOIN activities fa ON fa.id = r.from_activity_id
    JOIN activities a ON a.id = r.activity_id
    LEFT JOIN campaign_file_checks f
      ON f.campaign_id = r.campaign_id AND f.household_id = r.household_id
"""


async def list_renewals(
    conn: Conn,
    tenant: str,
    campaign_id: uuid.UUID,
    *,
    household_id: uuid.UUID | None = None,
    status: str | None = None,
) -> list[Row]:
    rows = await conn.fetch(
        _RENEWALS
        + """
        WHERE r.tenant = $1 AND r.campaign_id = $2
          AND ($3::uuid IS NULL OR r.household_id = $3) AND ($4::text IS NULL OR r.status = $4)
        ORDER BY r.household_id, c.first_name, a.name, r.id
        """,
        tenant,
        campaign_id,
        household_id,
        status,
    )
    return [dict(r) for r in rows]


async def get_renewal(conn: Conn, tenant: str, renewal_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(_RENEWALS + " WHERE r.id = $1 AND r.tenant = $2", renewal_id, tenant)
    )


async def lock_renewal(conn: Conn, tenant: str, renewal_id: uuid.UUID) -> Row | None:
    return _row(
        await conn.fetchrow(
            "SELECT * FROM renewals WHERE id = $1 AND tenant = $2 FOR UPDATE", renewal_id, tenant
        )
    )


async def answer_renewal(
    conn: Conn,
    renewal_id: uuid.UUID,
    *,
    status: str,
    enrollment_id: uuid.UUID | None,
    answered_by: uuid.UUID,
    now: datetime,
) -> None:
    await conn.execute(
        """
        UPDATE renewals SET status = $2, enrollment_id = $3, answered_by = $4, answered_at = $5
        WHERE id = $1
        """,
        renewal_id,
        status,
        enrollment_id,
        answered_by,
        now,
    )


# --- opening windows (issue 18) ---

_WINDOW = """
    SELECT w.*, a.name AS activity_name
    FROM opening_windows w JOIN activities a ON a.id = w.activity_id
"""


async def insert_window(conn: Conn, values: Row) -> Row:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(
        f"INSERT INTO opening_windows ({', '.join(columns)}) VALUES ({placeholders})",
        *values.values(),
    )
    found = await get_window(conn, values["tenant"], values["id"])
    assert found is not None
    return found


async def get_window(
    conn: Conn, tenant: str, window_id: uuid.UUID, *, lock: bool = False
) -> Row | None:
    return _row(
        await conn.fetchrow(
            _WINDOW + " WHERE w.id = $1 AND w.tenant = $2" + (" FOR UPDATE OF w" if lock else ""),
            window_id,
            tenant,
        )
    )


async def list_windows(conn: Conn, tenant: str, *, opened_before: datetime | None) -> list[Row]:
    """The tenant's windows, newest first (`opened_before`: only those opened by then)."""
    rows = await conn.fetch(
        _WINDOW + " WHERE w.tenant = $1 AND ($2::timestamptz IS NULL OR w.opens_at <= $2)"
        " ORDER BY w.opens_at DESC, w.id",
        tenant,
        opened_before,
    )
    return [dict(r) for r in rows]


async def update_window(conn: Conn, tenant: str, window_id: uuid.UUID, values: Row) -> Row:
    sets = ", ".join(f"{k} = ${i}" for i, k in enumerate(values, start=2))
    await conn.execute(
        f"UPDATE opening_windows SET {sets} WHERE id = $1", window_id, *values.values()
    )
    found = await get_window(conn, tenant, window_id)
    assert found is not None
    return found


async def overlapping_window(
    conn: Conn, activity_id: uuid.UUID, date_from: date, date_to: date, other_than: uuid.UUID
) -> Row | None:
    return _row(
        await conn.fetchrow(
            """
            SELECT id, name FROM opening_windows
            WHERE activity_id = $1 AND id <> $4 AND date_from <= $3 AND date_to >= $2
            LIMIT 1
            """,
            activity_id,
            date_from,
            date_to,
            other_than,
        )
    )


async def window_request_counts(
    conn: Conn, window_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    rows = await conn.fetch(
        "SELECT window_id, count(*) AS n FROM window_requests WHERE window_id = ANY($1::uuid[])"
        " GROUP BY window_id",
        list(window_ids),
    )
    return {r["window_id"]: r["n"] for r in rows}


async def window_days(
    conn: Conn, activity_id: uuid.UUID, date_from: date, date_to: date, *, lock: bool = False
) -> list[Row]:
    """The activity's opening days in the window's range (locked in the common order, for
    the allocation)."""
    rows = await conn.fetch(
        """
        SELECT day, capacity, booked FROM activity_days
        WHERE activity_id = $1 AND day BETWEEN $2 AND $3
        ORDER BY activity_id, day
        """
        + (" FOR UPDATE" if lock else ""),
        activity_id,
        date_from,
        date_to,
    )
    return [dict(r) for r in rows]


async def save_window_request(
    conn: Conn, values: Row, children: Sequence[tuple[uuid.UUID, Sequence[date]]]
) -> Row:
    """The household's request for the window, replacing the one it had (same id, first
    submission time kept) with its children."""
    row = await conn.fetchrow(
        """
        INSERT INTO window_requests (id, window_id, tenant, household_id, account_id,
                                     siblings_together, criteria, submitted_at, updated_at,
                                     by_staff)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9)
        ON CONFLICT (window_id, household_id) DO UPDATE
            SET account_id = EXCLUDED.account_id, by_staff = EXCLUDED.by_staff,
                siblings_together = EXCLUDED.siblings_together,
                criteria = EXCLUDED.criteria, updated_at = EXCLUDED.updated_at
        RETURNING *
        """,
        values["id"],
        values["window_id"],
        values["tenant"],
        values["household_id"],
        values["account_id"],
        values["siblings_together"],
        list(values["criteria"]),
        values["now"],
        values["by_staff"],
    )
    await conn.execute("DELETE FROM window_request_children WHERE request_id = $1", row["id"])
    await conn.executemany(
        "INSERT INTO window_request_children (request_id, child_id, position, dates)"
        " VALUES ($1, $2, $3, $4)",
        [(row["id"], child, n, list(dates)) for n, (child, dates) in enumerate(children, 1)],
    )
    return dict(row)


async def window_request(
    conn: Conn,
    window_id: uuid.UUID,
    *,
    household_id: uuid.UUID | None = None,
    request_id: uuid.UUID | None = None,
    lock: bool = False,
) -> Row | None:
    return _row(
        await conn.fetchrow(
            """
            SELECT * FROM window_requests
            WHERE window_id = $1 AND ($2::uuid IS NULL OR household_id = $2)
              AND ($3::uuid IS NULL OR id = $3)
            """
            + (" FOR UPDATE" if lock else ""),
            window_id,
            household_id,
            request_id,
        )
    )


async def window_requests(
    conn: Conn, window_id: uuid.UUID, *, limit: int | None = None, offset: int = 0
) -> list[Row]:
    """The window's requests: by rank once allocated, else by submission."""
    rows = await conn.fetch(
        """
        SELECT * FROM window_requests WHERE window_id = $1
        ORDER BY rank NULLS LAST, submitted_at, id
        LIMIT $2 OFFSET $3
        """,
        window_id,
        limit,
        offset,
    )
    return [dict(r) for r in rows]


async def window_request_children(
    conn: Conn, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row]]:
    """The children of each request, in its order, with their names and birth facts."""
    rows = await conn.fetch(
        """
        SELECT r.request_id, r.child_id, r.position, r.dates, r.outcome,
               c.first_name, c.last_name, c.household_id, c.birth_date, c.grade
        FROM window_request_children r
        LEFT JOIN children c ON c.id = r.child_id
        WHERE r.request_id = ANY($1::uuid[])
        ORDER BY r.request_id, r.position
        """,
        list(request_ids),
    )
    found: dict[uuid.UUID, list[Row]] = {}
    for r in rows:
        found.setdefault(r["request_id"], []).append(dict(r))
    return found


async def delete_window_request(conn: Conn, request_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM window_requests WHERE id = $1", request_id)


async def verify_window_criteria(
    conn: Conn, request_id: uuid.UUID, criteria: Sequence[str], by: uuid.UUID, at: datetime
) -> Row:
    return dict(
        await conn.fetchrow(
            """
            UPDATE window_requests SET verified_criteria = $2, verified_by = $3, verified_at = $4
            WHERE id = $1 RETURNING *
            """,
            request_id,
            list(criteria),
            by,
            at,
        )
    )


async def due_windows(conn: Conn, now: datetime, limit: int) -> list[Row]:
    """Windows closed and not allocated yet (every tenant), oldest first."""
    rows = await conn.fetch(
        """
        SELECT id, tenant FROM opening_windows
        WHERE status = 'scheduled' AND closes_at <= $1
        ORDER BY closes_at, id LIMIT $2
        """,
        now,
        limit,
    )
    return [dict(r) for r in rows]


async def households_with_enrolled_children(
    conn: Conn, activity_id: uuid.UUID, households: Sequence[uuid.UUID]
) -> list[Row]:
    """The children with an approved enrollment in the activity, of these households."""
    rows = await conn.fetch(
        """
        SELECT household_id, child_id FROM enrollments
        WHERE activity_id = $1 AND status = 'approved' AND household_id = ANY($2::uuid[])
        """,
        activity_id,
        list(households),
    )
    return [dict(r) for r in rows]


async def live_bookings_on(
    conn: Conn, activity_id: uuid.UUID, children: Sequence[uuid.UUID], days: Sequence[date]
) -> dict[tuple[uuid.UUID, date], Row]:
    """The live bookings (booked or waiting) of these children on these days."""
    rows = await conn.fetch(
        """
        SELECT id, child_id, day, status FROM bookings
        WHERE activity_id = $1 AND child_id = ANY($2::uuid[]) AND day = ANY($3::date[])
          AND status IN ('booked', 'waiting')
        """,
        activity_id,
        list(children),
        list(days),
    )
    return {(r["child_id"], r["day"]): dict(r) for r in rows}


ALLOCATED_COLUMNS = ("id", "tenant", "activity_id", "child_id", "household_id", "day",
                     "status", "booked_by", "created_at")  # fmt: skip


async def insert_allocated_bookings(
    conn: asyncpg.Connection, records: Sequence[tuple[Any, ...]]
) -> None:
    """The allocation's bookings, each a tuple in ALLOCATED_COLUMNS order (no dict per row:
    150,000 rows for 20,000 requests), inserted in the order given (so that `seq` keeps the
    allocation's order on each day's waiting list). The caller holds the day rows. COPY: a
    whole window's rows in one stream, three times faster than an INSERT from unnest; COPY
    inserts in the order sent, so `seq` follows it too."""
    await conn.copy_records_to_table("bookings", records=records, columns=ALLOCATED_COLUMNS)


async def promote_bookings(conn: asyncpg.Connection, booking_ids: Sequence[uuid.UUID]) -> None:
    """Waiting bookings given a place by the allocation (the caller counts the places)."""
    await conn.execute(
        "UPDATE bookings SET status = 'booked' WHERE id = ANY($1::uuid[])", list(booking_ids)
    )


async def add_booked(
    conn: asyncpg.Connection, activity_id: uuid.UUID, taken: Sequence[tuple[date, int]]
) -> None:
    await conn.execute(
        """
        UPDATE activity_days d SET booked = d.booked + u.n
        FROM unnest($2::date[], $3::int[]) AS u(day, n)
        WHERE d.activity_id = $1 AND d.day = u.day
        """,
        activity_id,
        [d for d, _ in taken],
        [n for _, n in taken],
    )


async def waiting_positions(
    conn: Conn, activity_id: uuid.UUID, booking_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """The place of each of these waiting bookings on its day's waiting list (1 first)."""
    rows = await conn.fetch(
        """
        SELECT id, position FROM (
            SELECT id, row_number() OVER (PARTITION BY day ORDER BY seq) AS position
            FROM bookings WHERE activity_id = $1 AND status = 'waiting'
        ) AS w WHERE id = ANY($2::uuid[])
        """,
        activity_id,
        list(booking_ids),
    )
    return {r["id"]: r["position"] for r in rows}


async def save_allocation(
    conn: asyncpg.Connection,
    window_id: uuid.UUID,
    *,
    allocated_at: datetime,
    places: list[dict[str, Any]],
    requests: Sequence[Row],
    children: Sequence[Row],
) -> None:
    """The allocation's result: each request's level, rank, lottery key and rules met, each
    child's outcomes, and the window allocated (its seed is shown from now on)."""
    # One statement each (a whole window: 20,000 requests, 27,000 children), not a round of
    # single-row updates. The rules met are a list per row and arrays cannot be ragged: they
    # travel comma-joined (rule codes are [a-z0-9_]); the outcomes as one JSON text per child
    # (a list: asyncpg would take a list of lists for a 2-D array).
    await conn.execute(
        """
        UPDATE window_requests r
        SET level = u.level, rank = u.rank, lottery_key = u.lottery_key,
            met_criteria = string_to_array(u.met, ',')
        FROM unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[])
             AS u(id, level, rank, lottery_key, met)
        WHERE r.id = u.id
        """,
        [r["id"] for r in requests],
        [r["level"] for r in requests],
        [r["rank"] for r in requests],
        [r["lottery_key"] for r in requests],
        [",".join(r["met"]) for r in requests],
    )
    await conn.execute(
        """
        UPDATE window_request_children c SET outcome = u.outcome::jsonb
        FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS u(request_id, child_id, outcome)
        WHERE c.request_id = u.request_id AND c.child_id = u.child_id
        """,
        [c["request_id"] for c in children],
        [c["child_id"] for c in children],
        [json.dumps(c["outcome"]) for c in children],
    )
    await conn.execute(
        "UPDATE opening_windows SET status = 'allocated', allocated_at = $2, places = $3"
        " WHERE id = $1",
        window_id,
        allocated_at,
        places,
    )


async def enrollment_statuses(
    conn: Conn, activity_id: uuid.UUID, children: Sequence[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """The live enrollment status (approved / pending) of these children in the activity."""
    rows = await conn.fetch(
        "SELECT child_id, status FROM enrollments WHERE activity_id = $1"
        " AND child_id = ANY($2::uuid[]) AND status <> 'rejected'",
        activity_id,
        list(children),
    )
    return {r["child_id"]: r["status"] for r in rows}
