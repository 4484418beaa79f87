"""The calendar tells a child on the waiting list its place on it (arrival order), which the
families' portal shows on the day and after validating a basket."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any


async def positions(town: Town, kid: dict[str, Any]) -> dict[str, Any]:
    body = await town.call(
        "GET",
        f"/tenants/{TENANT}/children/{kid['id']}/calendar?month=2026-09",
        town.family(kid["household_id"]),
    )
    (activity,) = body["activities"]
    return {
        d["date"]: (d["state"], d["waiting_position"])
        for d in activity["days"]
        if d["date"] in ("2026-09-17", "2026-09-18")
    }


async def test_a_waiting_child_sees_its_place_and_moves_up(town: Town) -> None:
    activity = await town.activity(capacity=1)
    kids = [await town.enrolled_child(activity, first_name=n) for n in ("Léa", "Tom", "Zoé")]
    for kid in kids:
        await town.book(kid, activity, "2026-09-17")
    assert (await positions(town, kids[0]))["2026-09-17"] == ("booked_cancellable", None)
    assert (await positions(town, kids[1]))["2026-09-17"] == ("waiting_list", 1)
    assert (await positions(town, kids[2]))["2026-09-17"] == ("waiting_list", 2)
    assert (await positions(town, kids[2]))["2026-09-18"] == ("bookable", None)

    # Léa's place is freed: Tom takes it, Zoé is next.
    town.at(datetime(2026, 9, 16, 11, 0, tzinfo=PARIS))
    basket = await town.basket(
        kids[0], [{"activity_id": activity["id"], "dates": ["2026-09-17"], "action": "cancel"}]
    )
    await town.validate(kids[0], basket)
    assert (await positions(town, kids[1]))["2026-09-17"] == ("booked_cancellable", None)
    assert (await positions(town, kids[2]))["2026-09-17"] == ("waiting_list", 1)
