"""Eligibility of a child and the state of one calendar day (the legend of guide 003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from booking.domain.days import Opening, Rhythm, expand
from booking.domain.deadlines import PARIS, Deadlines

# Exactly the legend of the calendar [003], plus the two states of days that are not offered.
BOOKED_CANCELLABLE = "booked_cancellable"  # Enfant inscrit, possibilité d'annuler au besoin
BOOKED_LOCKED = "booked_locked"  # Enfant inscrit, annulation impossible (cadenas)
BOOKABLE = "bookable"  # Vous pouvez réserver
LATE = "late"  # Oups ! Hors délais, l'inscription sera majorée
CANCELLED = "cancelled"  # Inscription annulée, pas de majoration
FULL = "full"  # Inscriptions complètes
WAITING_LIST = "waiting_list"  # Inscription sur la liste d'attente de l'activité
PENDING_VALIDATION = "pending_validation"  # soumise à validation par un agent
CLOSED = "closed"  # no activity that day, or booking closed (sens interdit)
NOT_ELIGIBLE = "not_eligible"  # age/grade, or no accepted enrollment
STATES = (
    BOOKED_CANCELLABLE,
    BOOKED_LOCKED,
    BOOKABLE,
    LATE,
    CANCELLED,
    FULL,
    WAITING_LIST,
    PENDING_VALIDATION,
    CLOSED,
    NOT_ELIGIBLE,
)


@dataclass(frozen=True)
class Eligibility:
    min_age: int | None = None  # years completed on the day
    max_age: int | None = None
    grades: frozenset[str] | None = None  # None: any grade

    def refusal(self, birth_date: date, grade: str | None, day: date) -> str | None:
        """None when eligible on `day`, else the French reason."""
        age = age_on(birth_date, day)
        if self.min_age is not None and age < self.min_age:
            return (
                "Votre enfant est trop jeune pour cette activité "
                f"(âge minimum : {self.min_age} ans)."
            )
        if self.max_age is not None and age > self.max_age:
            return (
                "Votre enfant a dépassé l'âge de cette activité "
                f"(âge maximum : {self.max_age} ans)."
            )
        if self.grades is not None and (grade or "") not in self.grades:
            allowed = ", ".join(sorted(self.grades))
            return f"Cette activité est réservée aux classes suivantes : {allowed}."
        return None

    def refusal_for_period(
        self, birth_date: date, grade: str | None, start: date, end: date
    ) -> str | None:
        """Eligible for an enrollment when eligible on at least one day of the period."""
        if self.grades is not None and (grade or "") not in self.grades:
            return Eligibility(grades=self.grades).refusal(birth_date, grade, start)
        first = self.refusal(birth_date, grade, start)
        if first is None or self.refusal(birth_date, grade, end) is None:
            return None
        # too young at the start and too old at the end: some day in between fits
        if (
            self.min_age is not None
            and self.max_age is not None
            and age_on(birth_date, start) < self.min_age
            and age_on(birth_date, end) > self.max_age
        ):
            return None
        return first


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True)
class DayFacts:
    """What is known of one day for one child and activity."""

    day: date
    booking_status: str | None  # booked / waiting / cancelled (latest), None
    enrollment_status: str | None  # approved / pending / rejected, None
    eligible: bool
    booked: int
    capacity: int


def day_state(opening: Opening, deadlines: Deadlines, facts: DayFacts, now: datetime) -> str:
    day = facts.day
    if facts.booking_status == "booked":
        return BOOKED_CANCELLABLE if deadlines.cancellable(day, now) else BOOKED_LOCKED
    if facts.booking_status == "waiting":
        return WAITING_LIST
    if not opening.is_open(day):
        return CLOSED
    if facts.enrollment_status == "pending":
        return PENDING_VALIDATION
    if facts.booking_status == "cancelled":
        return CANCELLED
    if facts.enrollment_status != "approved" or not facts.eligible:
        return NOT_ELIGIBLE
    window = deadlines.booking_window(day, now)
    if window == "closed":
        return CLOSED
    if facts.booked >= facts.capacity:
        return FULL
    return LATE if window == "late" else BOOKABLE


def scheduled_days(
    opening: Opening,
    deadlines: Deadlines,
    weekdays: frozenset[int] | None,
    every_n_weeks: int,
    now: datetime,
) -> list[date]:
    """The days a fixed schedule books when its enrollment is approved at `now`: the opening
    days of the period on those weekdays (None: every opening day), one week in N counted
    from the period's first week, from today on and only while booking is still open (a day
    past its booking deadline, even one bookable late, is left for the family to book)."""
    today = now.astimezone(PARIS).date()
    rhythm = Rhythm(weekdays=weekdays, every_n_weeks=every_n_weeks)
    return [
        day
        for day in expand(rhythm, opening)
        if day >= today and deadlines.booking_window(day, now) == "open"
    ]
