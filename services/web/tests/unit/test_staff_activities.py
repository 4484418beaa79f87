"""The activities back-office's forms read safely: French dates, weekdays and deadlines
into booking's JSON, only the changed fields for an edit, prices in euros into cents, the
occupancy period kept within what booking serves."""

from __future__ import annotations

from datetime import date

import pytest

from web.domain import staff_activities as sa
from web.domain.billing import AmountError


def posted(**values: str) -> dict[str, str]:
    return {
        "name": "Accueil du soir",
        "type": "PERI",
        "site": "École du Centre",
        "period_from": "2026-09-01",
        "period_to": "18/12/2026",
        "capacity": "20",
        "booking_deadline_days": "2",
        "booking_deadline_at": "23h59",
        "cancel_deadline_days": "1",
        "cancel_deadline_at": "12:00",
        "cancel_deadline_working": "oui",
        "skip_public_holidays": "oui",
        **values,
    }


def test_the_form_becomes_bookings_json() -> None:
    typed, read = sa.read_form(posted(closed_dates="11/11/2026, 2026-10-30"), ["4", "1", "9"])
    assert read.errors == {}
    body = read.body
    assert body["period_from"] == "2026-09-01" and body["period_to"] == "2026-12-18"
    assert body["weekdays"] == [1, 4]  # 9 is no weekday
    assert body["closed_dates"] == ["2026-10-30", "2026-11-11"]
    assert body["booking_deadline"] == {"days_before": 2, "at": "23:59", "working_days": False}
    assert body["cancel_deadline"]["working_days"] is True
    assert body["late_deadline"] is None and body["school_time"] is None
    assert body["skip_public_holidays"] is True and body["requires_approval"] is False
    assert body["min_age"] is None and body["grades"] is None
    assert typed.weekdays == (1, 4)


def test_what_cannot_be_read_is_named() -> None:
    _, read = sa.read_form(
        posted(capacity="-3", period_to="31/02/2026", closed_dates="bientôt", type="X"), []
    )
    assert set(read.errors) == {"capacity", "period_to", "closed_dates", "type", "weekdays"}
    assert "« bientôt »" in read.errors["closed_dates"]
    _, read = sa.read_form(posted(booking_deadline_days="", booking_deadline_at=""), ["1"])
    assert "booking_deadline" in read.errors
    _, read = sa.read_form(posted(cancel_deadline_at="25:00"), ["1"])
    assert "HH:MM" in read.errors["cancel_deadline"]


def test_an_edit_sends_only_what_changed() -> None:
    current = {
        "name": "Accueil du soir",
        "type": "PERI",
        "site": "École du Centre",
        "period_from": "2026-09-01",
        "period_to": "2026-12-18",
        "weekdays": [4, 1],
        "closed_dates": [],
        "extra_dates": [],
        "skip_public_holidays": True,
        "school_time": True,
        "capacity": 20,
        "min_age": None,
        "max_age": None,
        "grades": None,
        "booking_deadline": {"days_before": 2, "at": "23:59", "working_days": False},
        "cancel_deadline": {"days_before": 1, "at": "12:00", "working_days": True},
        "late_allowed": False,
        "late_deadline": {"days_before": 0, "at": "00:00", "working_days": False},
        "requires_approval": False,
        "booking_mode": "free",
        "required_documents": [],
    }
    typed = sa.form_of(current)
    assert typed.values["period_to"] == "2026-12-18" and typed.weekdays == (1, 4)
    assert typed.values["late_deadline_days"] == ""  # no late booking: the rule is not shown
    _, read = sa.read_form(posted(school_time="oui"), ["1", "4"])
    assert sa.changes(read.body, current) == {}
    _, read = sa.read_form(posted(capacity="25", max_age="11", type="SPORT"), ["1", "4"])
    assert sa.changes(read.body, current) == {"capacity": 25, "max_age": 11}


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("4,50", 450), ("4.5", 450), ("12", 1200), ("1 250,00 €", 125000), ("0,05", 5)],
)
def test_prices_in_euros_become_cents(typed: str, cents: int) -> None:
    assert sa.parse_price(typed) == cents


@pytest.mark.parametrize("typed", ["", "4,505", "trois", "-2"])
def test_a_price_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(AmountError):
        sa.parse_price(typed)


def test_the_grid_form_becomes_billings_brackets() -> None:
    read = sa.read_grid(
        {
            "valid_from": "01/09/2026",
            "tranche-0-qf_min": "0",
            "tranche-0-qf_max": "700",
            "tranche-0-amount": "3,20",
            "tranche-1-qf_min": "",
            "tranche-1-qf_max": "",
            "tranche-1-amount": "",
            "tranche-2-qf_min": "701",
            "tranche-2-amount": "4,10",
        }
    )
    assert read.errors == {}
    assert read.body["valid_from"] == "2026-09-01" and read.body["valid_to"] is None
    assert read.body["brackets"] == [
        {"qf_min": 0, "qf_max": 700, "amounts": [320]},
        {"qf_min": 701, "qf_max": None, "amounts": [410]},
    ]
    shown = sa.grid_rows(read.body)
    assert shown[0] == {"qf_min": "0", "qf_max": "700", "amount": "3,20"}
    assert len(shown) == sa.BRACKET_ROWS
    empty = sa.read_grid({"valid_from": "", "tranche-0-qf_min": ""})
    assert set(empty.errors) == {"tranche-0-qf_min", "valid_from"}


def test_the_period_stays_within_what_booking_serves() -> None:
    today = date(2026, 9, 1)
    assert sa.read_period({}, today) == sa.Period(today, date(2026, 9, 14))
    assert sa.read_period({"du": "n'importe", "au": "31/08/2026"}, today) == sa.Period(today, today)
    long = sa.read_period({"du": "2026-09-01", "au": "2027-09-01"}, today)
    assert (long.end - long.start).days == sa.MAX_SPAN - 1
    assert long.params == {"from": "2026-09-01", "to": "2026-12-01"}


def test_the_billing_form_keeps_paid_upfront_prepaid() -> None:
    read = sa.read_billing(
        {"regie_id": "r", "billing_mode": "postpaid", "unit": "meal", "payment": "wallet"},
        "Cantine",
    )
    assert set(read.errors) == {"payment"}
    read = sa.read_billing(
        {"regie_id": "r", "billing_mode": "prepaid", "unit": "meal", "bill_absent": "oui"},
        "Cantine",
    )
    assert read.errors == {} and read.body["payment"] == "invoice"
    assert read.body["bill_absent"] is True and read.body["bill_present"] is False
