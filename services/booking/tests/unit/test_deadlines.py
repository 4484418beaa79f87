from datetime import UTC, date, datetime, time, timedelta

from booking.domain.days import Opening
from booking.domain.deadlines import PARIS, Deadline, Deadlines
from booking.domain.rules import DayFacts, Eligibility, age_on, day_state

RULES = Deadlines(
    booking=Deadline(2, time(23, 59)),
    cancellation=Deadline(1, time(12, 0)),
    late_allowed=True,
    late_until=Deadline(0, time(0, 0)),
)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def test_booking_closes_at_local_time_around_midnight():
    day = date(2026, 10, 14)
    assert RULES.booking.for_day(day) == paris(2026, 10, 12, 23, 59)
    assert RULES.booking_window(day, paris(2026, 10, 12, 23, 58, 59)) == "open"
    assert RULES.booking_window(day, paris(2026, 10, 12, 23, 59)) == "late"
    assert RULES.booking_window(day, paris(2026, 10, 13, 23, 59, 59)) == "late"
    assert RULES.booking_window(day, paris(2026, 10, 14, 0, 0)) == "closed"
    strict = Deadlines(booking=RULES.booking, cancellation=RULES.cancellation)
    assert strict.booking_window(day, paris(2026, 10, 12, 23, 59)) == "closed"


def test_deadlines_follow_the_daylight_saving_change():
    # 25 October 2026: clocks go back at 03:00 CEST → 02:00 CET.
    day = date(2026, 10, 26)
    cancel = RULES.cancellation.for_day(day)  # 25/10 at noon, CET (UTC+1)
    assert cancel.astimezone(UTC) == datetime(2026, 10, 25, 11, 0, tzinfo=UTC)
    summer = RULES.cancellation.for_day(date(2026, 10, 25))  # 24/10 at noon, CEST (UTC+2)
    assert summer.astimezone(UTC) == datetime(2026, 10, 24, 10, 0, tzinfo=UTC)
    assert RULES.cancellable(day, datetime(2026, 10, 25, 10, 59, tzinfo=UTC))
    assert not RULES.cancellable(day, datetime(2026, 10, 25, 11, 0, tzinfo=UTC))
    # 29 March 2026: clocks go forward; a 02:30 deadline does not exist that night and falls
    # at 03:30 CEST (01:30 UTC), one real hour after 01:30 CET.
    gap = Deadline(0, time(2, 30)).for_day(date(2026, 3, 29))
    assert gap.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_working_day_rule():
    rule = Deadline(2, time(12, 0), working_days=True)
    assert rule.for_day(date(2026, 11, 16)) == paris(2026, 11, 12, 12, 0)


def test_eligibility_by_age_on_the_day_and_grade():
    rule = Eligibility(min_age=3, max_age=11, grades=frozenset({"CP", "CE1"}))
    born = date(2023, 10, 10)
    assert age_on(born, date(2026, 10, 9)) == 2 and age_on(born, date(2026, 10, 10)) == 3
    assert "trop jeune" in rule.refusal(born, "CP", date(2026, 10, 9))
    assert rule.refusal(born, "CP", date(2026, 10, 10)) is None
    assert "classes" in rule.refusal(born, "CM2", date(2026, 10, 10))
    assert rule.refusal_for_period(born, "CP", date(2026, 9, 1), date(2027, 7, 1)) is None
    assert rule.refusal_for_period(born, "CP", date(2026, 9, 1), date(2026, 9, 30))


OPEN = Opening(date(2026, 9, 1), date(2026, 12, 18), frozenset({1, 2, 4, 5}))


def state(now: datetime, day: date = date(2026, 10, 15), **facts) -> str:
    base = dict(
        day=day,
        booking_status=None,
        enrollment_status="approved",
        eligible=True,
        booked=0,
        capacity=10,
    )
    return day_state(OPEN, RULES, DayFacts(**{**base, **facts}), now)


def test_every_state_of_the_legend():
    early = paris(2026, 10, 1, 9)
    late = paris(2026, 10, 14, 9)
    locked = paris(2026, 10, 14, 13)
    assert state(early, booking_status="booked") == "booked_cancellable"
    assert state(locked, booking_status="booked") == "booked_locked"
    assert state(early) == "bookable"
    assert state(late) == "late"
    assert state(early, booking_status="cancelled") == "cancelled"
    assert state(early, booked=10) == "full"
    assert state(early, booking_status="waiting") == "waiting_list"
    assert state(early, enrollment_status="pending") == "pending_validation"
    assert state(early, day=date(2026, 10, 14)) == "closed"  # Wednesday: no activity
    too_late = paris(2026, 10, 15, 0, 0) + timedelta(seconds=1)
    assert state(too_late) == "deadline_passed"  # the activity runs: "sens interdit"
    assert state(too_late, day=date(2026, 10, 14)) == "closed"  # no activity stays closed
    assert state(too_late, booking_status="cancelled") == "cancelled"
    assert state(too_late, eligible=False) == "not_eligible"
    assert state(early, eligible=False) == "not_eligible"
    assert state(early, enrollment_status=None) == "not_eligible"


def test_the_fair_opening_states():
    """A day an opening window not yet allocated covers is the draw's, not bookable (even
    full or past its deadline); a waiting day with an open offer is « offered »."""
    early = paris(2026, 10, 1, 9)
    too_late = paris(2026, 10, 15, 0, 0) + timedelta(seconds=1)
    assert state(early, draw_pending=True) == "window_pending"
    assert state(early, draw_pending=True, booked=10) == "window_pending"
    assert state(too_late, draw_pending=True) == "window_pending"
    # The child's own booking, its enrollment and the closed days still come first.
    assert state(early, draw_pending=True, booking_status="booked") == "booked_cancellable"
    assert state(early, draw_pending=True, enrollment_status=None) == "not_eligible"
    assert state(early, draw_pending=True, day=date(2026, 10, 14)) == "closed"
    assert state(early, booking_status="waiting", offered=True) == "offered"
    assert state(early, booking_status="booked", offered=True) == "booked_cancellable"
    # After a draw that keeps first come off the remaining places: closed, as past deadline.
    assert state(early, draw_closed=True) == "deadline_passed"
    assert state(early, draw_closed=True, booking_status="booked") == "booked_cancellable"
    assert state(early, draw_closed=True, booking_status="waiting") == "waiting_list"


def test_a_day_s_row_decides_whether_the_activity_ran_when_known():
    """After an edit of the opening rules (for the days after it), the day rows say what
    ran: a past Wednesday that had its row is past its deadline, not without activity; a
    past Thursday whose row the rules never made is without activity."""
    too_late = paris(2026, 10, 15, 0, 0) + timedelta(seconds=1)
    wednesday, thursday = date(2026, 10, 14), date(2026, 10, 15)
    assert state(too_late, day=wednesday, runs=True) == "deadline_passed"
    assert state(too_late, day=thursday, runs=False) == "closed"
    assert state(too_late, day=thursday, runs=False, booking_status="cancelled") == "closed"
    assert state(too_late, day=thursday, runs=None) == "deadline_passed"  # by the rules


THURSDAY_NOON = Deadline(at=time(12, 0), weekday=4)  # "jeudi midi pour la semaine suivante"


def test_weekly_rule_closes_the_whole_next_week_on_thursday_noon():
    # Every day of the week of Monday 16/11/2026, Sunday included, closes on Thursday 12/11.
    for day in (date(2026, 11, 16), date(2026, 11, 20), date(2026, 11, 22)):
        assert THURSDAY_NOON.for_day(day) == paris(2026, 11, 12, 12, 0)
    assert THURSDAY_NOON.for_day(date(2026, 11, 23)) == paris(2026, 11, 19, 12, 0)
    rules = Deadlines(booking=THURSDAY_NOON, cancellation=THURSDAY_NOON)
    day = date(2026, 11, 16)
    assert rules.booking_window(day, paris(2026, 11, 12, 11, 59)) == "open"
    assert rules.booking_window(day, paris(2026, 11, 12, 11, 59, 59, 999999)) == "open"
    assert rules.booking_window(day, paris(2026, 11, 12, 12, 0)) == "closed"
    assert rules.booking_window(day, paris(2026, 11, 12, 12, 1)) == "closed"
    # the week after is still open then
    assert rules.booking_window(date(2026, 11, 23), paris(2026, 11, 12, 12, 0)) == "open"
    assert THURSDAY_NOON.describe() == "le jeudi de la semaine précédente, à 12:00"


def test_weekly_rule_around_the_daylight_saving_changes():
    # Clocks go back on Sunday 25/10/2026: the week of 26/10 closes on Thursday 22/10 at
    # noon summer time (10:00 UTC), the week of 2/11 on 29/10 at noon winter time (11:00 UTC).
    assert THURSDAY_NOON.for_day(date(2026, 10, 26)).astimezone(UTC) == datetime(
        2026, 10, 22, 10, 0, tzinfo=UTC
    )
    nov = THURSDAY_NOON.for_day(date(2026, 11, 2))
    assert nov.astimezone(UTC) == datetime(2026, 10, 29, 11, 0, tzinfo=UTC)
    rules = Deadlines(booking=THURSDAY_NOON, cancellation=THURSDAY_NOON)
    assert rules.booking_window(date(2026, 11, 2), datetime(2026, 10, 29, 10, 59, tzinfo=UTC)) == (
        "open"
    )
    assert rules.booking_window(date(2026, 11, 2), datetime(2026, 10, 29, 11, 0, tzinfo=UTC)) == (
        "closed"
    )
    # Clocks go forward on Sunday 28/3/2027: "Sunday 02:30 of the week before" does not exist
    # that night and falls at 03:30 CEST (01:30 UTC); the Sunday before it is 01:30 UTC too
    # (02:30 CET).
    sunday = Deadline(at=time(2, 30), weekday=7)
    assert sunday.for_day(date(2027, 3, 29)).astimezone(UTC) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )
    assert sunday.for_day(date(2027, 3, 22)).astimezone(UTC) == datetime(
        2027, 3, 21, 1, 30, tzinfo=UTC
    )
    assert sunday.for_day(date(2027, 4, 5)).astimezone(UTC) == datetime(
        2027, 4, 4, 0, 30, tzinfo=UTC
    )
