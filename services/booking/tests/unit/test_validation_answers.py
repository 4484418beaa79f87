"""A validation's stored answer (`Validation.draft` + what taking the places answered)
gives back the very answer of the validation, through JSON as Postgres keeps it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from booking.domain.baskets import Basket, Line, Validation, replayed


def line(day: int, action: str = "add", **extra: object) -> Line:
    return Line(uuid.uuid4(), uuid.uuid4(), date(2026, 7, day), action, True, **extra)  # type: ignore[arg-type]


def test_the_stored_answer_gives_the_same_answer_line_by_line() -> None:
    basket = Basket(uuid.uuid4(), "epagny", uuid.uuid4(), uuid.uuid4(), False)
    due = datetime(2026, 6, 1, 10, 30, tzinfo=UTC)
    refused = line(6)
    refused.refuse("deadline_passed")
    cancelled = line(7, action="cancel", outcome="cancelled")
    held = line(8, booking_id=uuid.uuid4(), payment="at_booking", payment_due_at=due)
    waiting = line(9, booking_id=uuid.uuid4(), payment="at_booking", payment_due_at=due)
    full = line(10, booking_id=uuid.uuid4())
    lines = [refused, cancelled, held, waiting, full]
    additions = [held, waiting, full]
    validation = Validation(basket, lines, additions, [cancelled], {}, {}, holding=True)
    draft = json.loads(json.dumps(validation.draft()))  # as jsonb keeps it
    taken = ["confirmed", "waiting", "full"]
    counts = {"confirmed": 1, "waiting_list": 1, "cancelled": 1, "refused": 2}
    validation.settle(taken)
    first = validation.result(counts)
    assert [x["outcome"] for x in first["lines"]] == [
        "refused",
        "cancelled",
        "confirmed",
        "waiting_list",
        "refused",
    ]
    assert first["held"] == 1 and first["payment_due_at"] == due

    again = replayed(basket, {**draft, "taken": taken}, counts)

    assert again == first
