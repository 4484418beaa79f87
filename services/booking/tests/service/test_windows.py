"""Opening windows (issue 18) through the API, with the real Postgres and bus: the window and
its published hash, the families' requests, baskets refused on its days until the allocation,
the allocation (by staff or by the sweeper, once), its events, its export and the draw
recomputed from what is published."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import uuid
from collections import Counter
from datetime import date, datetime
from typing import Any

import pytest

from booking.commands import allocate_windows
from booking.domain.allocation import recompute, seed_hash
from booking.domain.deadlines import PARIS
from shared.testing.bus import eventually

from ..conftest import TENANT, Town

WINDOWS = f"/tenants/{TENANT}/windows"
OPENS = datetime(2026, 9, 2, 8, 0, tzinfo=PARIS)
CLOSES = datetime(2026, 9, 9, 8, 0, tzinfo=PARIS)
# The window's days: Mon 5, Tue 6, Thu 8, Fri 9 October 2026 (the activity runs Mon, Tue,
# Thu, Fri).
DAYS = ["2026-10-05", "2026-10-06", "2026-10-08", "2026-10-09"]
RULES = [
    {"code": "resident", "label": "Résidents de la commune"},
    {"code": "sibling_enrolled"},
    {"code": "quartier_prioritaire", "label": "Quartier prioritaire"},
]
# The sweeper looks once at the start (before any window closes), then not for an hour:
# the allocation is the endpoint's.
NO_SWEEP = pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 3600}], indirect=True, ids=["no-sweep"]
)


async def window(town: Town, activity: dict[str, Any], **extra: Any) -> Any:
    body = {
        "activity_id": activity["id"],
        "name": "Vacances de la Toussaint",
        "opens_at": OPENS.isoformat(),
        "closes_at": CLOSES.isoformat(),
        "date_from": DAYS[0],
        "date_to": DAYS[-1],
        "priority_rules": RULES,
        "first_come_after": True,
        **extra,
    }
    return await town.call("POST", WINDOWS, town.staff(), body, 201)


async def submit(
    town: Town,
    created: dict[str, Any],
    household: Any,
    children: list[tuple[dict[str, Any], list[str]]],
    status: int = 200,
    **extra: Any,
) -> Any:
    body = {
        "children": [{"child_id": str(kid["id"]), "dates": dates} for kid, dates in children],
        **extra,
    }
    return await town.call(
        "PUT", f"{WINDOWS}/{created['id']}/requests/mine", town.family(household), body, status
    )


async def outbox(town: Town, event_type: str) -> list[dict[str, Any]]:
    rows = await town.pool.fetch(
        "SELECT envelope FROM outbox WHERE type = $1 ORDER BY id", event_type
    )
    return [r["envelope"]["payload"] for r in rows]


async def population(
    town: Town, activity: dict[str, Any], created: dict[str, Any]
) -> dict[str, Any]:
    """Six households: siblings together (two children, every day), a resident, a town
    criterion, a family with a child already enrolled and another asking, and two others."""
    town.at(datetime(2026, 9, 3, 10, 0, tzinfo=PARIS))
    households: dict[str, Any] = {}
    hh = uuid.uuid4()
    a = await town.enrolled_child(activity, household_id=hh, first_name="Anna")
    b = await town.enrolled_child(activity, household_id=hh, first_name="Basile")
    households["siblings"] = (hh, [a, b])
    await submit(town, created, hh, [(a, DAYS), (b, DAYS)], siblings_together=True)
    for name, criteria in (
        ("resident", ["resident"]),
        ("quartier", ["quartier_prioritaire"]),
        ("other1", []),
        ("other2", []),
    ):
        kid = await town.enrolled_child(activity, first_name=name.capitalize())
        households[name] = (kid["household_id"], [kid])
        await submit(town, created, kid["household_id"], [(kid, DAYS)], criteria=criteria)
    hh = uuid.uuid4()
    await town.enrolled_child(activity, household_id=hh, first_name="Aîné")  # not asking
    kid = await town.enrolled_child(activity, household_id=hh, first_name="Cadet")
    households["sibling_enrolled"] = (hh, [kid])
    await submit(town, created, hh, [(kid, DAYS[:2])])
    return households


async def check_capacity(town: Town, activity: dict[str, Any]) -> None:
    rows = await town.pool.fetch(
        """
        SELECT d.day, d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'booked') AS rows
        FROM activity_days d WHERE d.activity_id = $1
        """,
        uuid.UUID(activity["id"]),
    )
    for r in rows:
        assert r["booked"] <= r["capacity"], dict(r)
        assert r["booked"] == r["rows"], dict(r)


@NO_SWEEP
async def test_a_window_from_creation_to_allocation(town: Town) -> None:
    activity = await town.activity(capacity=3)
    created = await window(town, activity)
    assert created["status"] == "scheduled" and created["seed"] is None
    assert created["days"] == DAYS and created["requests"] == 0
    assert len(created["seed_hash"]) == 64
    assert created["priority_rules"][1] == {
        "code": "sibling_enrolled",
        "label": "Un frère ou une sœur déjà inscrit(e) à l'activité",
    }
    kid = await town.enrolled_child(activity)
    family = town.family(kid["household_id"])
    # Families see it once opened; requests before are refused.
    await town.call("GET", f"{WINDOWS}/{created['id']}", family, status=404)
    r = await submit(town, created, kid["household_id"], [(kid, DAYS)], 409)
    assert r["type"].endswith("/window-not-open") and "ouvriront le 2 septembre 2026" in r["detail"]
    # Days covered are not bookable first come before the allocation.
    result = await town.book(kid, activity, DAYS[0], "2026-10-12")
    by_day = {line["date"]: line for line in result["lines"]}
    assert by_day["2026-10-12"]["outcome"] == "confirmed"
    assert by_day[DAYS[0]]["outcome"] == "refused"
    assert by_day[DAYS[0]]["reason"] == "window_pending"
    assert by_day[DAYS[0]]["detail"] == (
        "Les places de ce jour seront attribuées au tirage au sort à la clôture des demandes,"
        " le 9 septembre 2026 à 08:00."
    )
    # Staff change it until it opens.
    patched = await town.call(
        "PATCH", f"{WINDOWS}/{created['id']}", town.staff(), {"name": "Toussaint 2026"}
    )
    assert patched["name"] == "Toussaint 2026"
    r = await town.call(
        "PATCH",
        f"{WINDOWS}/{created['id']}",
        town.staff(),
        {"closes_at": OPENS.isoformat()},
        422,
    )
    assert r["errors"][0]["field"] == "closes_at"

    households = await population(town, activity, created)
    r = await town.call("PATCH", f"{WINDOWS}/{created['id']}", town.staff(), {"name": "Autre"}, 409)
    assert r["type"].endswith("/window-published")
    # Refusals naming the field.
    stranger = await town.enrolled_child(activity)
    r = await submit(town, created, kid["household_id"], [(stranger, DAYS)], 422)
    assert r["errors"][0]["field"] == "children.0.child_id"
    r = await submit(town, created, kid["household_id"], [(kid, ["2026-10-07"])], 422)
    assert r["errors"][0]["field"] == "children.0.dates.0"
    r = await submit(
        town, created, kid["household_id"], [(kid, DAYS)], 422, criteria=["sibling_enrolled"]
    )
    assert r["errors"][0]["field"] == "criteria.0"
    not_enrolled = await town.child(kid["household_id"], first_name="Zoé")
    r = await submit(town, created, kid["household_id"], [(not_enrolled, DAYS)], 422)
    assert r["errors"][0]["field"] == "children.0.child_id"
    # A request replaced, then withdrawn, then submitted again.
    await submit(town, created, kid["household_id"], [(kid, DAYS)])
    await town.call("DELETE", f"{WINDOWS}/{created['id']}/requests/mine", family, status=204)
    await town.call("GET", f"{WINDOWS}/{created['id']}/requests/mine", family, status=404)
    mine = await submit(town, created, kid["household_id"], [(kid, DAYS[1:])])
    households["first"] = (kid["household_id"], [kid])
    assert mine["rank"] is None and mine["children"][0]["dates"][0]["outcome"] is None
    seen = await town.call("GET", f"{WINDOWS}/{created['id']}", family)
    assert seen["status"] == "open" and seen["requests"] is None and seen["seed"] is None
    staff_view = await town.call("GET", f"{WINDOWS}/{created['id']}", town.staff())
    assert staff_view["requests"] == 7
    # Staff verify a household's criteria: the verified ones are used.
    listed = await town.call("GET", f"{WINDOWS}/{created['id']}/requests", town.staff())
    other1 = next(x for x in listed["items"] if x["household_id"] == str(households["other1"][0]))
    assert other1["children"][0]["first_name"] == "Other1"
    verified = await town.call(
        "PATCH",
        f"{WINDOWS}/{created['id']}/requests/{other1['id']}",
        town.staff(),
        {"verified_criteria": ["resident"]},
    )
    assert verified["verified_criteria"] == ["resident"] and verified["criteria"] == []
    r = await town.call("POST", f"{WINDOWS}/{created['id']}/allocation", town.staff(), None, 409)
    assert r["type"].endswith("/window-not-closed")

    # Closed: no more requests; allocated by staff.
    town.at(datetime(2026, 9, 9, 8, 0, tzinfo=PARIS))
    await submit(town, created, kid["household_id"], [(kid, DAYS)], 409)
    allocated = await town.call("POST", f"{WINDOWS}/{created['id']}/allocation", town.staff())
    assert seed_hash(allocated["seed"]) == created["seed_hash"]
    assert [e["rank"] for e in allocated["entries"]] == list(range(1, 8))
    levels = [e["level"] for e in allocated["entries"]]
    assert levels == sorted(levels)
    await check_capacity(town, activity)

    # Levels: resident and the verified one first, then the enrolled sibling's, then the
    # town's criterion, then the others.
    async def mine_of(name: str) -> Any:
        hh, _ = households[name]
        return await town.call("GET", f"{WINDOWS}/{created['id']}/requests/mine", town.family(hh))

    resident = await mine_of("resident")
    assert resident["level"] == 1 and resident["level_label"] == "Résidents de la commune"
    assert resident["reasons"] == ["Résidents de la commune"] and resident["entries"] == 7
    assert (await mine_of("other1"))["level"] == 1
    sibling = await mine_of("sibling_enrolled")
    assert sibling["level"] == 2
    assert sibling["reasons"] == ["Un frère ou une sœur déjà inscrit(e) à l'activité"]
    assert (await mine_of("quartier"))["level"] == 3
    others = await mine_of("other2")
    assert others["level"] == 4 and others["level_label"] == "Autres demandes"
    # Siblings together: both in or both waiting, each day.
    together = await mine_of("siblings")
    for n in range(len(DAYS)):
        assert len({c["dates"][n]["outcome"] for c in together["children"]}) == 1
    # Every day: 3 places, the first levels (resident, other1: level 1) booked every day.
    for name in ("resident", "other1"):
        assert {d["outcome"] for d in (await mine_of(name))["children"][0]["dates"]} == {"booked"}
    # The waiting list is in allocation order: positions 1.. per day.
    positions: dict[str, list[int]] = {}
    for name in households:
        for child in (await mine_of(name))["children"]:
            for d in child["dates"]:
                if d["outcome"] == "waiting":
                    positions.setdefault(d["date"], []).append(d["waiting_position"])
    for found in positions.values():
        assert sorted(found) == list(range(1, len(found) + 1))

    # Events: one AllocationDecided per household, ReservationValidated with window_id.
    decided = await outbox(town, "booking.AllocationDecided")
    assert len(decided) == 7 and {d["entries"] for d in decided} == {7}
    assert sorted(d["rank"] for d in decided) == list(range(1, 8))
    validated = [
        v for v in await outbox(town, "booking.ReservationValidated") if v.get("window_id")
    ]
    assert {v["window_id"] for v in validated} == {created["id"]}
    booked_days = Counter(d["date"] for v in validated for d in v["dates"])
    assert all(n <= 3 for n in booked_days.values())
    assert sum(booked_days.values()) == sum(
        len(c["booked_dates"]) for d in decided for c in d["children"]
    )
    request_ids = {str(d["request_id"]) for d in decided}
    assert {v["basket_id"] for v in validated} <= request_ids

    # The draw recomputes from what is published, for anyone of the tenant.
    published = await town.call("GET", f"{WINDOWS}/{created['id']}/draw", family)
    assert published["seed_hash"] == created["seed_hash"]
    assert "household_id" not in str(published)
    again = recompute(published)
    for entry in published["entries"]:
        mine_again = again[entry["request_id"]]
        assert mine_again["rank"] == entry["rank"]
        assert mine_again["lottery_key"] == entry["lottery_key"]
        for ask in entry["asks"]:
            assert mine_again["days"][date.fromisoformat(ask["date"])] == (
                ask["booked"],
                ask["waiting"],
            )
    # A second call answers the same allocation; the export lists every child and day.
    second = await town.call("POST", f"{WINDOWS}/{created['id']}/allocation", town.staff())
    assert second == allocated
    assert len(await outbox(town, "booking.AllocationDecided")) == 7
    response = await town.client.get(
        f"{WINDOWS}/{created['id']}/allocation.csv", headers=town.staff()
    )
    assert response.status == 200 and response.content_type == "text/csv"
    text = await response.text()
    first, rest = text.split("\n", 1)
    assert allocated["seed"] in first and created["seed_hash"] in first
    rows = list(csv.reader(io.StringIO(rest), delimiter=";"))
    assert rows[0][0] == "rang" and len(rows) == 1 + 2 * 4 + 4 + 4 + 4 + 4 + 2 + 3
    assert {r[7] for r in rows[1:]} == {"réservé", "liste d'attente"}
    await town.call("GET", f"{WINDOWS}/{created['id']}/allocation.csv", family, status=403)

    # First come after: the remaining places are bookable normally (here, all full: waiting).
    late = await town.enrolled_child(activity, first_name="Tardif")
    result = await town.book(late, activity, DAYS[0])
    assert result["lines"][0]["outcome"] == "waiting_list"
    await check_capacity(town, activity)


async def test_concurrent_allocations_allocate_once(town: Town) -> None:
    """Two staff calls racing (and the service's own sweeper, if it looks meanwhile)
    allocate the closed window once."""
    activity = await town.activity(capacity=2)
    created = await window(town, activity, first_come_after=False)
    households = await population(town, activity, created)
    # Staff submit for a household at the desk.
    desk = await town.enrolled_child(activity, first_name="Guichet")
    path = f"{WINDOWS}/{created['id']}/requests/households/{desk['household_id']}"
    body = {"children": [{"child_id": str(desk["id"]), "dates": DAYS[:1]}]}
    await town.call("PUT", path, town.staff(), body)
    assert (await town.call("GET", path, town.staff()))["children"][0]["first_name"] == "Guichet"
    await town.call("PUT", path, town.family(desk["household_id"]), body, 403)
    # An enrollment withdrawn after the request: that child takes no part.
    _, (withdrawn,) = households["other2"]
    await town.pool.execute(
        "UPDATE enrollments SET status = 'rejected' WHERE child_id = $1", withdrawn["id"]
    )
    town.at(datetime(2026, 9, 9, 8, 1, tzinfo=PARIS))
    calls = [
        town.client.post(f"{WINDOWS}/{created['id']}/allocation", headers=town.staff())
        for _ in range(2)
    ]
    answers = await asyncio.gather(*calls)
    assert [r.status for r in answers] == [200, 200]
    bodies = [await r.json() for r in answers]
    assert bodies[0] == bodies[1]
    await check_capacity(town, activity)
    decided = await outbox(town, "booking.AllocationDecided")
    assert len(decided) == 7
    booked = await town.pool.fetchval(
        "SELECT count(*) FROM bookings WHERE activity_id = $1 AND status IN ('booked', 'waiting')",
        uuid.UUID(activity["id"]),
    )
    # Every (child, day) asked, once; none for the child no longer enrolled.
    assert booked == 2 * 4 + 3 * 4 + 2 + 1
    assert not await town.pool.fetchval(
        "SELECT count(*) FROM bookings WHERE child_id = $1", withdrawn["id"]
    )
    (gone,) = [d for d in decided if d["household_id"] == str(withdrawn["household_id"])]
    assert gone["children"][0]["booked_dates"] == gone["children"][0]["waiting_dates"] == []
    (at_desk,) = [
        v
        for v in await outbox(town, "booking.ReservationValidated")
        if v["child_id"] == str(desk["id"])
    ]
    assert at_desk["account_id"] is None and at_desk["booked_by_staff"] is not None
    assert at_desk["window_id"] == created["id"]
    # Not first come after: the window's days stay closed to baskets.
    late = await town.enrolled_child(activity, first_name="Tardif")
    result = await town.book(late, activity, DAYS[0])
    assert result["lines"][0]["reason"] == "window_closed"
    assert result["lines"][0]["detail"] == "Les inscriptions à ces journées sont closes."


@pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 0.1}], indirect=True, ids=["sweep-0.1s"]
)
async def test_the_sweeper_job_allocates_a_closed_window(town: Town) -> None:
    activity = await town.activity(capacity=2)
    created = await window(town, activity)
    await population(town, activity, created)
    assert (
        await town.pool.fetchval(
            "SELECT status FROM opening_windows WHERE id = $1", uuid.UUID(created["id"])
        )
        == "scheduled"
    )
    town.at(datetime(2026, 9, 9, 8, 1, tzinfo=PARIS))

    async def allocated() -> bool:
        status = await town.pool.fetchval(
            "SELECT status FROM opening_windows WHERE id = $1", uuid.UUID(created["id"])
        )
        return status == "allocated"

    await eventually(allocated, timeout=20)
    await check_capacity(town, activity)
    seen = await town.call("GET", f"{WINDOWS}/{created['id']}", town.staff())
    assert seen["status"] == "allocated" and seed_hash(seen["seed"]) == seen["seed_hash"]
    assert len(await outbox(town, "booking.AllocationDecided")) == 6


async def test_the_command_allocates_the_closed_windows(
    town: Town, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's clock stays before the close (its sweeper has nothing to do); the
    command uses the real time, later: the window is closed for it."""
    activity = await town.activity(capacity=2)
    created = await window(town, activity)
    await population(town, activity, created)
    capsys.readouterr()
    code = await asyncio.to_thread(allocate_windows, town.settings, argparse.Namespace())
    assert code == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["allocated"] >= 1
    seen = await town.call("GET", f"{WINDOWS}/{created['id']}", town.staff())
    assert seen["status"] == "allocated"
    await check_capacity(town, activity)


@NO_SWEEP
async def test_a_window_is_refused_for_days_paid_at_booking_or_from_the_wallet(
    town: Town,
) -> None:
    """The draw books days for families who are not there to pay them: only invoiced
    activities may have a window (the field named, in French)."""
    for payment in ("at_booking", "wallet"):
        activity = await town.activity()
        # As billing.ActivityPaymentSet leaves it (tests/service/test_holds.py goes by the bus).
        await town.pool.execute(
            "UPDATE activities SET payment = $1 WHERE id = $2", payment, uuid.UUID(activity["id"])
        )
        body = {
            "activity_id": activity["id"],
            "name": "Vacances",
            "opens_at": OPENS.isoformat(),
            "closes_at": CLOSES.isoformat(),
            "priority_rules": RULES,
            "first_come_after": True,
        }
        problem = await town.call("POST", WINDOWS, town.staff(), body, 422)
        assert "activity_id" in json.dumps(problem), problem
        assert "facturée après coup" in json.dumps(problem, ensure_ascii=False), problem


@NO_SWEEP
async def test_the_calendar_says_the_days_of_a_window_go_to_the_draw(town: Town) -> None:
    """Until the allocation, the days a window covers are the draw's on the calendar (not
    bookable first come), even once closed; allocated, they show the child's outcome."""
    activity = await town.activity(capacity=2)
    created = await window(town, activity, date_to=DAYS[1])  # Mon 5 and Tue 6 only
    town.at(datetime(2026, 9, 3, 10, 0, tzinfo=PARIS))
    kid = await town.enrolled_child(activity, first_name="Lina")
    states = await town.calendar(kid, "2026-10")
    assert [states[d] for d in DAYS] == ["window_pending"] * 2 + ["bookable"] * 2
    await submit(town, created, kid["household_id"], [(kid, DAYS[:2])])
    town.at(datetime(2026, 9, 9, 8, 1, tzinfo=PARIS))  # closed, not allocated yet
    assert (await town.calendar(kid, "2026-10"))[DAYS[0]] == "window_pending"
    await town.call("POST", f"{WINDOWS}/{created['id']}/allocation", town.staff())
    states = await town.calendar(kid, "2026-10")
    assert [states[d] for d in DAYS] == ["booked_cancellable"] * 2 + ["bookable"] * 2


@NO_SWEEP
async def test_the_calendar_closes_the_days_a_draw_keeps_off_first_come(town: Town) -> None:
    """Allocated without first come after: a child who did not ask sees the window's days
    closed to booking (as past their deadline), like the basket refuses them."""
    activity = await town.activity(capacity=2)
    created = await window(town, activity, date_to=DAYS[1], first_come_after=False)
    town.at(datetime(2026, 9, 3, 10, 0, tzinfo=PARIS))
    asking = await town.enrolled_child(activity, first_name="Lina")
    other = await town.enrolled_child(activity, first_name="Noé")
    await submit(town, created, asking["household_id"], [(asking, DAYS[:1])])
    town.at(datetime(2026, 9, 9, 8, 1, tzinfo=PARIS))
    await town.call("POST", f"{WINDOWS}/{created['id']}/allocation", town.staff())
    states = await town.calendar(other, "2026-10")
    assert [states[d] for d in DAYS] == ["deadline_passed"] * 2 + ["bookable"] * 2
    result = await town.book(other, activity, DAYS[1])
    assert result["lines"][0]["outcome"] == "refused"
