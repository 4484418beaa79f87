"""Enrollment campaigns (issue 16): the window families enroll in, staff at any time; the
grouped enrollment deciding each line on its own; the yearly file check."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from booking import store
from booking.domain.deadlines import PARIS

from ..conftest import TENANT, Town

CAMPAIGNS = f"/tenants/{TENANT}/campaigns"


def next_year(**extra: Any) -> dict[str, Any]:
    """An activity of the school year 2027-2028."""
    return {
        "name": "Périscolaire 2027-2028",
        "period_from": "2027-09-01",
        "period_to": "2027-12-17",
        **extra,
    }


async def campaign(town: Town, activities: list[dict[str, Any]], **extra: Any) -> Any:
    body = {
        "name": "Périscolaire 2027-2028",
        "school_year": "2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-15",
        "activity_ids": [a["id"] for a in activities],
        **extra,
    }
    return await town.call("POST", CAMPAIGNS, town.staff(), body, 201)


async def enroll(
    town: Town, kid: dict[str, Any], activity: dict[str, Any], headers: Any, status: int
) -> Any:
    body = {"child_id": str(kid["id"]), "activity_id": activity["id"]}
    return await town.call("POST", f"/tenants/{TENANT}/enrollments", headers, body, status)


async def outbox(town: Town, event_type: str) -> int:
    return await town.pool.fetchval("SELECT count(*) FROM outbox WHERE type = $1", event_type)


async def test_a_family_enrolls_within_the_window_staff_at_any_time(town: Town) -> None:
    activity = await town.activity(**next_year())
    created = await campaign(town, [activity], description="Rentrée 2027")
    assert created["state"] == "upcoming"  # today: 1 September 2026
    assert [a["id"] for a in created["activities"]] == [activity["id"]]
    assert created["activities"][0]["period_from"] == "2027-09-01"
    assert created["counts"]["enrollments"] == 0
    kid = await town.child()
    family = town.family(kid["household_id"])

    r = await enroll(town, kid, activity, family, 409)
    assert r["type"].endswith("/campaign-not-open")
    assert r["detail"] == (
        "Les inscriptions pour « Périscolaire 2027-2028 » sont ouvertes du 1er juin au"
        " 15 juillet 2027."
    )
    # Staff at the desk enroll at any time.
    other = await town.child()
    await enroll(town, other, activity, town.staff(), 201)
    # The first day of the window (Paris), and the last one, included.
    town.at(datetime(2027, 6, 1, 0, 5, tzinfo=PARIS))
    seen = await town.call("GET", f"{CAMPAIGNS}/{created['id']}", family)
    assert seen["state"] == "open" and seen["counts"] is None
    await enroll(town, kid, activity, family, 201)
    town.at(datetime(2027, 7, 15, 23, 55, tzinfo=PARIS))
    late = await town.child(kid["household_id"], first_name="Tom")
    await enroll(town, late, activity, family, 201)
    town.at(datetime(2027, 7, 16, 0, 5, tzinfo=PARIS))
    after = await town.child(kid["household_id"], first_name="Zoé")
    r = await enroll(town, after, activity, family, 409)
    assert "étaient ouvertes du 1er juin au 15 juillet 2027" in r["detail"]
    staff_view = await town.call("GET", f"{CAMPAIGNS}/{created['id']}", town.staff())
    assert staff_view["state"] == "closed"
    assert staff_view["counts"]["enrollments"] == 3
    # An activity in no campaign: as before.
    free = await town.activity()
    await enroll(town, after, free, family, 201)


async def test_campaigns_own_their_activities_and_staff_archive_them(town: Town) -> None:
    first, second = await town.activity(**next_year()), await town.activity(**next_year())
    created = await campaign(town, [first])
    r = await town.call(
        "POST",
        CAMPAIGNS,
        town.staff(),
        {
            "name": "Autre",
            "school_year": "2027-2028",
            "opens_on": "2027-06-01",
            "closes_on": "2027-07-15",
            "activity_ids": [second["id"], first["id"]],
        },
        409,
    )
    assert r["type"].endswith("/activity-in-campaign")
    assert r["activity_id"] == first["id"] and "Périscolaire 2027-2028" in r["detail"]
    unknown = str(uuid.uuid4())
    r = await town.call(
        "POST",
        CAMPAIGNS,
        town.staff(),
        {
            "name": "Autre",
            "school_year": "2027-2028",
            "opens_on": "2027-06-01",
            "closes_on": "2027-07-15",
            "activity_ids": [unknown],
        },
        422,
    )
    assert r["errors"][0]["field"] == "activity_ids" and unknown in r["errors"][0]["detail"]
    r = await town.call(
        "POST",
        CAMPAIGNS,
        town.staff(),
        {
            "name": "Autre",
            "school_year": "2027-2029",
            "opens_on": "2027-06-01",
            "closes_on": "2027-05-15",
            "activity_ids": [],
        },
        422,
    )
    assert [e["field"] for e in r["errors"]] == ["school_year"]
    r = await town.call(
        "POST",
        CAMPAIGNS,
        town.staff(),
        {
            "name": "Autre",
            "school_year": "2027-2028",
            "opens_on": "2027-06-01",
            "closes_on": "2027-05-15",
            "activity_ids": [],
        },
        422,
    )
    assert [e["field"] for e in r["errors"]] == ["closes_on"]
    # Families do not create campaigns.
    kid = await town.child()
    family = town.family(kid["household_id"])
    await town.call("POST", CAMPAIGNS, family, {}, 403)

    path = f"{CAMPAIGNS}/{created['id']}"
    changed = await town.call(
        "PATCH",
        path,
        town.staff(),
        {"activity_ids": [first["id"], second["id"]], "closes_on": "2027-07-31"},
    )
    assert len(changed["activities"]) == 2 and changed["closes_on"] == "2027-07-31"
    r = await town.call("PATCH", path, town.staff(), {"closes_on": "2027-05-01"}, 422)
    assert r["errors"][0]["field"] == "closes_on"
    listed = await town.call("GET", CAMPAIGNS, family)
    assert [c["id"] for c in listed["items"]] == [created["id"]]
    archived = await town.call("PATCH", path, town.staff(), {"archived": True})
    assert archived["state"] == "archived"
    assert (await town.call("GET", CAMPAIGNS, family))["items"] == []
    await town.call("GET", path, family, status=404)
    assert [c["id"] for c in (await town.call("GET", CAMPAIGNS, town.staff()))["items"]] == [
        created["id"]
    ]


async def test_a_grouped_enrollment_decides_each_line_on_its_own(town: Town) -> None:
    window = {"opens_on": "2026-08-25", "closes_on": "2026-09-15"}  # open today
    plain = await town.activity(name="Accueil du matin")
    approval = await town.activity(name="Accueil du soir", requires_approval=True)
    cp_only = await town.activity(name="Étude CP", grades=["CP"])
    papers = await town.activity(name="Piscine", required_documents=["certificat_medical"])
    outside = await town.activity(name="Hors campagne")
    created = await campaign(town, [plain, approval, cp_only, papers], **window)
    path = f"{CAMPAIGNS}/{created['id']}/enrollments"
    kid = await town.child(grade="CE2")
    family = town.family(kid["household_id"])

    def lines(*activities: dict[str, Any]) -> dict[str, Any]:
        return {
            "child_id": str(kid["id"]),
            "lines": [{"activity_id": a["id"]} for a in activities],
        }

    r = await town.call("POST", path, family, lines(plain, outside), 422)
    assert r["errors"][0]["field"] == "lines.1.activity_id"
    r = await town.call("POST", path, family, lines(plain, approval, plain), 422)
    assert r["errors"][0]["field"] == "lines.2.activity_id"
    assert await town.pool.fetchval("SELECT count(*) FROM enrollments") == 0

    body = lines(plain, approval, cp_only, papers)
    body["lines"][0].update(mode="regular", weekdays=[1, 4])
    result = await town.call("POST", path, family, body)
    by = {item["activity_id"]: item for item in result["items"]}
    assert [item["activity_id"] for item in result["items"]] == [
        a["id"] for a in (plain, approval, cp_only, papers)
    ]
    assert by[plain["id"]]["outcome"] == "approved"
    assert by[plain["id"]]["enrollment"]["scheduled"]["confirmed"]  # its Mondays, Thursdays
    assert by[approval["id"]]["outcome"] == "pending"
    assert by[approval["id"]]["enrollment"]["status"] == "pending"
    assert by[cp_only["id"]]["outcome"] == "refused"
    assert by[cp_only["id"]]["enrollment"] is None
    assert by[cp_only["id"]]["problem"]["code"] == "not-eligible"
    assert "CP" in by[cp_only["id"]]["problem"]["detail"]
    assert by[papers["id"]]["problem"]["code"] == "missing-documents"
    assert by[papers["id"]]["problem"]["missing_documents"] == ["certificat_medical"]
    rows = await town.pool.fetch(
        "SELECT activity_id, status FROM enrollments WHERE child_id = $1", kid["id"]
    )
    assert {(str(r["activity_id"]), r["status"]) for r in rows} == {
        (plain["id"], "approved"),
        (approval["id"], "pending"),
    }
    # Only the approved line's decision and its booked days were announced.
    assert await outbox(town, "booking.EnrollmentDecided") == 1
    assert await outbox(town, "booking.ReservationValidated") == 1
    (decided,) = await town.events("booking.EnrollmentDecided")
    assert decided["payload"]["activity_id"] == plain["id"]

    # The same request again: each line refused on its own, nothing else changed.
    again = await town.call("POST", path, family, lines(plain, approval))
    assert [i["problem"]["code"] for i in again["items"]] == ["already-enrolled"] * 2
    # Another household's child is not found; outside the window, the whole request is refused
    # for a family, never for staff.
    stranger = town.family(uuid.uuid4())
    await town.call("POST", path, stranger, lines(papers), 404)
    town.at(datetime(2026, 9, 16, 9, 0, tzinfo=PARIS))
    r = await town.call("POST", path, family, lines(papers), 409)
    assert r["type"].endswith("/campaign-not-open")
    staff = await town.call("POST", path, town.staff(), lines(papers))
    assert staff["items"][0]["outcome"] == "approved"  # the desk checked the papers


async def test_the_household_file_is_checked_once_a_year(town: Town) -> None:
    activity = await town.activity(**next_year())
    created = await campaign(town, [activity])
    path = f"{CAMPAIGNS}/{created['id']}/file-check"
    household = uuid.uuid4()
    family = town.family(household)
    await town.call("GET", path, family, status=404)
    first = await town.call("POST", path, family)
    assert first["household_id"] == str(household)
    town.at(datetime(2026, 10, 1, 9, 0, tzinfo=PARIS))
    again = await town.call("POST", path, family, {})
    assert again["checked_at"] == first["checked_at"]  # the first date kept
    assert (await town.call("GET", path, family)) == first
    # Staff check it for the household they name; without one, 422 naming household_id.
    other = (await town.child(first_name="Tom"))["household_id"]
    r = await town.call("POST", path, town.staff(), {}, 422)
    assert r["errors"][0]["field"] == "household_id"
    checked = await town.call("POST", path, town.staff(), {"household_id": str(other)})
    assert checked["household_id"] == str(other)
    got = await town.call("GET", f"{path}?household_id={other}", town.staff())
    assert got == checked
    counts = (await town.call("GET", f"{CAMPAIGNS}/{created['id']}", town.staff()))["counts"]
    assert counts["file_checks"] == 2


async def test_documents_expired_before_the_new_period_are_asked_again(town: Town) -> None:
    window = {"opens_on": "2026-08-25", "closes_on": "2026-09-15"}
    activity = await town.activity(**next_year(required_documents=["certificat_medical"]))
    created = await campaign(town, [activity], **window)
    kid = await town.child()
    await store.upsert_document(
        town.pool,
        TENANT,
        {
            "document_id": uuid.uuid4(),
            "household_id": kid["household_id"],
            "child_id": kid["id"],
            "document_type": "certificat_medical",
            "document_label": "Certificat médical",
            "valid_until": date(2027, 8, 31),  # valid today, not on 1 September 2027
        },
        "valid",
        datetime.now(UTC),
    )
    result = await town.call(
        "POST",
        f"{CAMPAIGNS}/{created['id']}/enrollments",
        town.family(kid["household_id"]),
        {"child_id": str(kid["id"]), "lines": [{"activity_id": activity["id"]}]},
    )
    (item,) = result["items"]
    assert item["outcome"] == "refused"
    assert item["problem"]["missing_documents"] == ["certificat_medical"]
    assert "Certificat médical" in item["problem"]["detail"]
