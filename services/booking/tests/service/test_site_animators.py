"""The attendance sheet for site animators, unexpected presences and the children search."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from booking import store
from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
DAY = "2026-09-17"  # a Thursday: the activities of these tests open that day
CENTRE = "École du Centre"
BOIS = "École des Bois"


def roll_path(activity: dict[str, Any], day: str = DAY) -> str:
    return f"/tenants/{TENANT}/activities/{activity['id']}/days/{day}/attendance"


def animator(town: Town, *sites: str) -> dict[str, str]:
    return town.tokens.header(tenant=TENANT, roles=("animator",), sites=list(sites))


async def named_child(
    town: Town, first_name: str, last_name: str, *, tenant: str = TENANT
) -> dict[str, Any]:
    payload = {
        "child_id": uuid.uuid4(),
        "household_id": uuid.uuid4(),
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": date(2018, 5, 3),
        "school": CENTRE,
        "grade": "CE2",
        "diet": "standard",
    }
    await store.upsert_child(town.pool, tenant, payload, datetime.now(UTC))
    return {**payload, "id": payload["child_id"]}


async def in_outbox(town: Town, event_type: str = "booking.AttendanceRecorded") -> int:
    return await town.pool.fetchval("SELECT count(*) FROM outbox WHERE type = $1", event_type)


async def test_an_animator_takes_attendance_on_their_own_sites_only(town: Town) -> None:
    centre = await town.activity(site=CENTRE)
    bois = await town.activity(name="Accueil du soir — École des Bois", site=BOIS)
    lea = await town.enrolled_child(centre)
    tom = await town.enrolled_child(bois, first_name="Tom")
    await town.book(lea, centre, DAY)
    await town.book(tom, bois, DAY)
    mine = animator(town, CENTRE)

    listed = await town.call("GET", f"/tenants/{TENANT}/attendance/activities", mine)
    assert [a["id"] for a in listed["items"]] == [centre["id"]]
    every = await town.call("GET", f"/tenants/{TENANT}/attendance/activities", town.staff())
    assert {a["id"] for a in every["items"]} == {centre["id"], bois["id"]}

    roll = await town.call("GET", roll_path(centre), mine)
    assert [c["first_name"] for c in roll["children"]] == ["Léa"]
    refused = await town.call("GET", roll_path(bois), mine, status=403)
    assert refused["type"].endswith("/site-not-yours")
    assert "site" in refused["detail"]

    town.at(datetime(2026, 9, 17, 16, 45, tzinfo=PARIS))
    marks = {"marks": [{"child_id": str(lea["id"]), "status": "present"}]}
    roll = await town.call("POST", roll_path(centre), mine, marks)
    assert roll["present"] == 1
    other = {"marks": [{"child_id": str(tom["id"]), "status": "present"}]}
    await town.call("POST", roll_path(bois), mine, other, status=403)
    unexpected = {"child_id": str(tom["id"])}
    await town.call("POST", roll_path(bois) + "/unexpected", mine, unexpected, status=403)
    assert (await town.call("GET", roll_path(bois), town.staff()))["present"] == 0

    # An animator without sites sees nothing; a family none of it.
    nowhere = animator(town)
    assert (await town.call("GET", f"/tenants/{TENANT}/attendance/activities", nowhere))[
        "items"
    ] == []
    await town.call("GET", roll_path(centre), nowhere, status=403)
    family = town.family(lea["household_id"])
    await town.call("GET", f"/tenants/{TENANT}/attendance/activities", family, status=403)
    await town.call("GET", roll_path(centre), family, status=403)
    await town.call("POST", roll_path(centre) + "/unexpected", family, unexpected, status=403)
    await town.call("GET", f"/tenants/{TENANT}/children?q=tom", family, status=403)
    # Other staff views stay staff-only.
    await town.call("GET", f"/tenants/{TENANT}/meals?from={DAY}&to={DAY}", mine, status=403)


async def test_an_unexpected_presence_is_booked_marked_present_and_counted(town: Town) -> None:
    activity = await town.activity(capacity=1)
    lea = await town.enrolled_child(activity)
    await town.book(lea, activity, DAY)  # the day is full
    tom = await town.enrolled_child(activity, first_name="Tom")
    waiting = await town.book(tom, activity, DAY)
    assert [x["outcome"] for x in waiting["lines"]] == ["waiting_list"], waiting
    zoe = await named_child(town, "Zoé", "Bernard")  # never enrolled, never booked
    path = roll_path(activity) + "/unexpected"
    body = {"child_id": str(zoe["id"])}

    r = await town.call("POST", path, town.staff(), body, status=409)
    assert r["type"].endswith("/attendance-too-early")

    town.at(datetime(2026, 9, 17, 12, 0, tzinfo=PARIS))
    before = await in_outbox(town)
    validated = await in_outbox(town, "booking.ReservationValidated")
    line = await town.call("POST", path, animator(town, "École du Centre"), body, status=201)
    assert line["child_id"] == str(zoe["id"]) and line["household_id"] == str(zoe["household_id"])
    assert line["unexpected"] is True and line["attendance"] == "present"
    assert line["late"] is False

    (recorded,) = await town.events("booking.AttendanceRecorded")
    payload = recorded["payload"]
    assert payload["date"] == DAY and payload["activity_id"] == activity["id"]
    assert payload["marks"] == [
        {
            "booking_id": line["booking_id"],
            "child_id": str(zoe["id"]),
            "household_id": str(zoe["household_id"]),
            "status": "present",
            "late": False,
        }
    ]
    assert await in_outbox(town) == before + 1
    # Never published as booked: billing sees a presence it never saw booked (unexpected).
    assert await in_outbox(town, "booking.ReservationValidated") == validated

    roll = await town.call("GET", roll_path(activity), town.staff())
    assert roll["booked"] == 2 and roll["present"] == 1
    flags = {c["first_name"]: c["unexpected"] for c in roll["children"]}
    assert flags == {"Léa": False, "Zoé": True}
    counter = await town.pool.fetchrow(
        "SELECT booked, capacity FROM activity_days WHERE activity_id = $1 AND day = $2",
        uuid.UUID(activity["id"]),
        date(2026, 9, 17),
    )
    assert (counter["booked"], counter["capacity"]) == (2, 1)  # counted beyond capacity

    # The same child again: the line as it is, nothing more written or published.
    again = await town.call("POST", path, town.staff(), body, status=200)
    assert again == line
    assert await in_outbox(town) == before + 1
    assert (await town.call("GET", roll_path(activity), town.staff()))["booked"] == 2

    # A child already booked that day is marked, not added; an unknown child is refused.
    r = await town.call("POST", path, town.staff(), {"child_id": str(lea["id"])}, status=422)
    assert r["type"].endswith("/already-booked-that-day")
    assert [e["field"] for e in r["errors"]] == ["child_id"]
    stranger = await named_child(town, "Paul", "Durand", tenant="annecy")
    for child_id in (uuid.uuid4(), stranger["id"]):
        r = await town.call("POST", path, town.staff(), {"child_id": str(child_id)}, status=422)
        assert r["type"].endswith("/child-not-found")
        assert [e["field"] for e in r["errors"]] == ["child_id"]
    await town.call("POST", path, town.staff(), {}, status=422)
    # A child of the waiting list who came anyway: taken, counted, flagged, charged likewise.
    line = await town.call("POST", path, town.staff(), {"child_id": str(tom["id"])}, status=201)
    assert line["unexpected"] is True and line["attendance"] == "present"
    assert line["booking_id"] == waiting["lines"][0]["booking_id"]
    roll = await town.call("GET", roll_path(activity), town.staff())
    assert roll["booked"] == 3 and roll["present"] == 2
    await town.events("booking.AttendanceRecorded", 2)
    # Not a day of the activity (a Wednesday).
    closed = roll_path(activity, "2026-09-16") + "/unexpected"
    await town.call("POST", closed, town.staff(), body, status=404)
    assert await in_outbox(town) == before + 2


async def test_the_children_search_ignores_accents_and_shows_little(town: Town) -> None:
    eloise = await named_child(town, "Éloïse", "Dupré")
    await named_child(town, "Eloise", "Martin")
    await named_child(town, "Léa", "Martin")
    await named_child(town, "Eloïse", "Ailleurs", tenant="annecy")

    def search(q: str) -> str:
        return f"/tenants/{TENANT}/children?q={q}"

    found = await town.call("GET", search("eloise"), animator(town, CENTRE))
    assert [(c["first_name"], c["last_name"]) for c in found["items"]] == [
        ("Éloïse", "Dupré"),
        ("Eloise", "Martin"),
    ]
    assert set(found["items"][0]) == {
        "id",
        "first_name",
        "last_name",
        "birth_date",
        "grade",
        "school",
    }
    found = await town.call("GET", search("DUPRE%20élo"), town.staff())
    assert [c["id"] for c in found["items"]] == [str(eloise["id"])]
    assert (await town.call("GET", search("%20"), town.staff()))["items"] == []
    assert (await town.call("GET", f"/tenants/{TENANT}/children", town.staff()))["items"] == []

    for n in range(22):
        await named_child(town, f"Enfant{n:02d}", "Nombreux")
    found = await town.call("GET", search("nombreux"), town.staff())
    assert len(found["items"]) == 20


async def test_openapi_lists_the_sheet_s_new_endpoints(town: Town) -> None:
    paths = (await (await town.client.get("/openapi.json")).json())["paths"]
    assert "get" in paths["/tenants/{tenant}/attendance/activities"]
    assert "get" in paths["/tenants/{tenant}/children"]
    added = paths["/tenants/{tenant}/activities/{activity_id}/days/{day}/attendance/unexpected"]
    assert {"200", "201", "403", "422"} <= set(added["post"]["responses"])
