"""Places held until paid, without a database: which lines are held or refused, what the
answer and the ReservationValidated say, what a release announces."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from booking.domain import holds
from booking.domain.activity import Activity
from booking.domain.baskets import Basket, decide
from booking.usecases import capacity
from booking.usecases.capacity import RESERVATION_VALIDATED
from shared.events import registry
from shared.events.envelope import new_event

from .test_baskets import EARLY, _activity, _fact

DAYS = [date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 8)]


def _paid(payment: str, hold_minutes: int = 20) -> Activity:
    return dataclasses.replace(_activity(), payment=payment, hold_minutes=hold_minutes)


def _basket(household: uuid.UUID, by_staff: bool = False) -> Basket:
    return Basket(uuid.uuid4(), "epagny", household, uuid.uuid4(), by_staff=by_staff)


def test_invoice_days_are_not_held_and_the_answer_says_so() -> None:
    activity, household, child = _activity(), uuid.uuid4(), uuid.uuid4()
    facts = [_fact(activity, household, child, d) for d in DAYS]
    validation = decide(_basket(household), facts, {activity.id: activity}, EARLY)
    assert not validation.holding
    validation.settle(["confirmed"] * 3)
    result = validation.result({"confirmed": 3, "waiting_list": 0, "cancelled": 0, "refused": 0})
    assert (result["held"], result["payment_due_at"]) == (0, None)
    assert {(x["held"], x["payment"], x["payment_due_at"]) for x in result["lines"]} == {
        (False, None, None)
    }
    (envelope,) = capacity.placement(validation, EARLY, producer="booking").envelopes
    assert "payment" not in envelope["payload"]  # the contract's default: invoice


def test_days_paid_at_booking_are_held_until_the_hold_ends() -> None:
    activity, household, child = _paid("at_booking", 20), uuid.uuid4(), uuid.uuid4()
    facts = [_fact(activity, household, child, d) for d in DAYS]
    validation = decide(_basket(household), facts, {activity.id: activity}, EARLY)
    assert validation.holding
    due = EARLY + timedelta(minutes=20)
    assert [(x.payment, x.payment_due_at) for x in validation.additions] == [
        ("at_booking", due)
    ] * 3
    placement = capacity.placement(validation, EARLY, producer="booking")
    (envelope,) = placement.envelopes
    loaded = registry.load_payload(RESERVATION_VALIDATED, envelope["version"], envelope["payload"])
    assert (loaded["payment"], loaded["payment_due_at"]) == ("at_booking", due)
    # A day that went to the waiting list (or was refused) holds nothing.
    validation.settle(["confirmed", "waiting", "already_booked"])
    assert [x.payment for x in validation.lines] == ["at_booking", None, None]
    result = validation.result({"confirmed": 1, "waiting_list": 1, "cancelled": 0, "refused": 1})
    assert (result["held"], result["payment_due_at"]) == (1, due)
    assert [x["held"] for x in result["lines"]] == [True, False, False]
    assert validation.held() == validation.lines[:1]


def test_wallet_days_need_an_active_wallet() -> None:
    activity, household, child = _paid("wallet"), uuid.uuid4(), uuid.uuid4()
    facts = [_fact(activity, household, child, d) for d in DAYS]
    facts.append(_fact(activity, household, child, date(2026, 10, 7)))  # a closed Wednesday
    refused = decide(_basket(household), facts, {activity.id: activity}, EARLY)
    assert [x.reason for x in refused.lines] == ["wallet_inactive"] * 3 + ["closed_day"]
    assert refused.lines[0].detail == (
        "Activez votre compte famille et ajoutez des fonds pour réserver cette activité."
    )
    assert not refused.additions and not refused.holding
    held = decide(_basket(household), facts, {activity.id: activity}, EARLY, wallet_active=True)
    assert [(x.payment, x.payment_due_at) for x in held.additions] == [("wallet", None)] * 3
    (envelope,) = capacity.placement(held, EARLY, producer="booking").envelopes
    assert envelope["payload"]["payment"] == "wallet"
    assert envelope["payload"]["payment_due_at"] is None


def test_staff_may_book_without_holding() -> None:
    activity, household, child = _paid("wallet"), uuid.uuid4(), uuid.uuid4()
    facts = [_fact(activity, household, child, d) for d in DAYS]
    validation = decide(_basket(household, True), facts, {activity.id: activity}, EARLY, hold=False)
    assert len(validation.additions) == 3 and not validation.holding
    assert {x.payment for x in validation.additions} == {None}


def _released_row(activity: Activity, child: uuid.UUID, day: date, **extra: Any) -> dict:
    return {
        "id": uuid.uuid4(),
        "tenant": "epagny",
        "basket_id": extra.pop("basket_id"),
        "household_id": extra.pop("household_id"),
        "child_id": child,
        "child_first_name": "Léa",
        "activity_id": activity.id,
        "day": day,
        "late": False,
        "booked_by": extra.pop("booked_by"),
        "by_staff": extra.pop("by_staff", False),
    }


def test_a_release_announces_each_child_and_activity_once_with_its_dates() -> None:
    activity, other = _paid("at_booking"), _paid("at_booking")
    household, basket, account = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    lea, tom = uuid.uuid4(), uuid.uuid4()
    common = {"basket_id": basket, "household_id": household, "booked_by": account}
    rows = [
        _released_row(activity, lea, DAYS[1], **common),
        _released_row(activity, tom, DAYS[0], **common),
        _released_row(activity, lea, DAYS[0], **common),
        _released_row(other, lea, DAYS[2], **common, by_staff=True),
    ]
    activities = {("epagny", a.id): a for a in (activity, other)}
    events = holds.released(rows, activities, "payment_expired")
    assert len(events) == 3
    by_key = {(p["child_id"], p["activity_id"]): p for _, p in events}
    assert [d["date"] for d in by_key[(lea, activity.id)]["dates"]] == DAYS[:2]
    assert by_key[(lea, activity.id)]["account_id"] == account
    assert by_key[(lea, other.id)]["account_id"] is None  # staff filled it: the household
    for tenant, payload in events:
        event = new_event("booking.BookingHoldReleased", payload, tenant_id=tenant, producer="b")
        assert event.payload["reason"] == "payment_expired"
    with pytest.raises(ValueError):
        holds.released(rows, activities, "because")


def test_only_at_booking_holds_end_by_themselves() -> None:
    now = datetime(2026, 10, 1, 9, tzinfo=EARLY.tzinfo)
    assert holds.due_at(_paid("at_booking", 45), now) == now + timedelta(minutes=45)
    assert holds.due_at(_paid("wallet"), now) is None
    assert holds.due_at(_activity(), now) is None
    assert [holds.holds(_paid(p)) for p in ("invoice", "at_booking", "wallet")] == [
        False,
        True,
        True,
    ]
