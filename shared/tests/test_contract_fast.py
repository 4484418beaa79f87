"""The fast paths of the event contract (issue 18's allocation, thousands of events in one
change): `Event.to_json` written directly must equal the envelope schema's dump, and
`checked.PayloadCheck` must write what `registry.dump_payload` writes and refuse what it
refuses."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shared.events import registry
from shared.events.checked import PayloadCheck
from shared.events.envelope import _ENVELOPE, Event, new_event
from shared.events.registry import ContractError

DECIDED = "booking.AllocationDecided"
VALIDATED = "booking.ReservationValidated"


def decided(**changes: Any) -> dict[str, Any]:
    payload = {
        "window_id": uuid.uuid4(),
        "window_name": "Toussaint",
        "request_id": uuid.uuid4(),
        "household_id": uuid.uuid4(),
        "activity_id": uuid.uuid4(),
        "activity_name": "Centre de loisirs",
        "level": 2,
        "level_label": "Résident",
        "rank": 7,
        "entries": 40,
        "children": [
            {
                "child_id": uuid.uuid4(),
                "first_name": "Léa",
                "booked_dates": [date(2026, 10, 19)],
                "waiting_dates": [date(2026, 10, 20), date(2026, 10, 21)],
            },
            {"child_id": uuid.uuid4(), "first_name": "", "booked_dates": [], "waiting_dates": []},
        ],
    }
    payload.update(changes)
    return payload


def validated(**changes: Any) -> dict[str, Any]:
    payload = {
        "household_id": uuid.uuid4(),
        "account_id": None,
        "child_id": uuid.uuid4(),
        "child_first_name": "Tom",
        "activity_id": uuid.uuid4(),
        "activity_name": "Centre de loisirs",
        "activity_type": "VACANCES",
        "site": "Centre du Lac",
        "basket_id": uuid.uuid4(),
        "booked_by_staff": uuid.uuid4(),
        "dates": [{"booking_id": uuid.uuid4(), "date": date(2026, 10, 19), "late": False}],
        "waiting_dates": [date(2026, 10, 20)],
        "window_id": uuid.uuid4(),
    }
    payload.update(changes)
    return payload


@pytest.mark.parametrize("causation", [None, "abc"])
def test_to_json_is_the_schema_dump(causation: str | None) -> None:
    event = new_event(
        DECIDED, decided(), tenant_id="t1", producer="booking", causation_id=causation
    )
    assert event.to_json() == _ENVELOPE.dump(event)
    plain = Event(
        id=uuid.uuid4(),
        type="booking.X",
        version=3,
        occurred_at=datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        tenant_id="t",
        producer="p",
        correlation_id="c",
        causation_id=None,
        payload={"a": [1, "b"]},
    )
    assert plain.to_json() == _ENVELOPE.dump(plain)


@pytest.mark.parametrize(("type_", "make"), [(DECIDED, decided), (VALIDATED, validated)])
def test_payload_check_writes_what_the_schema_writes(type_: str, make: Any) -> None:
    check = PayloadCheck(type_)
    for _ in range(3):  # the first is compared inside; the next ones from the cache
        payload = make()
        assert check(payload) == registry.dump_payload(type_, 1, payload)
    if type_ == VALIDATED:  # fields not required, left out
        optional = make()
        del optional["window_id"], optional["booked_by_staff"]
        assert check(optional) == registry.dump_payload(type_, 1, optional)


@pytest.mark.parametrize(
    "breach",
    [
        {"rank": "septième"},
        {"rank": None},
        {"window_name": None},
        {"unknown": 1},
        {"children": [{"child_id": "not a uuid", "first_name": "A", "booked_dates": [],
                       "waiting_dates": []}]},
        {"children": [{"child_id": uuid.uuid4(), "first_name": "A", "booked_dates": ["x"],
                       "waiting_dates": []}]},
        {"children": [{"child_id": uuid.uuid4(), "first_name": "A", "booked_dates": []}]},
        {"children": None},
    ],
)  # fmt: skip
def test_payload_check_refuses_what_the_schema_refuses(breach: dict[str, Any]) -> None:
    check = PayloadCheck(DECIDED)
    check(decided())  # warmed: the cache must not let a bad value through
    payload = decided(**breach)
    with pytest.raises((ContractError, ValueError, TypeError, AttributeError)):
        registry.dump_payload(DECIDED, 1, payload)
    with pytest.raises(ContractError):
        check(payload)


def test_payload_check_refuses_a_missing_field() -> None:
    payload = validated()
    del payload["basket_id"]
    with pytest.raises(ContractError):
        PayloadCheck(VALIDATED)(payload)


def test_payload_check_refuses_a_bad_value_after_a_good_one_of_the_same_field() -> None:
    check = PayloadCheck(VALIDATED)
    check(validated(activity_type="VACANCES"))
    with pytest.raises(ContractError):
        check(validated(activity_type="CROISIERE"))


def test_checks_sharing_their_values_still_check_each_field() -> None:
    validated_check = PayloadCheck(VALIDATED)
    decided_check = PayloadCheck(DECIDED, sharing=validated_check)
    payload = validated()
    assert validated_check(payload) == registry.dump_payload(VALIDATED, 1, payload)
    # The same household id in the other type: reused, and the payload still as the schema's.
    other = decided(household_id=payload["household_id"])
    assert decided_check(other) == registry.dump_payload(DECIDED, 1, other)
    # A None where the other type's field allows it (account_id) is no pass for this one.
    validated_check(validated(account_id=None))
    with pytest.raises(ContractError):
        decided_check(decided(household_id=None))
    with pytest.raises(ContractError):
        decided_check(decided(request_id="not a uuid"))
