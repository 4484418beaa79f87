"""Attendance (pointage) and absence justifications: staff, or the site's animators, mark who
came on a day and add a child who came without a booking (unexpected presence); a family
justifies an absence on a booked day and staff accept it (not charged: AbsenceJustified) or
refuse it with a reason (AbsenceRefused, so that the family is told)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection
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
    AlreadyBookedThatDay,
    AttendanceTooEarly,
    BookingNotJustifiable,
    ChildNotFound,
    DayNotOpen,
    ForeignReference,
    NotBookedThatDay,
    SiteNotYours,
    UnexpectedChildUnknown,
)
from booking.usecases.activities import activity, activity_body
from booking.usecases.bookings import booking_for
from shared.uow import UnitOfWork

# The sites a caller takes attendance on: None for staff (every site of the tenant), else an
# animator's own sites.
Sites = Collection[str] | None


def _on_site(found: Activity, sites: Sites) -> Activity:
    if sites is not None and found.site not in sites:
        raise SiteNotYours()
    return found


async def sheet_activities(conn: store.Conn, tenant: str, sites: Sites) -> list[dict[str, Any]]:
    """The activities an attendance sheet may be taken for, by this caller."""
    rows = await store.activities(conn, tenant)
    return [activity_body(r) for r in rows if sites is None or r["site"] in sites]


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
    conn: store.Conn, tenant: str, activity_id: uuid.UUID, day: date, *, sites: Sites = None
) -> dict[str, Any]:
    found = _on_site(await activity(conn, tenant, activity_id), sites)
    return _roll(found, day, await store.day_roll(conn, activity_id, day))


def _emit_recorded(
    uow: UnitOfWork,
    tenant: str,
    found: Activity,
    day: date,
    recorded: list[dict[str, Any]],
    lines: dict[uuid.UUID, dict[str, Any]],
    actor: uuid.UUID,
) -> None:
    """One AttendanceRecorded event with the marks just recorded (`lines`: roll lines by
    booking id)."""
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
                    "child_id": lines[r["booking_id"]]["child_id"],
                    "household_id": lines[r["booking_id"]]["household_id"],
                    "status": r["status"],
                    "late": lines[r["booking_id"]]["late"],
                }
                for r in recorded
            ],
        },
        tenant=tenant,
    )


async def mark_attendance(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    marks: list[dict[str, Any]],
    *,
    actor: uuid.UUID,
    now: datetime,
    sites: Sites = None,
) -> dict[str, Any]:
    """Set the marks of booked children (all or none), from the day itself on; one
    AttendanceRecorded event."""
    async with uow:
        found = _on_site(await activity(uow.conn, tenant, activity_id), sites)
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
        _emit_recorded(uow, tenant, found, day, recorded, by_booking, actor)
        rows = await store.day_roll(uow.conn, found.id, day)
    return _roll(found, day, rows)


async def add_unexpected(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    child_id: uuid.UUID,
    *,
    actor: uuid.UUID,
    now: datetime,
    sites: Sites = None,
) -> tuple[dict[str, Any], bool]:
    """A child of the tenant who came without a booking: a booking of the day marked
    unexpected (never refused for capacity, but counted), marked present, one
    AttendanceRecorded event (billing charges it as an unexpected presence, since it never saw
    the day booked). A child on the day's waiting list is taken the same way. The child's
    roll line, and whether it was added now (the same child again: the line as it is)."""
    async with uow:
        found = _on_site(await activity(uow.conn, tenant, activity_id), sites)
        if day > now.astimezone(PARIS).date():
            raise AttendanceTooEarly()
        if await store.lock_day(uow.conn, found.id, day) is None:
            raise DayNotOpen()
        child = await store.get_child(uow.conn, tenant, child_id)
        if child is None:
            raise UnexpectedChildUnknown()
        existing = await store.live_booking(uow.conn, found.id, child_id, day)
        if existing is not None and existing["status"] == "booked" and not existing["unexpected"]:
            raise AlreadyBookedThatDay()
        added = existing is None or existing["status"] == "waiting"
        if added:
            # Billing never saw a waiting day booked either: it charges it as unexpected.
            booking = (
                await store.take_waiting_as_unexpected(uow.conn, existing["id"])
                if existing is not None
                else await store.insert_unexpected_booking(
                    uow.conn,
                    {
                        "id": uuid.uuid4(),
                        "tenant": tenant,
                        "activity_id": found.id,
                        "child_id": child_id,
                        "household_id": child["household_id"],
                        "day": day,
                        "booked_by": actor,
                        "created_at": now,
                    },
                )
            )
            recorded = await store.mark_attendance(
                uow.conn, tenant, found.id, day, [(booking["id"], "present")], by=actor, now=now
            )
            facts = {**booking, "child_id": child_id}
            _emit_recorded(uow, tenant, found, day, recorded, {booking["id"]: facts}, actor)
        rows = await store.day_roll(uow.conn, found.id, day)
    line = next(r for r in rows if r["child_id"] == child_id)
    return line, added


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
        if document_id is not None:
            await _check_document(uow.conn, tenant, booking["household_id"], document_id)
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


async def _check_document(
    conn: store.Conn, tenant: str, household_id: uuid.UUID, document_id: uuid.UUID
) -> None:
    """The supporting document must be the household's: one booking knows (from its upload
    on, family.DocumentUploaded) of another household or tenant is refused. One not known
    (uploaded before booking heard of uploads, or its event still on its way) is kept:
    booking cannot tell, and family serves a document only to its own household."""
    owner = await store.document_owner(conn, document_id)
    if owner is not None and (owner["tenant"], owner["household_id"]) != (tenant, household_id):
        raise ForeignReference("document_id", "Ce document n'est pas un document de votre foyer.")


async def list_absences(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    status: str | None = None,
    activity_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """A family sees its household's, staff every one (or one household's)."""
    return await store.list_absences(
        conn,
        tenant,
        household_id=actor.scope or household_id,
        status=status,
        activity_id=activity_id,
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
