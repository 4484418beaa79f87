"""The calendar's month: a month with a date around it, or a 422 naming `month` (year 0 and
9999-12 gave 500s: found by the schemathesis run, tests/fuzz)."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from booking.schemas import CalendarQuery


@pytest.mark.parametrize("month", ["0000-01", "9999-12", "1899-12", "2026-13", "2026-1"])
def test_a_month_without_a_calendar_is_refused(month):
    with pytest.raises(ValidationError) as refused:
        CalendarQuery().load({"month": month})
    assert "month" in refused.value.messages


def test_a_month_reads_as_its_first_day():
    schema = CalendarQuery()
    assert schema.month_start(schema.load({"month": "2099-12"})) == date(2099, 12, 1)
