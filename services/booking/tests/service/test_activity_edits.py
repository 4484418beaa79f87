"""Staff change an activity (for the days to come), close and reopen it, and read its
waiting lists; an animator reads those of their sites only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from booking.domain.deadlines import PARIS

from ..conftest import TENANT

Town = Any
# Thursdays of September 2026 (NOW is Tuesday 1 September).
PAST, TODAY, SOON, LATER = "2026-09-03", "2026-09-10", "2026-09-17", "2026-09-24"


def path(activity: dict[str, Any], tail: str = "") -> str:
    return f"/tenants/{TENANT}/activities/{activity['id']}{tail}"


async def days(town: Town, activity: dict[str, Any]) -> dict[str, dict[str, Any]]:
    body = await town.call("GET", path(activity, "/days"), town.staff())
    return {d["date"]: d for d in body["days"]}


def animator(town: Town, *sites: str) -> dict[str, str]:
    return town.tokens.header(tenant=TENANT, roles=("animator",), sites=list(sites))


async def test_an_edit_applies_to_the_days_after_today(town: Town) -> None:
    evening = await town.activity(capacity=5)
    kid = await town.enrolled_child(evening)
    await town.book(kid, evening, PAST, SOON)
    town.at(datetime(2026, 9, 10, 9, 0, tzinfo=PARIS))  # now Thursday 10 September
    changed = await town.call(
        "PATCH",
        path(evening),
        town.staff(),
        {"name": "Accueil du soir", "capacity": 8, "weekdays": [4], "max_age": 10},
    )
    assert (changed["name"], changed["capacity"], changed["weekdays"]) == (
        "Accueil du soir",
        8,
        [4],
    )
    assert changed["max_age"] == 10 and changed["type"] == "PERI"
    after = await days(town, evening)
    # Today and the past keep their capacity; the days to come take the new one.
    assert after[PAST]["capacity"] == after[TODAY]["capacity"] == 5
    assert after[SOON]["capacity"] == after[LATER]["capacity"] == 8
    assert after[PAST]["booked"] == after[SOON]["booked"] == 1  # bookings kept
    # Mondays after today are no longer opening days; the past Monday stays.
    assert "2026-09-07" in after and "2026-09-14" not in after
    assert "2026-09-15" not in after and "2026-09-01" in after


async def test_the_calendar_keeps_the_days_before_an_edit(town: Town) -> None:
    """New opening rules never rewrite the past in the families' calendar: a past Monday the
    activity ran stays a day past its deadline (not a day without activity), a past
    Wednesday it did not run stays without activity; the days to come follow the rules."""
    evening = await town.activity(capacity=5)
    kid = await town.enrolled_child(evening)
    town.at(datetime(2026, 9, 10, 9, 0, tzinfo=PARIS))  # now Thursday 10 September
    await town.call("PATCH", path(evening), town.staff(), {"weekdays": [3, 4]})
    states = await town.calendar(kid, "2026-09")
    assert states["2026-09-07"] == "deadline_passed"  # a past Monday: it ran
    assert states["2026-09-09"] == "closed"  # a past Wednesday: it did not
    assert states["2026-09-14"] == "closed"  # Mondays after today: no longer
    assert states["2026-09-16"] == "bookable"  # Wednesdays after today: now
    assert states["2026-09-10"] == "deadline_passed"  # today keeps its day (Thursday)


async def test_each_rule_of_an_activity_is_editable_and_keeps_what_was_made(
    town: Town,
) -> None:
    """Name, deadlines, eligibility and required documents change through the PATCH; the
    child enrolled and booked before keeps its enrollment and its days, a new child meets
    the new rules."""
    evening = await town.activity()
    kid = await town.enrolled_child(evening)  # 8 years old, no document asked
    await town.book(kid, evening, SOON)
    changes = {
        "name": "Accueil du soir (nouveau)",
        "booking_deadline": {"days_before": 20, "at": "12:00", "working_days": False},
        "cancel_deadline": {"days_before": 3, "at": "18:00", "working_days": True},
        "late_allowed": True,
        "late_deadline": {"days_before": 1, "at": "10:00", "working_days": False},
        "min_age": 9,
        "max_age": 10,
        "grades": ["CE2", "CM1"],
        "required_documents": ["certificat_medical"],
    }
    changed = await town.call("PATCH", path(evening), town.staff(), changes)
    for key, value in changes.items():
        got = changed[key]
        if isinstance(value, dict):
            got = {k: got[k] for k in value}
        assert got == value, key
    after = await town.call("GET", path(evening), town.staff())
    assert after["name"] == changes["name"] and after["required_documents"] == [
        "certificat_medical"
    ]
    # What was made stays: the enrollment, the booked day.
    (enrollment,) = (
        await town.call(
            "GET",
            f"/tenants/{TENANT}/enrollments?child_id={kid['id']}",
            town.family(kid["household_id"]),
        )
    )["items"]
    assert enrollment["status"] == "approved"
    assert (await days(town, evening))[SOON]["booked"] == 1
    states = await town.calendar(kid, "2026-09")
    assert states[SOON] == "booked_cancellable"
    # The new rules for what comes: the child (8) no longer eligible for new days; a new
    # child of the right age and grade needs the document.
    assert states[LATER] == "not_eligible"
    other = await town.child(birth_date=date(2017, 3, 1), grade="CM1")
    body = {"child_id": str(other["id"]), "activity_id": evening["id"]}
    refused = await town.call(
        "POST", f"/tenants/{TENANT}/enrollments", town.family(other["household_id"]), body, 422
    )
    assert refused["missing_documents"] == ["certificat_medical"]


async def test_a_capacity_under_future_bookings_is_refused_naming_the_days(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=3)
    for name in ("Léa", "Tom", "Zoé"):
        await town.book(await town.enrolled_child(canteen, first_name=name), canteen, SOON)
    kid = await town.enrolled_child(canteen, first_name="Noé")
    await town.book(kid, canteen, LATER)
    problem = await town.call("PATCH", path(canteen), town.staff(), {"capacity": 2}, 422)
    assert problem["days"] == [SOON]
    assert [e["field"] for e in problem["errors"]] == ["capacity"]
    assert "17/09/2026" in problem["detail"] and "3 inscrits" in problem["detail"]
    assert (await days(town, canteen))[SOON]["capacity"] == 3  # nothing written
    assert (await town.call("GET", path(canteen), town.staff()))["capacity"] == 3


async def test_more_places_move_the_waiting_list_up(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=1)
    await town.book(await town.enrolled_child(canteen, first_name="Léa"), canteen, SOON)
    await town.book(await town.enrolled_child(canteen, first_name="Tom"), canteen, SOON)
    assert (await days(town, canteen))[SOON]["waiting"] == 1
    await town.call("PATCH", path(canteen), town.staff(), {"capacity": 2})
    day = (await days(town, canteen))[SOON]
    assert (day["capacity"], day["booked"], day["waiting"]) == (2, 2, 0)
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_first_name"] == "Tom"


async def test_dropping_a_day_with_children_is_refused(town: Town) -> None:
    evening = await town.activity()
    await town.book(await town.enrolled_child(evening), evening, SOON)
    problem = await town.call("PATCH", path(evening), town.staff(), {"weekdays": [1, 2]}, 422)
    assert problem["days"] == [SOON] and problem["errors"][0]["field"] == "weekdays"
    assert SOON in await days(town, evening)


async def test_an_edit_keeps_the_rules_of_creation(town: Town) -> None:
    evening = await town.activity()
    problem = await town.call("PATCH", path(evening), town.staff(), {"max_age": 2}, 422)
    assert [e["field"] for e in problem["errors"]] == ["max_age"]
    problem = await town.call("PATCH", path(evening), town.staff(), {"type": "SPORT"}, 422)
    assert problem["errors"][0]["field"] == "type"
    kid = await town.child()
    await town.call("PATCH", path(evening), town.family(kid["household_id"]), {}, 403)


async def test_a_closed_activity_takes_no_new_basket_nor_enrollment(town: Town) -> None:
    evening = await town.activity()
    kid = await town.enrolled_child(evening)
    await town.book(kid, evening, SOON)
    early = await town.basket(kid, [{"activity_id": evening["id"], "dates": [LATER]}])
    closed = await town.call("POST", path(evening, "/close"), town.staff())
    assert closed["closed"] is True and closed["closed_at"]
    again = await town.call("POST", path(evening, "/close"), town.staff())
    assert again["closed_at"] == closed["closed_at"]  # idempotent
    listed = await town.call("GET", f"/tenants/{TENANT}/activities", town.staff())
    assert [a["closed"] for a in listed["items"]] == [True]
    problem = await town.basket(kid, [{"activity_id": evening["id"], "dates": [LATER]}], 409)
    assert problem["type"].endswith("activity-closed")
    other = await town.child(first_name="Tom")
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(other["household_id"]),
        {"child_id": str(other["id"]), "activity_id": evening["id"]},
        409,
    )
    # A basket filled before the closing gets its days refused at validation.
    result = await town.validate(kid, early)
    assert [line["reason"] for line in result["lines"]] == ["activity_closed"]
    assert (await days(town, evening))[SOON]["booked"] == 1  # the booking made is kept
    reopened = await town.call("POST", path(evening, "/reopen"), town.staff())
    assert reopened["closed"] is False and reopened["closed_at"] is None
    await town.book(kid, evening, LATER)
    assert (await days(town, evening))[LATER]["booked"] == 1


async def test_an_archived_activity_leaves_the_lists_and_keeps_its_bookings(town: Town) -> None:
    old = await town.activity(name="Périscolaire 2025-2026")
    kept = await town.activity(name="Périscolaire 2026-2027")
    kid = await town.enrolled_child(old)
    await town.book(kid, old, SOON)
    family = town.family(kid["household_id"])
    activities = f"/tenants/{TENANT}/activities"
    # A family cannot archive.
    await town.call("POST", path(old, "/archive"), family, None, 403)
    archived = await town.call("POST", path(old, "/archive"), town.staff())
    assert archived["archived"] is True and archived["closed"] is True
    again = await town.call("POST", path(old, "/archive"), town.staff())
    assert again["archived_at"] == archived["archived_at"]  # idempotent
    for caller in (town.staff(), family):
        listed = await town.call("GET", activities, caller)
        assert [a["id"] for a in listed["items"]] == [kept["id"]]
    only = await town.call("GET", f"{activities}?archived=true", town.staff())
    assert [a["id"] for a in only["items"]] == [old["id"]]
    # A family asking for the archived ones gets the catalogue, nothing archived.
    asked = await town.call("GET", f"{activities}?archived=true", family)
    assert [a["id"] for a in asked["items"]] == [kept["id"]]
    # Closed with it: no new basket; the booking made stays, and the activity is still read.
    problem = await town.basket(kid, [{"activity_id": old["id"], "dates": [LATER]}], 409)
    assert problem["type"].endswith("activity-closed")
    assert (await days(town, old))[SOON]["booked"] == 1
    assert (await town.call("GET", path(old), family))["archived"] is True
    back = await town.call("POST", path(old, "/unarchive"), town.staff())
    assert back["archived"] is False and back["closed"] is True  # reopening is its own step
    listed = await town.call("GET", activities, town.staff())
    assert {a["id"] for a in listed["items"]} == {old["id"], kept["id"]}


async def test_the_waiting_list_is_in_arrival_order(town: Town) -> None:
    canteen = await town.activity(type="CANTINE", name="Cantine", capacity=1)
    kids = [await town.enrolled_child(canteen, first_name=n) for n in ("Léa", "Zoé", "Tom")]
    for kid in kids:
        await town.book(kid, canteen, SOON)
    body = await town.call(
        "GET", path(canteen, f"/waiting-list?from={SOON}&to=2026-09-18"), town.staff()
    )
    assert body["site"] == "École du Centre"
    soon, later = body["days"]
    assert (soon["date"], soon["capacity"], soon["booked"]) == (SOON, 1, 1)
    assert [(c["position"], c["child_first_name"]) for c in soon["children"]] == [
        (1, "Zoé"),
        (2, "Tom"),
    ]
    assert soon["children"][0]["household_id"] == str(kids[1]["household_id"])
    assert soon["children"][0]["since"] <= soon["children"][1]["since"]
    assert later["children"] == []
    await town.call(
        "GET", path(canteen, "/waiting-list"), town.family(kids[0]["household_id"]), status=403
    )


async def test_an_animator_sees_only_their_sites(town: Town) -> None:
    centre = await town.activity(type="CANTINE", name="Cantine")
    lac = await town.activity(type="CANTINE", name="Cantine du Lac", site="École du Lac")
    mine = animator(town, "École du Lac")
    await town.call("GET", path(lac, "/waiting-list"), mine)
    assert (await town.call("GET", path(lac), mine))["name"] == "Cantine du Lac"
    await town.call("GET", path(centre, "/waiting-list"), mine, status=403)
    body = await town.call("GET", f"/tenants/{TENANT}/occupancy?from={SOON}&to={SOON}", mine)
    assert {d["site"] for d in body["days"]} == {"École du Lac"}
    assert body["days"][0]["activities"][0]["activity_id"] == lac["id"]
    await town.call("PATCH", path(lac), mine, {"capacity": 3}, 403)
    await town.call("POST", path(lac, "/close"), mine, status=403)
    everything = await town.call(
        "GET", f"/tenants/{TENANT}/occupancy?from={SOON}&to={SOON}", town.staff()
    )
    assert {d["site"] for d in everything["days"]} == {"École du Centre", "École du Lac"}
