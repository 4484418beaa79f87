from datetime import date

from booking.domain.days import (
    Opening,
    Rhythm,
    expand,
    public_holidays,
    school_holidays,
    working_days_before,
)

SCHOOL = Opening(
    date(2026, 9, 1),
    date(2027, 7, 3),
    frozenset({1, 2, 4, 5}),
    frozenset({date(2026, 10, 19), date(2026, 10, 20)}),
)


def test_public_holidays_come_from_the_holidays_package():
    holidays = public_holidays(2027)
    assert date(2027, 3, 29) in holidays  # lundi de Pâques
    assert date(2027, 5, 6) in holidays  # Ascension
    assert date(2027, 5, 17) in holidays  # Pentecôte
    assert len(holidays) == 11


def test_opening_days_skip_weekends_wednesdays_holidays_and_closures():
    assert SCHOOL.is_open(date(2026, 9, 1))
    assert not SCHOOL.is_open(date(2026, 9, 2))  # Wednesday
    assert not SCHOOL.is_open(date(2026, 11, 11))  # armistice (a Wednesday anyway)
    assert not SCHOOL.is_open(date(2026, 10, 19))  # closed by hand
    assert not SCHOOL.is_open(date(2027, 3, 29))  # Easter Monday
    assert not SCHOOL.is_open(date(2027, 7, 5))  # after the period


def test_rhythm_one_week_in_two_skips_holidays_silently():
    days = expand(
        Rhythm(
            date_from=date(2026, 10, 12),
            date_to=date(2026, 11, 13),
            weekdays=frozenset({1, 4}),
            every_n_weeks=2,
        ),
        SCHOOL,
    )
    # weeks of 12/10, 26/10, 9/11; 19/10 and 20/10 are closed but are in off weeks anyway
    assert days == [
        date(2026, 10, 12),
        date(2026, 10, 15),
        date(2026, 10, 26),
        date(2026, 10, 29),
        date(2026, 11, 9),
        date(2026, 11, 12),
    ]


def test_range_without_weekdays_takes_every_opening_day():
    days = expand(Rhythm(date_from=date(2026, 10, 16), date_to=date(2026, 10, 23)), SCHOOL)
    assert days == [date(2026, 10, 16), date(2026, 10, 22), date(2026, 10, 23)]


def test_explicit_dates_are_kept_even_when_closed():
    assert expand(Rhythm(dates=(date(2026, 9, 2), date(2026, 9, 1))), SCHOOL) == [
        date(2026, 9, 1),
        date(2026, 9, 2),
    ]


def test_whole_period_rhythm():
    days = expand(Rhythm(weekdays=frozenset({5})), SCHOOL)
    assert days[0] == date(2026, 9, 4) and days[-1] == date(2027, 7, 2)
    assert date(2026, 12, 25) not in days


def test_working_days_before_skip_weekend_and_holidays():
    assert working_days_before(date(2026, 11, 16), 2) == date(2026, 11, 12)  # Mon → Thu
    assert working_days_before(date(2026, 11, 12), 1) == date(2026, 11, 10)  # 11/11 holiday


# A school-time activity of zone A, every weekday but Wednesday, with extra days by hand.
PERI_A = Opening(
    date(2026, 9, 1),
    date(2027, 7, 3),
    frozenset({1, 2, 4, 5}),
    frozenset({date(2026, 11, 13)}),
    school_zone="A",
    extra_dates=frozenset({date(2026, 10, 21), date(2026, 10, 30), date(2026, 11, 13)}),
)


def test_school_holidays_of_a_zone():
    toussaint = school_holidays("A", date(2026, 10, 1), date(2026, 11, 30))
    assert min(toussaint) == date(2026, 10, 17) and max(toussaint) == date(2026, 11, 1)
    assert school_holidays(None, date(2026, 10, 1), date(2026, 11, 30)) == frozenset()
    # beyond the published calendar: nothing is known, nothing is closed
    assert school_holidays("A", date(2040, 1, 1), date(2040, 12, 31)) == frozenset()


def test_recurrence_across_toussaint_2026_zone_a():
    days = expand(
        Rhythm(
            date_from=date(2026, 10, 12), date_to=date(2026, 11, 13), weekdays=frozenset({1, 4})
        ),
        PERI_A,
    )
    # Toussaint (zone A) from Saturday 17/10 to Sunday 1/11: Mondays and Thursdays of the two
    # holiday weeks are skipped; the extra 30/10 is a Friday, not asked for.
    assert days == [
        date(2026, 10, 12),
        date(2026, 10, 15),
        date(2026, 11, 2),
        date(2026, 11, 5),
        date(2026, 11, 9),
        date(2026, 11, 12),
    ]
    everyday = expand(Rhythm(date_from=date(2026, 10, 16), date_to=date(2026, 11, 3)), PERI_A)
    # extra days opened by hand in the holidays (even a Wednesday) are kept
    assert everyday == [
        date(2026, 10, 16),
        date(2026, 10, 21),
        date(2026, 10, 30),
        date(2026, 11, 2),
        date(2026, 11, 3),
    ]
    assert not PERI_A.is_open(date(2026, 11, 13))  # closed by hand wins over an extra day
    assert not PERI_A.is_open(date(2026, 12, 21))  # Christmas holidays
    # winter holidays differ by zone: Monday 8/2/2027 is a holiday in zone C only
    zone_c = Opening(PERI_A.period_from, PERI_A.period_to, PERI_A.weekdays, school_zone="C")
    assert PERI_A.is_open(date(2027, 2, 8)) and not zone_c.is_open(date(2027, 2, 8))


def test_scheduled_days_from_now_on_while_booking_is_open() -> None:
    from datetime import datetime, time

    from booking.domain.deadlines import PARIS, Deadline, Deadlines
    from booking.domain.rules import scheduled_days

    opening = Opening(date(2026, 11, 2), date(2026, 11, 27), frozenset({1, 3}))
    deadlines = Deadlines(Deadline(2, time(23, 59)), Deadline(1, time(12, 0)), late_allowed=True)
    now = datetime(2026, 11, 3, 10, 0, tzinfo=PARIS)
    # Wed 4 (late only) skipped, Wed 11 Armistice; one week in two from the week of 2/11.
    assert scheduled_days(opening, deadlines, None, 1, now) == [
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 18),
        date(2026, 11, 23),
        date(2026, 11, 25),
    ]
    assert scheduled_days(opening, deadlines, frozenset({1}), 2, now) == [
        date(2026, 11, 16),
    ]
