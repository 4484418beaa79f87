"""Staff close one day of an activity (issue 16): its bookings are cancelled without charge,
one ReservationCancelled each ("day_closed", with the staff's reason, for billing and the
family's email), its waiting list emptied, the day gone from the calendar; twice changes
nothing. A day past its booking deadline is its own calendar state ("sens interdit")."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
# Thursdays of September 2026 (NOW is Tuesday 1 September).
PAST, SOON, LATER = "2026-08-27", "2026-09-17", "2026-09-24"
REASON = "Grève du personnel de restauration"


def path(activity: dict[str, Any], tail: str = "") -> str:
    return f"/tenants/{TENANT}/activities/{activity['id']}{tail}"


async def close(
    town: Town, activity: dict[str, Any], day: str, status: int = 200, **body: Any
) -> Any:
    return await town.call(
        "POST",
        path(activity, f"/days/{day}/close"),
        town.staff(),
        {"reason": REASON, **body},
        status,
    )


async def day_rows(town: Town, activity: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = await town.call("GET", path(activity, "/days"), town.staff())
    return {d["date"]: d for d in body["days"]}


async def test_closing_a_day_cancels_its_bookings_once_each_and_tells_billing(
    town: Town,
) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=2)
    lea = await town.enrolled_child(canteen, first_name="Léa")
    tom = await town.enrolled_child(canteen, first_name="Tom")
    zoe = await town.enrolled_child(canteen, first_name="Zoé")
    await town.book(lea, canteen, SOON, LATER)
    await town.book(tom, canteen, SOON)
    await town.book(zoe, canteen, SOON)  # full: on the waiting list
    assert (await day_rows(town, canteen))[SOON]["waiting"] == 1

    closed = await close(town, canteen, SOON)
    assert closed["date"] == SOON and closed["reason"] == REASON
    assert (closed["cancelled"], closed["waiting_removed"], closed["already_closed"]) == (
        2,
        1,
        False,
    )
    # One event per booked child, "day_closed", never charged, with the staff's words.
    events = await town.events("booking.ReservationCancelled", 2)
    payloads = sorted((e["payload"] for e in events), key=lambda p: p["child_first_name"])
    assert [p["child_first_name"] for p in payloads] == ["Léa", "Tom"]
    for p in payloads:
        assert p["cancelled_by"] == "day_closed" and p["reason"] == REASON
        assert p["charged"] is False and p["basket_id"] is None
        assert [d["date"] for d in p["dates"]] == [SOON]
        assert p["activity_name"] == "Cantine"
    # The day has left the calendar (the other days and bookings are kept).
    rows = await day_rows(town, canteen)
    assert SOON not in rows and rows[LATER]["booked"] == 1
    activity = await town.call("GET", path(canteen), town.staff())
    assert SOON in activity["closed_dates"]
    for kid in (lea, tom, zoe):
        states = await town.calendar(kid, "2026-09")
        assert states[SOON] == "closed"  # no activity that day any more
    assert (await town.calendar(lea, "2026-09"))[LATER] == "booked_cancellable"

    # Closing it again: nothing changes, no one is told twice.
    again = await close(town, canteen, SOON)
    assert again["already_closed"] is True and again["cancelled"] == 0
    # A later cancellation is the next event: none came from the second closing.
    body = await town.call(
        "GET",
        f"/tenants/{TENANT}/children/{lea['id']}/calendar?month=2026-09",
        town.family(lea["household_id"]),
    )
    (lea_later,) = [d for d in body["activities"][0]["days"] if d["date"] == LATER]
    await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{lea_later['booking_id']}/cancel",
        town.staff(),
        {"reason": "Erreur de saisie"},
    )
    await town.events("booking.ReservationCancelled", 3)
    await asyncio.sleep(0.3)
    events = town.tap.of_type("booking.ReservationCancelled")
    assert len(events) == 3
    assert [e["payload"]["cancelled_by"] for e in events].count("day_closed") == 2


async def test_only_an_opening_day_from_today_on_can_be_closed_with_a_reason(
    town: Town,
) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", period_from="2026-08-24")
    problem = await close(town, canteen, PAST, 422)
    assert problem["detail"] == "Un jour passé ne peut pas être fermé."
    problem = await close(town, canteen, "2026-09-16", 404)  # a Wednesday: no activity
    assert problem["detail"] == "L'activité n'a pas lieu ce jour-là."
    problem = await town.call(
        "POST", path(canteen, f"/days/{SOON}/close"), town.staff(), {"reason": ""}, 422
    )
    assert [e["field"] for e in problem["errors"]] == ["reason"]
    kid = await town.enrolled_child(canteen)
    await town.call(
        "POST",
        path(canteen, f"/days/{SOON}/close"),
        town.family(kid["household_id"]),
        {"reason": REASON},
        403,
    )
    assert SOON in await day_rows(town, canteen)  # nothing written
    # An edit dropping a day with children is still refused: closing the day is the way.
    await town.book(kid, canteen, SOON)
    refused = await town.call("PATCH", path(canteen), town.staff(), {"closed_dates": [SOON]}, 422)
    assert refused["days"] == [SOON]
    assert "Fermez chacun de ces jours avec son motif" in refused["detail"]
    assert (await close(town, canteen, SOON))["cancelled"] == 1


async def test_a_day_past_its_booking_deadline_is_not_a_day_without_activity(
    town: Town,
) -> None:
    evening = await town.activity()
    kid = await town.enrolled_child(evening)
    town.at(datetime(2026, 9, 16, 9, 0, tzinfo=PARIS))  # Wednesday 16 September
    states = await town.calendar(kid, "2026-09")
    # Thursday 17: booking closed on Tuesday 15 at 23:59, the activity still runs.
    assert states[SOON] == "deadline_passed"
    assert states["2026-09-15"] == "deadline_passed"  # past: it ran
    assert states["2026-09-16"] == "closed"  # Wednesday: no activity
    assert states["2026-09-18"] == "bookable"  # Friday: booking open until tonight 23:59


async def test_closing_a_day_tells_each_waiting_child_once(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=1)
    lea = await town.enrolled_child(canteen, first_name="Léa")
    tom = await town.enrolled_child(canteen, first_name="Tom")
    zoe = await town.enrolled_child(canteen, first_name="Zoé")
    await town.book(lea, canteen, SOON)
    await town.book(tom, canteen, SOON, LATER)  # waiting on SOON, booked on LATER
    await town.book(zoe, canteen, SOON)  # waiting
    assert (await day_rows(town, canteen))[SOON]["waiting"] == 2

    closed = await close(town, canteen, SOON)
    assert (closed["cancelled"], closed["waiting_removed"]) == (1, 2)
    events = await town.events("booking.WaitingListCancelled", 2)
    payloads = sorted((e["payload"] for e in events), key=lambda p: p["child_first_name"])
    assert [p["child_first_name"] for p in payloads] == ["Tom", "Zoé"]
    for p, kid in zip(payloads, (tom, zoe), strict=True):
        assert p["child_id"] == str(kid["id"]) and p["household_id"] == str(kid["household_id"])
        assert p["date"] == SOON and p["cancelled_by"] == "day_closed"
        assert p["reason"] == REASON and p["activity_name"] == "Cantine"
    # The booked child is told by its ReservationCancelled, naming the child (not the booking).
    (cancelled,) = await town.events("booking.ReservationCancelled", 1)
    assert cancelled["payload"]["child_id"] == str(lea["id"])
    assert (await town.calendar(tom, "2026-09"))[LATER] == "booked_cancellable"

    again = await close(town, canteen, SOON)
    assert again["already_closed"] is True and again["waiting_removed"] == 0
    await asyncio.sleep(0.3)
    assert len(town.tap.of_type("booking.WaitingListCancelled")) == 2
