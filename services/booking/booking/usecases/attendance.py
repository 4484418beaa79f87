"""Attendance (pointage) and absence justifications: staff mark who came on a day; a family
justifies an absence on a booked day and staff accept it (not charged: AbsenceJustified) or
refuse it with a reason (AbsenceRefused, so that the family is told)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    AbsenceAlreadyDecided,
    AbsenceAlreadyJustified,
    AbsenceNotFound,
    AttendanceTooEarly,
    BookingNotJustifiable,
    ChildNotFound,
    NotBookedThatDay,
)
from booking.usecases.activities import activity
from booking.usecases.bookings import booking_for
from shared.uow import UnitOfWork


def _roll(activity: Activity, day: date, rows: list[dict[str, Any]]) -> dict[str, Any]:
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


async def day_roll(
    conn: store.Conn, tenant: str, activity_id: uuid.UUID, day: date
) -> dict[str, Any]:
    found = await activity(conn, tenant, activity_id)
    return _roll(found, day, await store.day_roll(conn, activity_id, day))


async def mark_attendance(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    marks: list[dict[str, Any]],
    *,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """Set the marks of booked children (all or none), from the day itself on; one
    AttendanceRecorded event."""
    async with uow:
        found = await activity(uow.conn, tenant, activity_id)
        if day > now.astimezone(PARIS).date():
            raise AttendanceTooEarly()
        roll = {r["child_id"]: r for r in await store.day_roll(uow.conn, found.id, day)}
        unknown = [str(m["child_id"]) for m in marks if m["child_id"] not in roll]
        if unknown:
            raise NotBookedThatDay(child_ids=unknown)
        latest = {m["child_id"]: m["status"] for m in marks}  # the last mark of a child wins
        recorded = await store.mark_attendance(
            uow.conn,
            tenant,
            found.id,
            day,
            [(roll[c]["booking_id"], s) for c, s in latest.items()],
            by=actor,
            now=now,
        )
        by_booking = {r["booking_id"]: r for r in roll.values()}
        uow.emit(
            "booking.AttendanceRecorded",
            {
                "activity_id": found.id,
                "activity_name": found.name,
                "activity_type": found.type,
                "site": found.site,
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
            tenant=tenant,
        )
        rows = await store.day_roll(uow.conn, found.id, day)
    return _roll(found, day, rows)


async def justify_absence(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    booking_id: uuid.UUID,
    *,
    reason: str,
    note: str | None,
    document_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """A family justifies an absence on a booked day (one live justification per day)."""
    async with uow:
        booking = await booking_for(uow.conn, tenant, actor, booking_id)
        if booking["status"] != "booked":
            raise BookingNotJustifiable()
        row = await store.insert_absence(
            uow.conn,
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
                "requested_by": actor.account_id,
                "requested_at": now,
            },
        )
        if row is None:
            raise AbsenceAlreadyJustified()
    return row


async def list_absences(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    status: str | None = None,
    activity_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """A family sees its household's, staff every one."""
    return await store.list_absences(
        conn, tenant, household_id=actor.scope, status=status, activity_id=activity_id
    )


async def decide_absence(
    uow: UnitOfWork,
    tenant: str,
    absence_id: uuid.UUID,
    *,
    accept: bool,
    reason: str | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    async with uow:
        if await store.get_absence(uow.conn, tenant, absence_id) is None:
            raise AbsenceNotFound()
        row = await store.decide_absence(
            uow.conn,
            absence_id,
            status="accepted" if accept else "refused",
            reason=reason,
            by=actor,
            now=now,
        )
        if row is None:
            raise AbsenceAlreadyDecided()
        activity_row = await store.get_activity(uow.conn, tenant, row["activity_id"])
        child = await store.get_child(uow.conn, tenant, row["child_id"])
        booking = await store.get_booking(uow.conn, tenant, row["booking_id"])
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
            uow.emit("booking.AbsenceJustified", justified, tenant=tenant)
        else:
            # The family is told why (notify); the day stays chargeable.
            refused = {**common, "decision_reason": row["decision_reason"]}
            uow.emit("booking.AbsenceRefused", refused, tenant=tenant)
    return row
