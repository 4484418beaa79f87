"""Staff views: occupancy per day and site, the kitchen's meals per day, site and diet."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
DAY = "2026-09-17"


async def test_occupancy_per_day_and_site(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=2)
    evening = await town.activity(name="Accueil du soir", capacity=5)
    other = await town.activity(type="CANTINE", name="Cantine du Lac", site="École du Lac")
    kids = [await town.enrolled_child(canteen, first_name=n) for n in ("Léa", "Tom", "Zoé")]
    for kid in kids:
        await town.book(kid, canteen, DAY)  # the third goes to the waiting list
    await town.enrolled_child(evening)
    lea = kids[0]
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(lea["household_id"]),
        {"child_id": str(lea["id"]), "activity_id": evening["id"]},
        201,
    )
    await town.book(lea, evening, DAY)
    path = f"/tenants/{TENANT}/occupancy?from={DAY}&to=2026-09-18"
    body = await town.call("GET", path, town.staff())
    by = {(d["date"], d["site"]): d for d in body["days"]}
    centre = by[(DAY, "École du Centre")]
    assert (centre["capacity"], centre["booked"], centre["waiting"]) == (7, 3, 1)
    assert [(a["name"], a["booked"], a["waiting"]) for a in centre["activities"]] == [
        ("Accueil du soir", 1, 0),
        ("Cantine", 2, 1),
    ]
    lac = by[(DAY, "École du Lac")]
    assert (lac["capacity"], lac["booked"], lac["waiting"]) == (20, 0, 0)
    assert lac["activities"][0]["activity_id"] == other["id"]
    assert by[("2026-09-18", "École du Centre")]["booked"] == 0
    only = await town.call("GET", path + "&site=École du Lac", town.staff())
    assert {d["site"] for d in only["days"]} == {"École du Lac"}
    await town.call("GET", path, town.family(lea["household_id"]), status=403)
    await town.call(
        "GET",
        f"/tenants/{TENANT}/occupancy?from=2026-09-01&to=2027-09-01",
        town.staff(),
        status=422,
    )


async def test_meal_counts_per_day_and_site_by_diet(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine")
    lac = await town.activity(type="CANTINE", name="Cantine du Lac", site="École du Lac")
    evening = await town.activity(name="Accueil du soir")  # no meal
    names = ("Léa", "Tom", "Zoé", "Noé")
    kids = [await town.enrolled_child(canteen, first_name=n) for n in names]
    async with town.pool.acquire() as conn:
        await conn.execute("UPDATE children SET diet = 'no_pork' WHERE id = $1", kids[1]["id"])
        await conn.execute("UPDATE children SET diet = 'vegetarian' WHERE id = $1", kids[2]["id"])
    for kid in kids:
        await town.book(kid, canteen, DAY)
    lac_kid = await town.enrolled_child(lac)
    await town.book(lac_kid, lac, DAY, "2026-09-18")
    evening_kid = await town.enrolled_child(evening)
    await town.book(evening_kid, evening, DAY)
    # Noé is marked absent at lunch: still booked, no longer expected.
    town.at(datetime(2026, 9, 17, 11, 0, tzinfo=PARIS))
    await town.call(
        "POST",
        f"/tenants/{TENANT}/activities/{canteen['id']}/days/{DAY}/attendance",
        town.staff(),
        {"marks": [{"child_id": str(kids[3]["id"]), "status": "absent"}]},
    )
    body = await town.call("GET", f"/tenants/{TENANT}/meals?from={DAY}&to=2026-09-18", town.staff())
    assert body["days"] == [
        {
            "date": DAY,
            "site": "École du Centre",
            "meals": 4,
            "expected": 3,
            "diets": {"no_pork": 1, "standard": 2, "vegetarian": 1},
            "expected_diets": {"no_pork": 1, "standard": 1, "vegetarian": 1},
        },
        {
            "date": DAY,
            "site": "École du Lac",
            "meals": 1,
            "expected": 1,
            "diets": {"standard": 1},
            "expected_diets": {"standard": 1},
        },
        {
            "date": "2026-09-18",
            "site": "École du Lac",
            "meals": 1,
            "expected": 1,
            "diets": {"standard": 1},
            "expected_diets": {"standard": 1},
        },
    ]
    both = await town.call(
        "GET",
        f"/tenants/{TENANT}/meals?from={DAY}&to={DAY}&type=CANTINE,PERI&site=École du Centre",
        town.staff(),
    )
    assert [d["meals"] for d in both["days"]] == [5]
    await town.call(
        "GET", f"/tenants/{TENANT}/meals?from={DAY}&to={DAY}&type=PIZZA", town.staff(), status=422
    )
