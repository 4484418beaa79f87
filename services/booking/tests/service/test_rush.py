"""The opening-morning rush: many families validate at once for the last places."""

from __future__ import annotations

import asyncio
import random
from datetime import date
from typing import Any

import pytest

from shared.events.envelope import parse_event

from ..conftest import TENANT

Town = Any
DAYS = ["2026-10-05", "2026-10-06", "2026-10-08"]


# Both ledgers: the validations grouped (the default) and each on its own.
@pytest.mark.parametrize(
    "booking_settings", [{}, {"group_commit": False}], indirect=True, ids=["grouped", "direct"]
)
async def test_fifty_families_race_for_twenty_places_without_overbooking(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=20)
    kids = await asyncio.gather(
        *(town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(50))
    )
    baskets = []
    for i, kid in enumerate(kids):
        days = DAYS[:]
        random.Random(i).shuffle(days)  # lines in any order: still no deadlock
        baskets.append(await town.basket(kid, [{"activity_id": activity["id"], "dates": days}]))

    results = await asyncio.gather(
        *(town.validate(kid, basket) for kid, basket in zip(kids, baskets, strict=True))
    )
    for day in DAYS:
        outcomes = [line["outcome"] for r in results for line in r["lines"] if line["date"] == day]
        assert outcomes.count("confirmed") == 20, day
        assert outcomes.count("waiting_list") == 30, day

    async with town.pool.acquire() as conn:
        counters = await conn.fetch(
            "SELECT day::text, booked, capacity FROM activity_days"
            " WHERE activity_id = $1 AND day = ANY($2::date[]) ORDER BY day",
            activity["id"],
            [date.fromisoformat(d) for d in DAYS],
        )
        assert [(r["day"], r["booked"]) for r in counters] == [(d, 20) for d in DAYS]
        rows = await conn.fetch(
            "SELECT day::text, status, count(*) AS n FROM bookings WHERE activity_id = $1"
            " GROUP BY day, status ORDER BY day, status",
            activity["id"],
        )
        assert [(r["day"], r["status"], r["n"]) for r in rows] == [
            x for d in DAYS for x in ((d, "booked", 20), (d, "waiting", 30))
        ]
    # The waiting list order is the order the places were refused in, one rank each.
    body = await town.call(
        "GET", f"/tenants/{TENANT}/activities/{activity['id']}/days", town.staff()
    )
    by_day = {d["date"]: (d["booked"], d["waiting"]) for d in body["days"]}
    assert all(by_day[d] == (20, 30) for d in DAYS)
    validated = await town.events("booking.ReservationValidated", 50)
    assert sum(len(e["payload"]["dates"]) for e in validated) == 60
    for envelope in validated:  # as every consumer reads them: checked by the contract
        parse_event(envelope)
