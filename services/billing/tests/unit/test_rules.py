"""What a postpaid campaign bills: from bookings, or from attendance with per-activity rules."""

from __future__ import annotations

import pytest

from billing.domain.rules import AttendanceRules, DayFacts, verdict

DEFAULT = AttendanceRules()


@pytest.mark.parametrize(
    ("facts", "bill", "warning"),
    [
        (DayFacts("booked", attendance="present"), True, None),
        (DayFacts("booked", attendance="absent"), True, None),
        (DayFacts("booked", attendance="absent_justified"), False, None),
        (DayFacts("booked", attendance="absent", justified=True), False, None),
        (DayFacts("unexpected", attendance="present"), True, None),
        (DayFacts("booked"), False, "attendance-missing"),
        (DayFacts("cancelled"), False, None),
        (DayFacts("cancelled", charged_cancel=True), True, None),
    ],
)
def test_from_attendance_with_the_default_rules(facts, bill, warning):
    result = verdict("attendance", DEFAULT, facts)
    assert (result.bill, result.warning) == (bill, warning)


def test_each_rule_is_configurable():
    rules = AttendanceRules(present=False, absent=False, absent_justified=True, unexpected=False)
    assert not verdict("attendance", rules, DayFacts("booked", attendance="present")).bill
    assert not verdict("attendance", rules, DayFacts("booked", attendance="absent")).bill
    assert verdict("attendance", rules, DayFacts("booked", attendance="absent_justified")).bill
    assert not verdict("attendance", rules, DayFacts("unexpected", attendance="present")).bill


def test_from_bookings_every_booked_day_unless_justified():
    assert verdict("bookings", DEFAULT, DayFacts("booked")).bill
    assert verdict("bookings", DEFAULT, DayFacts("booked", attendance="absent")).bill
    assert not verdict("bookings", DEFAULT, DayFacts("booked", justified=True)).bill
    assert not verdict("bookings", DEFAULT, DayFacts("cancelled")).bill
    assert verdict("bookings", DEFAULT, DayFacts("cancelled", charged_cancel=True)).bill
