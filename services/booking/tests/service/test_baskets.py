"""Baskets validated at once, deadlines, cancellations, the waiting list, the calendar."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT, activity_body

Town = Any


def outcomes(result: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    return {line["date"]: (line["outcome"], line["reason"]) for line in result["lines"]}


async def test_a_basket_books_every_line_with_its_reason(town: Town) -> None:
    activity = await town.activity(late_allowed=True)
    kid = await town.enrolled_child(activity)
    other = await town.activity(name="Sport", type="SPORT")
    town.at(datetime(2026, 9, 9, 9, 0, tzinfo=PARIS))
    basket = await town.basket(
        kid,
        [
            {
                "activity_id": activity["id"],
                # 7/9 (past), Wed 9/9 (closed), Thu 10/9 (late: booking closed 8/9 at 23:59),
                # Fri 11/9 and Mon 14/9 (bookable)
                "dates": ["2026-09-07", "2026-09-09", "2026-09-10", "2026-09-11", "2026-09-14"],
            },
            {"activity_id": other["id"], "dates": ["2026-09-14"]},
        ],
    )
    assert len(basket["lines"]) == 6 and basket["status"] == "open"
    result = await town.validate(kid, basket)
    by_day = {
        (line["activity_id"], line["date"]): (line["outcome"], line["reason"], line["late"])
        for line in result["lines"]
    }
    a, o = activity["id"], other["id"]
    assert by_day == {
        (a, "2026-09-07"): ("refused", "deadline_passed", False),
        (a, "2026-09-09"): ("refused", "closed_day", False),
        (a, "2026-09-10"): ("confirmed", None, True),
        (a, "2026-09-11"): ("confirmed", None, False),
        (a, "2026-09-14"): ("confirmed", None, False),
        (o, "2026-09-14"): ("refused", "not_enrolled", False),
    }
    assert (result["confirmed"], result["refused"]) == (3, 3)
    (validated,) = await town.events("booking.ReservationValidated")
    payload = validated["payload"]
    assert payload["basket_id"] == basket["id"] and payload["child_id"] == str(kid["id"])
    assert payload["household_id"] == str(kid["household_id"])
    assert [(d["date"], d["late"]) for d in payload["dates"]] == [
        ("2026-09-10", True),
        ("2026-09-11", False),
        ("2026-09-14", False),
    ]
    assert payload["waiting_dates"] == [] and payload["activity_type"] == "PERI"
    # Validating twice books nothing twice, and answers the same (a lost answer recovered).
    assert await town.validate(kid, basket) == result
    again = await town.book(kid, activity, "2026-09-14")
    assert outcomes(again) == {"2026-09-14": ("refused", "already_booked")}


async def test_rhythm_one_week_in_two_across_a_holiday(town: Town) -> None:
    activity = await town.activity(
        school_time=False, closed_dates=["2026-10-19", "2026-10-20", "2026-10-22"]
    )
    kid = await town.enrolled_child(activity)
    basket = await town.basket(
        kid,
        [
            {
                "activity_id": activity["id"],
                "from": "2026-10-05",
                "to": "2026-11-13",
                "weekdays": [2, 4],
                "every_n_weeks": 2,
            }
        ],
    )
    days = [line["date"] for line in basket["lines"]]
    # weeks of 5/10, 19/10 (20 and 22 closed), 2/11: Tuesdays and Thursdays
    assert days == ["2026-10-06", "2026-10-08", "2026-11-03", "2026-11-05"]
    result = await town.validate(kid, basket)
    assert result["confirmed"] == 4


async def test_all_or_nothing_books_nothing_when_a_day_is_full(town: Town) -> None:
    activity = await town.activity(capacity=1)
    first = await town.enrolled_child(activity)
    second = await town.enrolled_child(activity, first_name="Tom")
    await town.book(first, activity, "2026-09-17")
    basket = await town.basket(
        second, [{"activity_id": activity["id"], "dates": ["2026-09-17", "2026-09-18"]}]
    )
    r = await town.validate(second, basket, status=409, all_or_nothing=True)
    assert r["type"].endswith("/basket-not-confirmed")
    assert {x["date"]: x["outcome"] for x in r["lines"]} == {
        "2026-09-17": "waiting_list",
        "2026-09-18": "confirmed",
    }
    days = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days?from=2026-09-17&to=2026-09-18",
        town.staff(),
    )
    assert [(d["booked"], d["waiting"]) for d in days["days"]] == [(1, 0), (0, 0)]
    # The basket stays open: the family may change it and validate again.
    result = await town.validate(second, basket)
    assert outcomes(result) == {
        "2026-09-17": ("waiting_list", "full"),
        "2026-09-18": ("confirmed", None),
    }


async def test_cancellation_frees_the_place_for_the_first_waiting_child(town: Town) -> None:
    activity = await town.activity(capacity=1)
    kids = [await town.enrolled_child(activity, first_name=n) for n in ("Léa", "Tom", "Zoé")]
    assert outcomes(await town.book(kids[0], activity, "2026-09-17")) == {
        "2026-09-17": ("confirmed", None)
    }
    tom = await town.book(kids[1], activity, "2026-09-17")
    assert outcomes(tom) == {"2026-09-17": ("waiting_list", "full")}
    assert outcomes(await town.book(kids[2], activity, "2026-09-17")) == {
        "2026-09-17": ("waiting_list", "full")
    }
    refused = await town.book(kids[2], activity, "2026-09-18", accept_waiting_list=False)
    assert outcomes(refused) == {"2026-09-18": ("confirmed", None)}
    assert (await town.calendar(kids[1], "2026-09"))["2026-09-17"] == "waiting_list"

    # Léa's family cancels through a basket, before the deadline (16/9 12:00).
    town.at(datetime(2026, 9, 16, 11, 59, tzinfo=PARIS))
    basket = await town.basket(
        kids[0], [{"activity_id": activity["id"], "dates": ["2026-09-17"], "action": "cancel"}]
    )
    result = await town.validate(kids[0], basket)
    assert outcomes(result) == {"2026-09-17": ("cancelled", None)}
    (cancelled,) = await town.events("booking.ReservationCancelled")
    assert cancelled["payload"]["cancelled_by"] == "family"
    assert cancelled["payload"]["dates"][0]["date"] == "2026-09-17"
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(kids[1]["id"])  # arrival order: Tom first
    assert promoted["payload"]["date"] == "2026-09-17"
    assert (await town.calendar(kids[1], "2026-09"))["2026-09-17"] == "booked_cancellable"
    assert (await town.calendar(kids[0], "2026-09"))["2026-09-17"] == "cancelled"
    assert (await town.calendar(kids[2], "2026-09"))["2026-09-17"] == "waiting_list"

    # After the cancellation deadline: the padlock.
    town.at(datetime(2026, 9, 16, 12, 0, tzinfo=PARIS))
    assert (await town.calendar(kids[1], "2026-09"))["2026-09-17"] == "booked_locked"
    booking_id = promoted["payload"]["booking_id"]
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
        town.family(kids[1]["household_id"]),
        {},
        409,
    )
    assert r["type"].endswith("/cancellation-locked")
    basket = await town.basket(
        kids[1], [{"activity_id": activity["id"], "dates": ["2026-09-17"], "action": "cancel"}]
    )
    assert outcomes(await town.validate(kids[1], basket)) == {
        "2026-09-17": ("refused", "cancellation_locked")
    }
    # Another household cannot even see it; staff may cancel at any time, with a reason.
    await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
        town.family(uuid.uuid4()),
        {},
        404,
    )
    body = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
        town.staff(),
        {"reason": "Sortie scolaire", "charged": False},
    )
    assert body["status"] == "cancelled" and body["cancel_reason"] == "Sortie scolaire"
    events = await town.events("booking.ReservationCancelled", 2)
    assert events[1]["payload"]["cancelled_by"] == "staff"
    promotions = await town.events("booking.WaitingListPromoted", 2)
    assert promotions[1]["payload"]["child_id"] == str(kids[2]["id"])
    days = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days?from=2026-09-17&to=2026-09-17",
        town.staff(),
    )
    assert days["days"][0] == {"date": "2026-09-17", "capacity": 1, "booked": 1, "waiting": 0}


async def test_more_capacity_promotes_the_waiting_list(town: Town) -> None:
    activity = await town.activity(capacity=1)
    kids = [await town.enrolled_child(activity, first_name=n) for n in ("Léa", "Tom", "Zoé")]
    for kid in kids:
        await town.book(kid, activity, "2026-09-18")
    body = await town.call(
        "PUT",
        f"/tenants/{TENANT}/activities/{activity['id']}/days/2026-09-18",
        town.staff(),
        {"capacity": 2},
    )
    assert body["days"][0] == {"date": "2026-09-18", "capacity": 2, "booked": 2, "waiting": 1}
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(kids[1]["id"])
    r = await town.call(
        "PUT",
        f"/tenants/{TENANT}/activities/{activity['id']}/days/2026-09-18",
        town.staff(),
        {"capacity": 1},
        409,
    )
    assert r["type"].endswith("/capacity-below-booked")


async def test_calendar_states_of_the_legend(town: Town) -> None:
    activity = await town.activity(capacity=1, late_allowed=True)
    kid = await town.enrolled_child(activity)
    other = await town.enrolled_child(activity, first_name="Tom")
    pending_activity = await town.activity(name="Mercredis", requires_approval=True)
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(kid["household_id"]),
        {"child_id": str(kid["id"]), "activity_id": pending_activity["id"]},
        201,
    )
    await town.book(other, activity, "2026-09-25")  # full for Léa
    await town.book(kid, activity, "2026-09-10", "2026-09-11", "2026-09-21", "2026-09-24")
    await town.book(kid, activity, "2026-09-25")  # waiting list
    cancel = await town.basket(
        kid, [{"activity_id": activity["id"], "dates": ["2026-09-24"], "action": "cancel"}]
    )
    await town.validate(kid, cancel)
    town.at(datetime(2026, 9, 9, 13, 0, tzinfo=PARIS))
    states = await town.calendar(kid, "2026-09", activity_id=activity["id"])
    assert len(states) == 30
    assert states["2026-09-08"] == "deadline_passed"  # past: the activity ran, too late
    assert states["2026-09-09"] == "closed"  # Wednesday: no activity
    assert states["2026-09-10"] == "booked_locked"  # cancellation closed 9/9 at noon
    assert states["2026-09-11"] == "booked_cancellable"
    assert states["2026-09-14"] == "bookable"
    assert states["2026-09-15"] == "bookable"
    assert states["2026-09-21"] == "booked_cancellable"
    assert states["2026-09-24"] == "cancelled"
    assert states["2026-09-25"] == "waiting_list"
    town.at(datetime(2026, 9, 20, 23, 58, tzinfo=PARIS))
    states = await town.calendar(kid, "2026-09", activity_id=activity["id"])
    assert states["2026-09-22"] == "bookable"  # booking closes 20/9 at 23:59
    town.at(datetime(2026, 9, 20, 23, 59, tzinfo=PARIS))
    states = await town.calendar(kid, "2026-09", activity_id=activity["id"])
    assert states["2026-09-22"] == "late"  # surcharge until the day starts
    pending = await town.calendar(kid, "2026-09", activity_id=pending_activity["id"])
    assert pending["2026-09-22"] == "pending_validation"
    await town.book(kid, activity, "2026-09-28")
    town.at(datetime(2026, 9, 21, 9, 0, tzinfo=PARIS))
    other_states = await town.calendar(other, "2026-09", activity_id=activity["id"])
    assert other_states["2026-09-28"] == "full"
    young = await town.child(first_name="Bébé", birth_date=datetime(2025, 1, 1).date())
    states = await town.calendar(young, "2026-09", activity_id=activity["id"])
    assert states["2026-09-28"] == "not_eligible"


async def test_one_statement_validation_and_mixed_baskets(town: Town) -> None:
    """Additions go through one statement (places, bookings, outcome, outbox); a basket that
    also cancels runs in a transaction with the same statement; a basket validated twice at
    the same moment is applied once."""
    activity = await town.activity(capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    a = activity["id"]
    await town.book(lea, activity, "2026-09-17", "2026-09-18")
    # Tom: one day full (waiting), one full and no waiting list (refused), one free.
    basket = await town.basket(
        tom,
        [
            {"activity_id": a, "dates": ["2026-09-17", "2026-09-21"]},
            {"activity_id": a, "dates": ["2026-09-18"], "accept_waiting_list": False},
        ],
    )
    first, second = await asyncio.gather(
        town.client.post(
            f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
            json={},
            headers=town.family(tom["household_id"]),
        ),
        town.client.post(
            f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
            json={},
            headers=town.family(tom["household_id"]),
        ),
    )
    assert [first.status, second.status] == [200, 200]
    result = await first.json()
    assert await second.json() == result  # the one validation's answer, given twice
    assert outcomes(result) == {
        "2026-09-17": ("waiting_list", "full"),
        "2026-09-18": ("refused", "full"),
        "2026-09-21": ("confirmed", None),
    }
    stored = await town.call(
        "GET", f"/tenants/{TENANT}/baskets/{basket['id']}", town.family(tom["household_id"])
    )
    assert stored["status"] == "validated"
    assert stored["outcome"] == {"confirmed": 1, "waiting_list": 1, "cancelled": 0, "refused": 1}
    events = await town.events("booking.ReservationValidated", 2)
    tom_event = next(e for e in events if e["payload"]["child_id"] == str(tom["id"]))
    assert [d["date"] for d in tom_event["payload"]["dates"]] == ["2026-09-21"]
    assert tom_event["payload"]["waiting_dates"] == ["2026-09-17"]

    # Léa cancels the 17th and books the 22nd in one basket: Tom moves up from the list.
    mixed = await town.basket(
        lea,
        [
            {"activity_id": a, "dates": ["2026-09-17"], "action": "cancel"},
            {"activity_id": a, "dates": ["2026-09-22"]},
        ],
    )
    result = await town.validate(lea, mixed)
    assert outcomes(result) == {
        "2026-09-17": ("cancelled", None),
        "2026-09-22": ("confirmed", None),
    }
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])
    assert (await town.calendar(tom, "2026-09"))["2026-09-17"] == "booked_cancellable"
    (cancelled,) = await town.events("booking.ReservationCancelled")
    assert [d["date"] for d in cancelled["payload"]["dates"]] == ["2026-09-17"]
    stored = await town.call(
        "GET", f"/tenants/{TENANT}/baskets/{mixed['id']}", town.family(lea["household_id"])
    )
    assert stored["outcome"] == {"confirmed": 1, "waiting_list": 0, "cancelled": 1, "refused": 0}


async def test_staff_fill_a_basket_on_behalf_of_a_family(town: Town) -> None:
    activity = await town.activity(capacity=1)
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    a, baskets = activity["id"], f"/tenants/{TENANT}/baskets"
    line = {"child_id": str(lea["id"]), "activity_id": a, "dates": ["2026-09-17"]}
    r = await town.call("POST", baskets, town.staff(), {"lines": [line]}, 422)
    assert r["type"].endswith("/household-required")
    assert r["field"] == "household_id"  # the refusal names what is missing (issue 17)
    # A family cannot open a basket for another household.
    r = await town.call(
        "POST",
        baskets,
        town.family(tom["household_id"]),
        {"lines": [], "household_id": str(lea["household_id"])},
        403,
    )
    assert r["type"].endswith("/household-mismatch")

    body = {
        "household_id": str(lea["household_id"]),
        "lines": [line, {**line, "child_id": str(tom["id"]), "dates": ["2026-09-18"]}],
    }
    # Tom is not of the basket's household: refused, naming the line (issue 17).
    r = await town.call("POST", baskets, town.staff(), body, 422)
    assert r["errors"][0]["field"] == "lines.1.child_id"
    basket = await town.call("POST", baskets, town.staff(), {**body, "lines": [line]}, 201)
    assert basket["by_staff"] is True and basket["household_id"] == str(lea["household_id"])
    # The family sees the basket staff opened for it; another family does not.
    await town.call("GET", f"{baskets}/{basket['id']}", town.family(lea["household_id"]))
    await town.call(
        "GET", f"{baskets}/{basket['id']}", town.family(tom["household_id"]), status=404
    )
    result = await town.call("POST", f"{baskets}/{basket['id']}/validate", town.staff(), {})
    by_child = {line["child_id"]: (line["outcome"], line["reason"]) for line in result["lines"]}
    assert by_child == {str(lea["id"]): ("confirmed", None)}
    (validated,) = await town.events("booking.ReservationValidated")
    payload = validated["payload"]
    assert payload["account_id"] is None and payload["household_id"] == str(lea["household_id"])
    assert payload["booked_by_staff"] is not None

    # Staff cancel through a basket too: the cancellation says so.
    cancel = await town.call(
        "POST",
        baskets,
        town.staff(),
        {"household_id": str(lea["household_id"]), "lines": [{**line, "action": "cancel"}]},
        201,
    )
    result = await town.call("POST", f"{baskets}/{cancel['id']}/validate", town.staff(), {})
    assert outcomes(result) == {"2026-09-17": ("cancelled", None)}
    (cancelled,) = await town.events("booking.ReservationCancelled")
    assert cancelled["payload"]["cancelled_by"] == "staff"


async def test_thursday_noon_for_next_week(town: Town) -> None:
    activity = await town.activity(
        booking_deadline={"weekday": 4, "at": "12:00"},
        cancel_deadline={"weekday": 4, "at": "12:00"},
    )
    assert activity["booking_deadline"] == {
        "days_before": 0,
        "at": "12:00",
        "working_days": False,
        "weekday": 4,
    }
    first = await town.enrolled_child(activity)
    second = await town.enrolled_child(activity, first_name="Tom")
    # The week of Monday 14/9 closes on Thursday 10/9 at noon, Paris time.
    town.at(datetime(2026, 9, 10, 11, 59, 59, tzinfo=PARIS))
    r = await town.book(first, activity, "2026-09-14", "2026-09-18")
    assert outcomes(r) == {"2026-09-14": ("confirmed", None), "2026-09-18": ("confirmed", None)}
    town.at(datetime(2026, 9, 10, 12, 0, tzinfo=PARIS))
    r = await town.book(second, activity, "2026-09-18", "2026-09-21")
    assert outcomes(r) == {
        "2026-09-18": ("refused", "deadline_passed"),
        "2026-09-21": ("confirmed", None),
    }
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/activities",
        town.staff(),
        activity_body(booking_deadline={"weekday": 4, "days_before": 2}),
        422,
    )
    r = await town.call(
        "POST",
        f"/tenants/{TENANT}/activities",
        town.staff(),
        activity_body(booking_deadline={"at": "12:00"}),
        422,
    )


async def test_a_full_day_tells_already_booked_from_full(town: Town) -> None:
    """An addition's "already booked" is decided as its place is taken, full day or not."""
    activity = await town.activity(capacity=1)
    lea, tom = [await town.enrolled_child(activity, first_name=n) for n in ("Léa", "Tom")]
    assert outcomes(await town.book(lea, activity, "2026-09-17")) == {
        "2026-09-17": ("confirmed", None)
    }
    # The day is now full: Léa (booked) and Tom (not) both decline the waiting list.
    again = await town.book(lea, activity, "2026-09-17", accept_waiting_list=False)
    assert outcomes(again) == {"2026-09-17": ("refused", "already_booked")}
    full = await town.book(tom, activity, "2026-09-17", accept_waiting_list=False)
    assert outcomes(full) == {"2026-09-17": ("refused", "full")}
    # And on a day with room, a second booking of the same child takes no place.
    assert outcomes(await town.book(tom, activity, "2026-09-18")) == {
        "2026-09-18": ("confirmed", None)
    }
    assert outcomes(await town.book(tom, activity, "2026-09-18")) == {
        "2026-09-18": ("refused", "already_booked")
    }
    booked = await town.pool.fetch(
        "SELECT day::text, booked FROM activity_days WHERE activity_id = $1"
        " AND day IN ('2026-09-17', '2026-09-18') ORDER BY day",
        uuid.UUID(activity["id"]),
    )
    assert [(r["day"], r["booked"]) for r in booked] == [("2026-09-17", 1), ("2026-09-18", 1)]
