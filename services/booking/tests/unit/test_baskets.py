"""The basket rules without a database: one decision per line (`may_book`, shared with the
calendar), one waiting-list rule, the ReservationValidated events checked before the places
are taken."""

from __future__ import annotations

import random
import uuid
from datetime import date, datetime, time
from typing import Any

from booking.domain.activity import Activity
from booking.domain.baskets import TAKEN, Basket, Validation, decide
from booking.domain.days import Opening
from booking.domain.deadlines import PARIS, Deadline, Deadlines
from booking.domain.rules import Eligibility, Verdict, may_book, promotions
from booking.usecases import capacity
from booking.usecases.capacity import RESERVATION_VALIDATED
from shared.events import registry

OPEN = Opening(date(2026, 9, 1), date(2026, 12, 18), frozenset({1, 2, 4, 5}))
RULES = Deadlines(
    booking=Deadline(2, time(23, 59)),
    cancellation=Deadline(1, time(12, 0)),
    late_allowed=True,
    late_until=Deadline(0, time(0, 0)),
)
EARLY = datetime(2026, 10, 1, 9, tzinfo=PARIS)
THURSDAY, WEDNESDAY = date(2026, 10, 15), date(2026, 10, 14)


def test_may_book_checks_in_one_order() -> None:
    def verdict(day: date = THURSDAY, status: str | None = "approved", **kw: Any) -> Verdict:
        return may_book(OPEN, RULES, day, status, kw.get("ineligible"), kw.get("now", EARLY))

    assert verdict() == Verdict()
    assert verdict(now=datetime(2026, 10, 14, 9, tzinfo=PARIS)) == Verdict(late=True)
    assert verdict(now=datetime(2026, 10, 15, 0, 1, tzinfo=PARIS)).refusal == "deadline_passed"
    # The day first, then the enrollment, then the child, then the deadline.
    assert verdict(WEDNESDAY, None, ineligible="trop jeune").refusal == "closed_day"
    assert verdict(status="pending", ineligible="trop jeune").refusal == "pending_enrollment"
    assert verdict(status=None, ineligible="trop jeune").refusal == "not_enrolled"
    assert verdict(status="rejected").refusal == "not_enrolled"
    late = datetime(2026, 10, 15, 0, 1, tzinfo=PARIS)
    assert verdict(ineligible="trop jeune", now=late) == Verdict("not_eligible", "trop jeune")


def test_the_waiting_list_moves_up_in_arrival_order_skipping_who_may_not_come() -> None:
    born = date(2018, 5, 3)
    waiting = [
        {"id": 1, "enrollment_status": "pending", "birth_date": born, "grade": None},
        {"id": 2, "enrollment_status": "approved", "birth_date": date(2024, 1, 1), "grade": None},
        {"id": 3, "enrollment_status": "approved", "birth_date": born, "grade": None},
        {"id": 4, "enrollment_status": "approved", "birth_date": born, "grade": None},
        {"id": 5, "enrollment_status": "approved", "birth_date": born, "grade": None},
    ]
    rule = Eligibility(min_age=3)
    assert [w["id"] for w in promotions(waiting, 2, rule, THURSDAY)] == [3, 4]
    assert promotions(waiting, 0, rule, THURSDAY) == []
    assert [w["id"] for w in promotions(waiting, 9, rule, THURSDAY)] == [3, 4, 5]


def _activity() -> Activity:
    return Activity(
        id=uuid.uuid4(),
        name="Accueil du soir",
        type="PERI",
        site="École du Centre",
        opening=OPEN,
        deadlines=RULES,
        eligibility=Eligibility(min_age=3),
        requires_approval=False,
        capacity=10,
    )


def _fact(activity: Activity, household: uuid.UUID, child: uuid.UUID, day: date, **extra: Any):
    return {
        "child_id": child,
        "activity_id": activity.id,
        "day": day,
        "action": "add",
        "accept_waiting": True,
        "known": True,
        "household_id": household,
        "first_name": "Léa",
        "birth_date": date(2018, 5, 3),
        "grade": "CE2",
        "enrollment_status": "approved",
        "live_id": None,
        "live_status": None,
        **extra,
    }


def test_lines_are_decided_once() -> None:
    activity, household, child = _activity(), uuid.uuid4(), uuid.uuid4()
    basket = Basket(uuid.uuid4(), "epagny", household, uuid.uuid4(), by_staff=False)
    facts = [
        _fact(activity, household, child, date(2026, 10, 5)),
        _fact(activity, household, child, date(2026, 10, 6)),
        _fact(activity, household, child, WEDNESDAY),
        _fact(activity, household, child, THURSDAY, household_id=uuid.uuid4()),
        _fact(activity, household, child, date(2026, 10, 16), action="cancel"),
    ]
    validation = decide(basket, facts, {activity.id: activity}, EARLY)
    assert [x.reason for x in validation.lines] == [
        None,
        None,
        "closed_day",
        "not_your_child",
        "not_booked",
    ]
    assert validation.settled() == ("refused", "refused", "refused")
    validation.settle(["confirmed", "waiting"])
    assert [(x.outcome, x.reason) for x in validation.lines[:2]] == [
        ("confirmed", None),
        ("waiting_list", "full"),
    ]
    placement = capacity.placement(validation, EARLY, producer="booking")
    (envelope,) = placement.envelopes
    assert envelope["payload"]["dates"] == envelope["payload"]["waiting_dates"] == []
    assert envelope["payload"]["account_id"] == str(basket.account_id)
    assert "booked_by_staff" not in envelope["payload"]
    assert placement.entries == (
        (
            {
                "booking_id": str(validation.lines[0].booking_id),
                "date": "2026-10-05",
                "late": False,
            },
            "2026-10-05",
        ),
        (
            {
                "booking_id": str(validation.lines[1].booking_id),
                "date": "2026-10-06",
                "late": False,
            },
            "2026-10-06",
        ),
    )


def _cut(envelope: dict[str, Any], entries: list[tuple[Any, Any]], taken: list[str]) -> dict:
    """What the statement writes (migration 0010): the checked envelope, with the checked
    items of the places taken put in its two date lists."""
    payload = envelope["payload"]
    return {
        **payload,
        "dates": [d for (d, _), t in zip(entries, taken, strict=True) if t == "confirmed"],
        "waiting_dates": [w for (_, w), t in zip(entries, taken, strict=True) if t == "waiting"],
    }


def test_a_reservation_put_together_for_the_places_taken_is_valid() -> None:
    """The events are checked against the contract before the places are taken, in parts
    (the payload without dates, each date item); put together for the places taken, as
    the statement does, they stay valid whatever the outcomes."""
    activity, household = _activity(), uuid.uuid4()
    basket = Basket(uuid.uuid4(), "epagny", household, uuid.uuid4(), by_staff=True)
    children = [uuid.uuid4(), uuid.uuid4()]
    days = [date(2026, 10, d) for d in (5, 6, 8, 9, 12, 13)]
    facts = [_fact(activity, household, c, d) for c in children for d in days]
    # In the locking order (activity, day, child): the two children's additions interleave.
    facts.sort(key=lambda f: (f["day"], f["child_id"]))
    validation: Validation = decide(basket, facts, {activity.id: activity}, EARLY)
    placement = capacity.placement(validation, EARLY, producer="booking")
    assert len(placement.envelopes) == 2
    for seed in range(50):
        rng = random.Random(seed)
        taken = [rng.choice(list(TAKEN)) for _ in placement.additions]
        for r, envelope in enumerate(placement.envelopes):
            mine = [i for i, a in enumerate(placement.additions) if a.reservation == r]
            payload = _cut(envelope, [placement.entries[i] for i in mine], [taken[i] for i in mine])
            loaded = registry.load_payload(RESERVATION_VALIDATED, envelope["version"], payload)
            assert [d["date"] for d in loaded["dates"]] == [
                placement.additions[i].day for i in mine if taken[i] == "confirmed"
            ]
            assert loaded["waiting_dates"] == [
                placement.additions[i].day for i in mine if taken[i] == "waiting"
            ]
            assert str(placement.additions[mine[0]].child_id) == payload["child_id"]
            assert payload["booked_by_staff"] == str(basket.account_id)
    # Nothing in the contract ties the dates lists, or a date item's fields, to anything
    # else: checking the payload without dates, then each item by its fields, is checking
    # the whole.
    schema = registry.schema_for(RESERVATION_VALIDATED, 1)
    item = schema.fields["dates"].inner.schema
    for hooks in (schema._hooks, item._hooks):
        assert not any(hooks.values())
    assert schema.fields["dates"].validators == []
    assert schema.fields["waiting_dates"].validators == []
