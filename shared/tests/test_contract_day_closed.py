"""ReservationCancelled for a day staff closed (issue 16): `cancelled_by` "day_closed"."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from shared.events.envelope import new_event, parse_event
from shared.events.registry import ContractError


def payload(**extra: object) -> dict[str, object]:
    return {
        "household_id": uuid.uuid4(),
        "account_id": uuid.uuid4(),
        "child_id": uuid.uuid4(),
        "child_first_name": "Léa",
        "activity_id": uuid.uuid4(),
        "activity_name": "Cantine",
        "activity_type": "CANTINE",
        "site": "École du Lac",
        "basket_id": None,
        "dates": [{"booking_id": uuid.uuid4(), "date": date(2026, 9, 17), "late": False}],
        "cancelled_by": "day_closed",
        "reason": "Grève du personnel",
        "charged": False,
        **extra,
    }


def test_a_day_closed_cancellation_round_trips() -> None:
    sent = payload()
    event = new_event("booking.ReservationCancelled", sent, tenant_id="t", producer="booking")
    parsed = parse_event(event.to_json())
    assert parsed.payload["cancelled_by"] == "day_closed"
    assert parsed.payload["reason"] == "Grève du personnel"
    assert parsed.payload["dates"] == sent["dates"]


@pytest.mark.parametrize("who", ["family", "staff", "day_closed"])
def test_every_known_canceller_is_accepted(who: str) -> None:
    new_event(
        "booking.ReservationCancelled", payload(cancelled_by=who), tenant_id="t", producer="b"
    )


def test_an_unknown_canceller_is_refused() -> None:
    with pytest.raises(ContractError):
        new_event(
            "booking.ReservationCancelled",
            payload(cancelled_by="weather"),
            tenant_id="t",
            producer="booking",
        )
