"""Eligibility of a child, whether it may book a day (`may_book`, shared by the basket's
validation and the calendar), the state of one calendar day (the legend of guide 003), and who
of the waiting list takes a freed place (`promotions`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from booking.domain.days import Opening, Rhythm, expand
from booking.domain.deadlines import PARIS, Deadlines
from shared.french import day_month_year

# Exactly the legend of the calendar [003], plus the three states of days that are not
# offered: no activity, past the booking deadline ("sens interdit" of guide 002), not eligible.
BOOKED_CANCELLABLE = "booked_cancellable"  # Enfant inscrit, possibilité d'annuler au besoin
BOOKED_LOCKED = "booked_locked"  # Enfant inscrit, annulation impossible (cadenas)
BOOKABLE = "bookable"  # Vous pouvez réserver
LATE = "late"  # Oups ! Hors délais, l'inscription sera majorée
CANCELLED = "cancelled"  # Inscription annulée, pas de majoration
FULL = "full"  # Inscriptions complètes
WAITING_LIST = "waiting_list"  # Inscription sur la liste d'attente de l'activité
PENDING_VALIDATION = "pending_validation"  # soumise à validation par un agent
CLOSED = "closed"  # no activity that day
PAST_DEADLINE = "deadline_passed"  # the activity runs, its booking deadline passed (sens interdit)
NOT_ELIGIBLE = "not_eligible"  # age/grade, or no accepted enrollment
# The fair opening (issue 18): a day whose places go to an opening window's draw (not
# bookable first come), and a waiting day whose freed place is offered to the family.
DRAW_PENDING = "window_pending"  # = WINDOW_PENDING, the basket's refusal of such a day
OFFERED = "offered"
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
    PAST_DEADLINE,
    NOT_ELIGIBLE,
    DRAW_PENDING,
    OFFERED,
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


# Why a child may not book a day (a basket line's refusal reason), in the one order they are
# checked in (`may_book`).
CLOSED_DAY = "closed_day"
NOT_ENROLLED = "not_enrolled"
PENDING_ENROLLMENT = "pending_enrollment"
NOT_ELIGIBLE_THAT_DAY = "not_eligible"
DEADLINE_PASSED = "deadline_passed"


@dataclass(frozen=True)
class Verdict:
    """May this child book this day? `refusal` None: yes, `late` (with a surcharge) or not;
    otherwise the reason, and for eligibility the French `detail` (age, grade)."""

    refusal: str | None = None
    detail: str | None = None
    late: bool = False


ALLOWED, ALLOWED_LATE = Verdict(), Verdict(late=True)


def may_book(
    opening: Opening,
    deadlines: Deadlines,
    day: date,
    enrollment_status: str | None,
    ineligibility: str | None,
    now: datetime,
    runs: bool | None = None,
) -> Verdict:
    """The one decision "may this child book this day", shared by the basket's validation
    and the calendar: the activity runs that day, the child's enrollment is accepted, the
    child is eligible that day (`ineligibility`: why not, from `Eligibility.refusal`), the
    booking deadline has not passed (late booking, when allowed, is a yes with `late`).
    Whether a place is left is decided where places are taken. `runs`, when known, is
    whether the activity has that opening day (its day row): the rules of an activity
    changed later say nothing of the days before the change."""
    if not (opening.is_open(day) if runs is None else runs):
        return Verdict(CLOSED_DAY)
    if enrollment_status == "pending":
        return Verdict(PENDING_ENROLLMENT)
    if enrollment_status != "approved":
        return Verdict(NOT_ENROLLED)
    if ineligibility is not None:
        return Verdict(NOT_ELIGIBLE_THAT_DAY, ineligibility)
    window = deadlines.booking_window(day, now)
    if window == "closed":
        return Verdict(DEADLINE_PASSED)
    return ALLOWED_LATE if window == "late" else ALLOWED


@dataclass(frozen=True)
class DayFacts:
    """What is known of one day for one child and activity."""

    day: date
    booking_status: str | None  # booked / waiting / cancelled (latest), None
    enrollment_status: str | None  # approved / pending / rejected, None
    eligible: bool
    booked: int
    capacity: int
    draw_pending: bool = False  # covered by an opening window not allocated yet
    # Covered by an allocated window that keeps first come off its remaining places.
    draw_closed: bool = False
    offered: bool = False  # waiting, with an open offer of a freed place
    # Whether the activity has this opening day (its day row), None: from its rules. An
    # edit changes the rules for the days after it only (issue 16), so a day before it
    # keeps the state its day row gives, whatever the rules say now.
    runs: bool | None = None


def day_state(opening: Opening, deadlines: Deadlines, facts: DayFacts, now: datetime) -> str:
    """The day's state in the calendar's legend: the child's booking when it has one, else
    what `may_book` says, a cancelled day showing as such unless the day is closed or the
    enrollment awaits staff."""
    day = facts.day
    if facts.booking_status == "booked":
        return BOOKED_CANCELLABLE if deadlines.cancellable(day, now) else BOOKED_LOCKED
    if facts.booking_status == "waiting":
        return OFFERED if facts.offered else WAITING_LIST
    verdict = may_book(
        opening,
        deadlines,
        day,
        facts.enrollment_status,
        None if facts.eligible else NOT_ELIGIBLE_THAT_DAY,
        now,
        facts.runs,
    )
    if verdict.refusal == CLOSED_DAY:
        return CLOSED
    if verdict.refusal == PENDING_ENROLLMENT:
        return PENDING_VALIDATION
    if facts.booking_status == "cancelled":
        return CANCELLED
    if verdict.refusal in (NOT_ENROLLED, NOT_ELIGIBLE_THAT_DAY):
        return NOT_ELIGIBLE
    if facts.draw_pending:
        return DRAW_PENDING  # its places go to the draw, whatever the deadline or counters
    if facts.draw_closed:
        return PAST_DEADLINE  # booking is closed for the day, as after its deadline
    if verdict.refusal == DEADLINE_PASSED:
        return PAST_DEADLINE
    if facts.booked >= facts.capacity:
        return FULL
    return LATE if verdict.late else BOOKABLE


def promotions(
    waiting: Sequence[Mapping[str, Any]], free: int, eligibility: Eligibility, day: date
) -> list[Mapping[str, Any]]:
    """The one waiting-list rule: who takes a day's `free` places. The first children of the
    waiting list (in arrival order) who are still enrolled (accepted) and eligible that day;
    the others keep their rank."""
    chosen: list[Mapping[str, Any]] = []
    for child in waiting:
        if len(chosen) >= free:
            break
        if child["enrollment_status"] != "approved":
            continue
        if eligibility.refusal(child["birth_date"], child["grade"], day) is not None:
            continue
        chosen.append(child)
    return chosen


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


# --- opening windows (issue 18) -------------------------------------------------------------
WINDOW_PENDING = "window_pending"  # the day's places go to the window's allocation
WINDOW_CLOSED = "window_closed"  # allocated, and the town keeps the rest off first come


def window_refusal(status: str | None, closes_at: datetime | None) -> Verdict | None:
    """A day covered by an opening window is not bookable first come until the window is
    allocated, and after it only when the window lets first come take the remaining places
    (the basket's facts carry such a window only then: `status` None when none blocks)."""
    if status is None:
        return None
    if status == "allocated" or closes_at is None:
        return Verdict(WINDOW_CLOSED, "Les inscriptions à ces journées sont closes.")
    local = closes_at.astimezone(PARIS)
    when = f"{day_month_year(local.date())} à {local:%H:%M}"
    return Verdict(
        WINDOW_PENDING,
        "Les places de ce jour seront attribuées au tirage au sort à la clôture des"
        f" demandes, le {when}.",
    )
