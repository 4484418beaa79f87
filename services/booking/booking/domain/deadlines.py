"""Booking and cancellation deadlines, in Europe/Paris local time.

A rule says "N (working) days before the day, at HH:MM", or weekly "on <weekday> of the
week before, at HH:MM" ("Thursday noon for next week": every day of week W closes on
Thursday of week W-1 at 12:00): the booking closes (or the cancellation locks) at that
wall-clock time in Paris, whatever the offset that day (CET or CEST). Late booking, when
the activity allows it, stays possible until its own rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.domain.days import working_days_before

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


@dataclass(frozen=True)
class Deadline:
    days_before: int = 0
    at: time = time(0, 0)
    working_days: bool = False
    weekday: int | None = None  # 1 = Monday .. 7 = Sunday: the weekly rule (week before)

    def for_day(self, day: date) -> datetime:
        """The aware instant the deadline falls on, for an activity day."""
        if self.weekday is not None:
            monday = day - timedelta(days=day.weekday())
            base = monday - timedelta(days=7) + timedelta(days=self.weekday - 1)
        elif self.working_days:
            base = working_days_before(day, self.days_before)
        else:
            base = day - timedelta(days=self.days_before)
        # fold=0: on the autumn change an ambiguous 02:30 is the first (summer) one; a
        # spring-gap time (02:30 that does not exist) resolves forward like a wall clock.
        local = datetime.combine(base, self.at, tzinfo=PARIS)
        return local.astimezone(PARIS)

    def describe(self) -> str:
        if self.weekday is not None:
            name = WEEKDAYS[self.weekday - 1]
            return f"le {name} de la semaine précédente, à {self.at.strftime('%H:%M')}"
        unit = "jour(s) ouvré(s)" if self.working_days else "jour(s)"
        return f"{self.days_before} {unit} avant, à {self.at.strftime('%H:%M')}"


@dataclass(frozen=True)
class Deadlines:
    booking: Deadline
    cancellation: Deadline
    late_allowed: bool = False
    late_until: Deadline = Deadline(0, time(0, 0))  # default: until the day starts

    def booking_window(self, day: date, now: datetime) -> str:
        """'open', 'late' (allowed with a surcharge) or 'closed' ("sens interdit")."""
        if now < self.booking.for_day(day):
            return "open"
        if self.late_allowed and now < self.late_until.for_day(day):
            return "late"
        return "closed"

    def cancellable(self, day: date, now: datetime) -> bool:
        """False once the cancellation deadline passed ("cadenas")."""
        return now < self.cancellation.for_day(day)
