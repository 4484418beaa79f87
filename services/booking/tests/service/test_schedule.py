"""Fixed schedules: a regular pattern chosen at enrollment, or a `schedule` activity, books its
days when the enrollment is approved, through the basket path (capacity, waiting list)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any


async def enroll(town: Town, kid: dict[str, Any], activity: dict[str, Any], **body: Any) -> Any:
    return await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(kid["household_id"]),
        {"child_id": str(kid["id"]), "activity_id": activity["id"], **body},
        status=201,
    )


async def occupancy(town: Town, activity: dict[str, Any]) -> dict[str, tuple[int, int]]:
    body = await town.call(
        "GET", f"/tenants/{TENANT}/activities/{activity['id']}/days", town.staff()
    )
    return {d["date"]: (d["booked"], d["waiting"]) for d in body["days"]}


async def test_staff_approval_books_the_pattern_from_then_on_across_a_holiday(
    town: Town,
) -> None:
    activity = await town.activity(
        period_from="2026-11-02",
        period_to="2026-11-20",
        weekdays=[1, 2, 3, 4, 5],
        school_time=False,
        closed_dates=["2026-11-16"],
        requires_approval=True,
    )
    assert activity["booking_mode"] == "free"
    kid = await town.child()
    pending = await enroll(town, kid, activity, mode="regular", weekdays=[1, 3])
    assert pending["status"] == "pending" and pending["scheduled"] is None
    assert pending["weekdays"] == [1, 3] and pending["every_n_weeks"] == 1
    assert all(v == (0, 0) for v in (await occupancy(town, activity)).values())

    # Approved on Tuesday 3 November at 10:00: Mon 2 is past, Wed 4 closed for booking on
    # Mon 2 at 23:59, Wed 11 is Armistice Day, Mon 16 closed by hand.
    town.at(datetime(2026, 11, 3, 10, 0, tzinfo=PARIS))
    decided = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments/{pending['id']}/decision",
        town.staff(),
        {"decision": "approved"},
    )
    assert decided["status"] == "approved"
    scheduled = decided["scheduled"]
    assert scheduled["confirmed"] == ["2026-11-09", "2026-11-18"]
    assert scheduled["waiting_list"] == [] and scheduled["refused"] == []
    (validated,) = await town.events("booking.ReservationValidated")
    payload = validated["payload"]
    assert payload["basket_id"] == scheduled["basket_id"]
    assert payload["child_id"] == str(kid["id"])
    assert [d["date"] for d in payload["dates"]] == ["2026-11-09", "2026-11-18"]
    assert payload["waiting_dates"] == [] and payload["booked_by_staff"] is not None
    assert not any(d["late"] for d in payload["dates"])
    booked = {day for day, (n, _) in (await occupancy(town, activity)).items() if n}
    assert booked == {"2026-11-09", "2026-11-18"}
    states = await town.calendar(kid, "2026-11")
    assert states["2026-11-09"] == states["2026-11-18"] == "booked_cancellable"
    assert states["2026-11-11"] == "closed" and states["2026-11-23"] == "closed"


async def test_one_week_in_two_is_booked_at_once_when_no_approval_is_needed(
    town: Town,
) -> None:
    activity = await town.activity(
        period_from="2026-09-01", period_to="2026-09-30", school_time=False
    )
    kid = await town.child()
    # Tuesday 1 September, 08:00: today's booking closed on 30 August.
    row = await enroll(town, kid, activity, mode="regular", weekdays=[2], every_n_weeks=2)
    assert row["status"] == "approved" and row["every_n_weeks"] == 2
    # Weeks counted from the period's first week: 1/9 (past its deadline), 15/9, 29/9.
    assert row["scheduled"]["confirmed"] == ["2026-09-15", "2026-09-29"]
    (validated,) = await town.events("booking.ReservationValidated")
    assert [d["date"] for d in validated["payload"]["dates"]] == ["2026-09-15", "2026-09-29"]
    assert validated["payload"]["account_id"] is not None


async def test_a_full_day_of_a_schedule_activity_goes_to_the_waiting_list(town: Town) -> None:
    activity = await town.activity(
        booking_mode="schedule",
        capacity=1,
        period_from="2026-09-14",
        period_to="2026-09-18",
        school_time=False,
    )
    assert activity["booking_mode"] == "schedule"
    first = await town.child(first_name="Léa")
    row = await enroll(town, first, activity, mode="regular", weekdays=[4])
    assert row["scheduled"]["confirmed"] == ["2026-09-17"]

    # No pattern on a schedule activity: every opening day (Wed 16 is not one).
    second = await town.child(first_name="Tom")
    row = await enroll(town, second, activity)
    assert row["mode"] == "regular" and row["weekdays"] is None
    assert row["scheduled"]["confirmed"] == ["2026-09-14", "2026-09-15", "2026-09-18"]
    assert row["scheduled"]["waiting_list"] == ["2026-09-17"]
    events = await town.events("booking.ReservationValidated", 2)
    mine = next(e for e in events if e["payload"]["child_id"] == str(second["id"]))
    assert [d["date"] for d in mine["payload"]["dates"]] == [
        "2026-09-14",
        "2026-09-15",
        "2026-09-18",
    ]
    assert mine["payload"]["waiting_dates"] == ["2026-09-17"]
    assert await occupancy(town, activity) == {
        "2026-09-14": (1, 0),
        "2026-09-15": (1, 0),
        "2026-09-17": (1, 1),
        "2026-09-18": (1, 0),
    }
    assert (await town.calendar(second, "2026-09"))["2026-09-17"] == "waiting_list"


async def test_i_will_book_occasionally_books_nothing(town: Town) -> None:
    activity = await town.activity(school_time=False, requires_approval=True)
    kid = await town.child()
    pending = await enroll(town, kid, activity, mode="occasional", weekdays=[1, 2])
    assert pending["weekdays"] is None
    decided = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments/{pending['id']}/decision",
        town.staff(),
        {"decision": "approved"},
    )
    assert decided["status"] == "approved" and decided["scheduled"] is None
    other = await town.child(first_name="Tom")
    auto = await town.activity(name="Sport", type="SPORT", school_time=False)
    row = await enroll(town, other, auto)
    assert row["status"] == "approved" and row["scheduled"] is None
    for a in (activity, auto):
        assert all(v == (0, 0) for v in (await occupancy(town, a)).values())
    states = await town.calendar(kid, "2026-09", activity_id=activity["id"])
    assert states["2026-09-14"] == "bookable"
    # And a refused enrollment books nothing either.
    third = await town.child(first_name="Zoé")
    pending = await enroll(town, third, activity, mode="regular", weekdays=[1])
    refused = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments/{pending['id']}/decision",
        town.staff(),
        {"decision": "rejected", "reason": "Plus de place cette année."},
    )
    assert refused["status"] == "rejected" and refused["scheduled"] is None
    assert all(v == (0, 0) for v in (await occupancy(town, activity)).values())
