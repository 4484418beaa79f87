"""Deadline nudges (issue 18): who is reminded to book next week's school days, and which
open baskets are reminded before their days can no longer be validated.

A week reminder: a household with approved enrollments in school-day activities (canteen,
after-school care, study, Wednesdays; not the holiday camps) open on some of next week's
days (Monday to Friday, Paris), that booked nothing (booked or waiting) on any of those days
of those activities, while the booking deadline of the earliest of those days still open is
within the next hours. A basket reminder: a basket left open, not validated, created more
than an hour ago (its family is not filling it right now), with a day to add whose booking
deadline is within the next hours. Both pure: the job (`usecases.reminders`) reads the facts
and emits each reminder once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from booking.domain.activity import Activity
from booking.domain.deadlines import PARIS, Deadline

# The activity types that follow the school weeks: a week without any booking is worth a
# reminder. VACANCES (holiday camps) are booked once for a whole period, not week by week.
SCHOOL_DAY_TYPES = frozenset({"CANTINE", "PERI", "ETUDE", "MERCREDI"})
# A basket created less than this ago is being filled: no reminder yet.
BASKET_QUIET = timedelta(hours=1)


def next_week(now: datetime) -> tuple[date, date]:
    """Monday and Friday of the week after the one `now` falls in (Paris calendar)."""
    today = now.astimezone(PARIS).date()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    return monday, monday + timedelta(days=4)


def week_key(household_id: uuid.UUID, week_from: date) -> str:
    """What a week reminder is about, once (reminders_sent.key)."""
    return f"{household_id}:{week_from.isoformat()}"


@dataclass(frozen=True)
class Enrolled:
    """An approved enrollment of a household's child that books day by day ("occasional":
    a regular pattern is booked when the enrollment is approved), with the household's live
    bookings (booked or waiting, any of its children) in that activity during the week."""

    household_id: uuid.UUID
    activity: Activity
    booked_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class WeekReminder:
    household_id: uuid.UUID
    week_from: date
    week_to: date
    deadline: datetime  # the earliest booking deadline of the days still open
    days: tuple[tuple[date, str], ...]  # (day, activity name), in order

    def payload(self) -> dict[str, object]:
        """booking.BookingReminderDue's payload."""
        return {
            "household_id": self.household_id,
            "week_from": self.week_from,
            "week_to": self.week_to,
            "deadline": self.deadline,
            "days": [{"date": day, "activity_name": name} for day, name in self.days],
        }


def _open_days(activity: Activity, week_from: date, week_to: date) -> list[date]:
    out = []
    day = week_from
    while day <= week_to:
        if activity.opening.is_open(day):
            out.append(day)
        day += timedelta(days=1)
    return out


def reminds(activity: Activity) -> bool:
    """Whether the activity's weeks are worth a reminder: a school-day one that families
    book day by day (a `schedule` activity's days are booked at enrollment) and still open."""
    free = activity.booking_mode == "free"
    return activity.type in SCHOOL_DAY_TYPES and free and not activity.closed


def urgent(activity: Activity, now: datetime, hours: float) -> bool:
    """Whether a day of the activity next week has its booking deadline within `hours`
    (and not passed): only the households enrolled in such an activity may be due now."""
    horizon = now + timedelta(hours=hours)
    return any(
        now < activity.deadlines.booking.for_day(day) <= horizon
        for day in _open_days(activity, *next_week(now))
    )


def week_reminder(
    household_id: uuid.UUID, enrolled: Iterable[Enrolled], now: datetime, hours: float
) -> WeekReminder | None:
    """The household's reminder for next week, or None when it is not due: nothing of
    interest that week, a day of it already booked (or waited for), no day still open, or
    the earliest deadline further than `hours` away."""
    week_from, week_to = next_week(now)
    open_days: dict[tuple[uuid.UUID, date], tuple[datetime, str]] = {}
    for item in enrolled:
        if item.household_id != household_id or not reminds(item.activity):
            continue
        for day in _open_days(item.activity, week_from, week_to):
            if day in item.booked_days:
                return None  # the family thought of that week already
            deadline = item.activity.deadlines.booking.for_day(day)
            if now < deadline:
                open_days[(item.activity.id, day)] = (deadline, item.activity.name)
    if not open_days:
        return None
    deadline = min(when for when, _ in open_days.values())
    if deadline > now + timedelta(hours=hours):
        return None
    days = sorted({(day, name) for (_, day), (_, name) in open_days.items()})
    return WeekReminder(household_id, week_from, week_to, deadline, tuple(days))


def week_reminders(enrolled: Sequence[Enrolled], now: datetime, hours: float) -> list[WeekReminder]:
    """The reminders due among these households' enrollments, in household order."""
    households = sorted({item.household_id for item in enrolled})
    out = []
    for household_id in households:
        reminder = week_reminder(household_id, enrolled, now, hours)
        if reminder is not None:
            out.append(reminder)
    return out


@dataclass(frozen=True)
class BasketLine:
    """A day the open basket would add, with its activity's booking deadline rule."""

    day: date
    booking: Deadline


def basket_deadline(
    created_at: datetime, lines: Iterable[BasketLine], now: datetime, hours: float
) -> datetime | None:
    """When the open basket's first day closes for booking, if its reminder is due now: the
    basket was created more than an hour ago and the earliest deadline of its days still
    open is within `hours`. None otherwise (nothing left to validate, or not yet)."""
    if now - created_at < BASKET_QUIET:
        return None
    pending = [d for d in (line.booking.for_day(line.day) for line in lines) if now < d]
    if not pending:
        return None
    deadline = min(pending)
    return deadline if deadline <= now + timedelta(hours=hours) else None
