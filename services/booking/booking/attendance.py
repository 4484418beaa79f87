"""Attendance (pointage) and absence justifications: staff mark who came on a day; a family
justifies an absence on a booked day and staff accept (not charged: AbsenceJustified) or
refuse it with a reason (AbsenceRefused, so that the family is told)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

import asyncpg

from booking import store
from booking.domain.activity import Activity
from booking.domain.deadlines import PARIS
from booking.operations import ChildNotFound, event, who
from shared.errors import DomainError, NotFound
from shared.events import outbox


class AttendanceTooEarly(DomainError):
    code = "attendance-too-early"
    kind = "conflict"
    title = "Day not started"
    detail = "La présence ne peut être pointée qu'à partir du jour de l'activité."


class NotBookedThatDay(DomainError):
    code = "not-booked-that-day"
    kind = "invalid"
    title = "Child not booked that day"
    detail = "Certains enfants pointés ne sont pas inscrits ce jour-là."


class AbsenceNotFound(NotFound):
    code = "absence-not-found"
    detail = "Ce justificatif d'absence n'existe pas."


class AbsenceAlreadyJustified(DomainError):
    code = "absence-already-justified"
    kind = "conflict"
    title = "Absence already justified"
    detail = "Une justification est déjà en cours ou acceptée pour ce jour."


class AbsenceAlreadyDecided(DomainError):
    code = "absence-already-decided"
    kind = "conflict"
    title = "Absence already decided"
    detail = "Ce justificatif a déjà été traité."


class BookingNotJustifiable(DomainError):
    code = "booking-not-booked"
    kind = "conflict"
    title = "Not a booked day"
    detail = "Seul un jour réservé (non annulé, hors liste d'attente) peut être justifié."


def roll_body(activity: Activity, day: date, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The day's list for the staff and the kitchen: children by name, and meals by diet."""
    expected = [
        r for r in rows if r["attendance"] != "absent" and r["absence_status"] != "accepted"
    ]
    return {
        "activity_id": activity.id,
        "name": activity.name,
        "site": activity.site,
        "date": day,
        "booked": len(rows),
        "present": sum(r["attendance"] == "present" for r in rows),
        "diets": dict(Counter(r["diet"] for r in rows)),
        "expected_diets": dict(Counter(r["diet"] for r in expected)),
        "children": rows,
    }


async def mark(
    pool: asyncpg.Pool,
    tenant: str,
    activity: Activity,
    day: date,
    marks: list[dict[str, Any]],
    *,
    actor: uuid.UUID,
    now: datetime,
) -> list[dict[str, Any]]:
    """Set the marks of booked children (all or none); one AttendanceRecorded event."""
    if day > now.astimezone(PARIS).date():
        raise AttendanceTooEarly()
    async with pool.acquire() as conn, conn.transaction():
        roll = {r["child_id"]: r for r in await store.day_roll(conn, activity.id, day)}
        unknown = [str(m["child_id"]) for m in marks if m["child_id"] not in roll]
        if unknown:
            raise NotBookedThatDay(child_ids=unknown)
        latest = {m["child_id"]: m["status"] for m in marks}  # the last mark of a child wins
        recorded = await store.mark_attendance(
            conn,
            tenant,
            activity.id,
            day,
            [(roll[c]["booking_id"], s) for c, s in latest.items()],
            by=actor,
            now=now,
        )
        by_booking = {r["booking_id"]: r for r in roll.values()}
        await outbox.record(
            conn,
            event(
                tenant,
                "booking.AttendanceRecorded",
                {
                    "activity_id": activity.id,
                    "activity_name": activity.name,
                    "activity_type": activity.type,
                    "site": activity.site,
                    "date": day,
                    "recorded_by": actor,
                    "marks": [
                        {
                            "booking_id": r["booking_id"],
                            "child_id": by_booking[r["booking_id"]]["child_id"],
                            "household_id": by_booking[r["booking_id"]]["household_id"],
                            "status": r["status"],
                            "late": by_booking[r["booking_id"]]["late"],
                        }
                        for r in recorded
                    ],
                },
            ),
        )
        return await store.day_roll(conn, activity.id, day)


async def justify(
    pool: asyncpg.Pool,
    tenant: str,
    booking: dict[str, Any],
    *,
    reason: str,
    note: str | None,
    document_id: uuid.UUID | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    if booking["status"] != "booked":
        raise BookingNotJustifiable()
    row = await store.insert_absence(
        pool,
        {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "booking_id": booking["id"],
            "activity_id": booking["activity_id"],
            "child_id": booking["child_id"],
            "household_id": booking["household_id"],
            "day": booking["day"],
            "reason": reason,
            "note": note,
            "document_id": document_id,
            "requested_by": actor,
            "requested_at": now,
        },
    )
    if row is None:
        raise AbsenceAlreadyJustified()
    return row


async def decide(
    pool: asyncpg.Pool,
    tenant: str,
    absence_id: uuid.UUID,
    *,
    accept: bool,
    reason: str | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        if await store.get_absence(conn, tenant, absence_id) is None:
            raise AbsenceNotFound()
        row = await store.decide_absence(
            conn,
            absence_id,
            status="accepted" if accept else "refused",
            reason=reason,
            by=actor,
            now=now,
        )
        if row is None:
            raise AbsenceAlreadyDecided()
        activity_row = await store.get_activity(conn, tenant, row["activity_id"])
        child = await store.get_child(conn, tenant, row["child_id"])
        booking = await store.get_booking(conn, tenant, row["booking_id"])
        if activity_row is None or child is None or booking is None:
            raise ChildNotFound()
        common = {
            **who(Activity.from_row(activity_row), child, row["requested_by"]),
            "absence_id": row["id"],
            "booking_id": row["booking_id"],
            "date": row["day"],
            "reason": row["reason"],
            "decided_by": actor,
        }
        if accept:
            justified = {**common, "late": booking["late"], "note": row["note"]}
            await outbox.record(conn, event(tenant, "booking.AbsenceJustified", justified))
        else:
            # The family is told why (notify); the day stays chargeable.
            refused = {**common, "decision_reason": row["decision_reason"]}
            await outbox.record(conn, event(tenant, "booking.AbsenceRefused", refused))
    return row
