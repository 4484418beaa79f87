"""Deadline nudges (issue 18): who is due a week reminder, which open basket a reminder, in
Europe/Paris."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, time

from booking.domain.activity import Activity
from booking.domain.days import Opening
from booking.domain.deadlines import PARIS, Deadline, Deadlines
from booking.domain.reminders import (
    BasketLine,
    Enrolled,
    basket_deadline,
    next_week,
    reminds,
    urgent,
    week_key,
    week_reminder,
    week_reminders,
)
from booking.domain.rules import Eligibility

HOUSEHOLD = uuid.UUID("00000000-0000-0000-0000-00000000000a")
OTHER = uuid.UUID("00000000-0000-0000-0000-00000000000b")
TWO_DAYS = Deadline(2, time(23, 59))  # Monday 7 September closes on Saturday 5 at 23:59
THURSDAY_NOON = Deadline(weekday=4, at=time(12, 0))  # next week closes on Thursday noon


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def activity(
    name: str = "Accueil du soir",
    type: str = "PERI",
    booking: Deadline = TWO_DAYS,
    weekdays: tuple[int, ...] = (1, 2, 4, 5),
    **extra: object,
) -> Activity:
    return Activity(
        id=uuid.uuid4(),
        name=name,
        type=type,
        site="École du Centre",
        opening=Opening(date(2026, 9, 1), date(2026, 12, 18), frozenset(weekdays)),
        deadlines=Deadlines(booking=booking, cancellation=Deadline(1, time(12, 0))),
        eligibility=Eligibility(None, None, None),
        requires_approval=False,
        capacity=20,
        **extra,  # type: ignore[arg-type]
    )


def test_next_week_is_monday_to_friday_of_the_following_paris_week():
    assert next_week(paris(2026, 9, 3, 10, 0)) == (date(2026, 9, 7), date(2026, 9, 11))
    assert next_week(paris(2026, 9, 6, 23, 30)) == (date(2026, 9, 7), date(2026, 9, 11))
    # 22:30 UTC on Sunday is already Monday in Paris: "next week" is the one after.
    assert next_week(datetime(2026, 9, 6, 22, 30, tzinfo=UTC)) == (
        date(2026, 9, 14),
        date(2026, 9, 18),
    )


def test_a_household_that_booked_nothing_is_due_when_the_first_deadline_is_near():
    peri = activity()
    enrolled = [Enrolled(HOUSEHOLD, peri)]
    # Thursday 10:00: Monday's deadline (Saturday 23:59) is 61 h 59 away: not yet.
    assert week_reminder(HOUSEHOLD, enrolled, paris(2026, 9, 3, 10, 0), 48) is None
    # Friday 10:00: 37 h 59 away: due, with every day of next week still open.
    reminder = week_reminder(HOUSEHOLD, enrolled, paris(2026, 9, 4, 10, 0), 48)
    assert reminder is not None
    assert (reminder.week_from, reminder.week_to) == (date(2026, 9, 7), date(2026, 9, 11))
    assert reminder.deadline == paris(2026, 9, 5, 23, 59)
    assert [day for day, _ in reminder.days] == [
        date(2026, 9, 7),
        date(2026, 9, 8),
        date(2026, 9, 10),
        date(2026, 9, 11),
    ]
    assert {name for _, name in reminder.days} == {"Accueil du soir"}
    payload = reminder.payload()
    assert payload["household_id"] == HOUSEHOLD and payload["deadline"] == reminder.deadline
    assert payload["days"][0] == {"date": date(2026, 9, 7), "activity_name": "Accueil du soir"}
    assert week_key(HOUSEHOLD, reminder.week_from) == f"{HOUSEHOLD}:2026-09-07"


def test_the_deadline_is_the_earliest_of_the_days_still_open():
    # Sunday 6 September 10:00: Monday's deadline has passed, Tuesday's (Sunday 23:59) has
    # not: the reminder names Tuesday's and lists only the days still open.
    reminder = week_reminder(
        HOUSEHOLD, [Enrolled(HOUSEHOLD, activity())], paris(2026, 9, 6, 10, 0), 48
    )
    assert reminder is not None
    assert reminder.deadline == paris(2026, 9, 6, 23, 59)
    assert reminder.days[0][0] == date(2026, 9, 8)
    assert date(2026, 9, 7) not in [day for day, _ in reminder.days]
    # Once every day closed, nothing to remind.
    late = paris(2026, 9, 9, 23, 59)
    assert week_reminder(HOUSEHOLD, [Enrolled(HOUSEHOLD, activity())], late, 48) is None


def test_the_weekly_rule_closes_the_whole_week_at_once():
    cantine = activity("Cantine", "CANTINE", THURSDAY_NOON, (1, 2, 4, 5))
    enrolled = [Enrolled(HOUSEHOLD, cantine)]
    reminder = week_reminder(HOUSEHOLD, enrolled, paris(2026, 9, 2, 12, 0), 48)
    assert reminder is not None and reminder.deadline == paris(2026, 9, 3, 12, 0)
    assert len(reminder.days) == 4
    # The deadline itself: passed, closed.
    assert week_reminder(HOUSEHOLD, enrolled, paris(2026, 9, 3, 12, 0), 48) is None


def test_a_day_booked_or_waited_for_means_no_reminder():
    peri, cantine = activity(), activity("Cantine", "CANTINE")
    now = paris(2026, 9, 4, 10, 0)
    booked = [
        Enrolled(HOUSEHOLD, peri, frozenset({date(2026, 9, 10)})),
        Enrolled(HOUSEHOLD, cantine),
    ]
    assert week_reminder(HOUSEHOLD, booked, now, 48) is None
    # A booking outside next week's days of interest does not count (a Wednesday: PERI is
    # closed on Wednesdays; the week after).
    elsewhere = [Enrolled(HOUSEHOLD, peri, frozenset({date(2026, 9, 9), date(2026, 9, 14)}))]
    assert week_reminder(HOUSEHOLD, elsewhere, now, 48) is not None


def test_only_school_day_activities_booked_day_by_day_and_open():
    now = paris(2026, 9, 4, 10, 0)
    for quiet in (
        activity("Centre de loisirs", "VACANCES"),
        activity(booking_mode="schedule"),
        activity(closed=True),
    ):
        assert not reminds(quiet)
        assert week_reminder(HOUSEHOLD, [Enrolled(HOUSEHOLD, quiet)], now, 48) is None
    for kind in ("CANTINE", "PERI", "ETUDE", "MERCREDI"):
        assert reminds(activity(type=kind, weekdays=(1, 2, 3, 4, 5)))


def test_an_activity_closed_all_next_week_gives_nothing():
    # Open from 14 September only.
    later = activity()
    later = replace(later, opening=replace(later.opening, period_from=date(2026, 9, 14)))
    now = paris(2026, 9, 4, 10, 0)
    assert week_reminder(HOUSEHOLD, [Enrolled(HOUSEHOLD, later)], now, 48) is None
    assert not urgent(later, now, 48)


def test_urgent_activities_have_a_day_next_week_closing_within_the_hours():
    peri = activity()
    assert not urgent(peri, paris(2026, 9, 3, 10, 0), 48)
    assert urgent(peri, paris(2026, 9, 4, 10, 0), 48)
    assert urgent(peri, paris(2026, 9, 3, 10, 0), 72)


def test_several_households_each_their_own_reminder():
    peri, cantine = activity(), activity("Cantine", "CANTINE", THURSDAY_NOON)
    now = paris(2026, 9, 3, 10, 0)
    enrolled = [
        Enrolled(OTHER, peri),  # its deadline (Saturday) is 61 h away: not yet
        Enrolled(HOUSEHOLD, peri),
        Enrolled(HOUSEHOLD, cantine),  # Thursday noon: 2 h away
    ]
    (reminder,) = week_reminders(enrolled, now, 48)
    assert reminder.household_id == HOUSEHOLD
    assert reminder.deadline == paris(2026, 9, 3, 12, 0)
    # Both activities' days, by day then activity.
    assert reminder.days[:2] == (
        (date(2026, 9, 7), "Accueil du soir"),
        (date(2026, 9, 7), "Cantine"),
    )


def test_a_basket_is_reminded_before_its_first_day_closes():
    created = paris(2026, 9, 4, 9, 0)
    lines = [BasketLine(date(2026, 9, 8), TWO_DAYS), BasketLine(date(2026, 9, 7), TWO_DAYS)]
    # Saturday 5 at 10:00: created long ago, Monday's deadline 13 h 59 away.
    assert basket_deadline(created, lines, paris(2026, 9, 5, 10, 0), 24) == paris(
        2026, 9, 5, 23, 59
    )
    # Being filled right now (less than an hour): not yet.
    assert basket_deadline(paris(2026, 9, 5, 9, 30), lines, paris(2026, 9, 5, 10, 0), 24) is None
    # Too early: Friday 10:00, 37 h 59 away.
    assert basket_deadline(created, lines, paris(2026, 9, 4, 10, 0), 24) is None
    # Monday's passed: Tuesday's (Sunday 23:59) is the one left.
    assert basket_deadline(created, lines, paris(2026, 9, 6, 10, 0), 24) == paris(
        2026, 9, 6, 23, 59
    )
    # Every day passed: nothing left to validate.
    assert basket_deadline(created, lines, paris(2026, 9, 7, 0, 0), 24) is None
    assert basket_deadline(created, [], paris(2026, 9, 5, 10, 0), 24) is None
