"""The reads behind the families' history: validated baskets of a household (its family, or
staff naming it), and one household's enrollments and absences for staff."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
BASKETS = f"/tenants/{TENANT}/baskets"


async def test_validated_baskets_of_a_household(town: Town) -> None:
    activity = await town.activity()
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    town.at(datetime(2026, 9, 9, 9, 0, tzinfo=PARIS))
    first = await town.book(lea, activity, "2026-09-14", "2026-09-15")
    opened = await town.basket(lea, [{"activity_id": activity["id"], "dates": ["2026-09-17"]}])
    town.at(datetime(2026, 9, 10, 9, 0, tzinfo=PARIS))
    second = await town.book(lea, activity, "2026-09-07")  # a past day: refused
    await town.book(tom, activity, "2026-09-14")

    body = await town.call("GET", BASKETS, town.family(lea["household_id"]))
    items = body["items"]
    assert [b["id"] for b in items] == [second["basket_id"], first["basket_id"]]
    assert opened["id"] not in [b["id"] for b in items]  # still open: not in the history
    assert items[0]["outcome"]["refused"] == 1 and items[0]["line_count"] == 1
    assert items[1]["outcome"]["confirmed"] == 2 and items[1]["line_count"] == 2
    assert items[1]["validated_at"].startswith("2026-09-09")
    page = await town.call("GET", f"{BASKETS}?limit=1&offset=1", town.family(lea["household_id"]))
    assert [b["id"] for b in page["items"]] == [first["basket_id"]]

    # Staff name the household; a family cannot look at another's.
    r = await town.call("GET", BASKETS, town.staff(), status=422)
    assert r["type"].endswith("/household-required")
    assert r["field"] == "household_id"
    staff_view = await town.call(
        "GET", f"{BASKETS}?household_id={lea['household_id']}", town.staff()
    )
    assert staff_view == body
    r = await town.call(
        "GET",
        f"{BASKETS}?household_id={lea['household_id']}",
        town.family(tom["household_id"]),
        status=403,
    )
    assert r["type"].endswith("/household-mismatch")
    await town.call("GET", f"{BASKETS}?limit=0", town.staff(), status=422)


async def test_staff_read_one_households_enrollments_and_absences(town: Town) -> None:
    activity = await town.activity()
    lea = await town.enrolled_child(activity)
    tom = await town.enrolled_child(activity, first_name="Tom")
    enrollments = f"/tenants/{TENANT}/enrollments"
    every = await town.call("GET", enrollments, town.staff())
    assert len(every["items"]) == 2
    one = await town.call("GET", f"{enrollments}?household_id={lea['household_id']}", town.staff())
    assert [e["child_id"] for e in one["items"]] == [str(lea["id"])]
    # A family's own household wins over a household_id it names.
    own = await town.call(
        "GET", f"{enrollments}?household_id={lea['household_id']}", town.family(tom["household_id"])
    )
    assert [e["child_id"] for e in own["items"]] == [str(tom["id"])]
    absences = await town.call(
        "GET", f"/tenants/{TENANT}/absences?household_id={lea['household_id']}", town.staff()
    )
    assert absences["items"] == []


async def test_openapi_lists_the_baskets_and_the_household_filters(town: Town) -> None:
    paths = (await (await town.client.get("/openapi.json")).json())["paths"]
    listed = paths["/tenants/{tenant}/baskets"]["get"]
    names = {p["name"] for p in listed.get("parameters", [])}
    assert {"household_id", "limit", "offset"} <= names
    for path in ("/tenants/{tenant}/enrollments", "/tenants/{tenant}/absences"):
        assert "household_id" in {p["name"] for p in paths[path]["get"].get("parameters", [])}
