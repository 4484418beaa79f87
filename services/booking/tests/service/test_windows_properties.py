"""Property: whatever the households, their children, the days they ask, their criteria and
whether they ask siblings together, and whatever each day's capacity, the allocation of an
opening window (issue 18) run by its use case against the real Postgres books every
(child, day) asked exactly once (booked or waiting), never over a day's capacity, keeps
siblings together all in or all out each day, orders the requests by level then by the
lottery key recomputed from the revealed seed, keeps that order on each day's waiting list,
and publishes a draw that recomputes to the same result.

Each example runs for a tenant of its own in one migrated schema (the bus is not needed:
the events stay in the outbox, where they are checked)."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from booking import store
from booking.app import MIGRATIONS
from booking.domain.actors import Actor
from booking.domain.allocation import recompute
from booking.domain.deadlines import PARIS
from booking.schemas import ActivityIn
from booking.settings import BookingSettings
from booking.usecases import activities, windows
from shared import db, migrations
from shared.uow import UnitOfWork

from ..conftest import activity_body

OPENS = datetime(2026, 9, 2, 8, 0, tzinfo=PARIS)
CLOSES = datetime(2026, 9, 9, 8, 0, tzinfo=PARIS)
SUBMITTED = datetime(2026, 9, 3, 8, 0, tzinfo=PARIS)
DAYS = [date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 8), date(2026, 10, 9)]
CRITERIA = ["resident", "both_parents_working", "quartier"]
RULES = [
    {"code": "resident", "label": "Résidents"},
    {"code": "sibling_enrolled", "label": "Fratrie inscrite"},
    {"code": "both_parents_working", "label": "Deux parents qui travaillent"},
    {"code": "quartier", "label": "Quartier prioritaire"},
]


@pytest.fixture(scope="module")
def schema_settings(test_run: Any) -> BookingSettings:
    settings = BookingSettings.from_env(
        {},
        database_url=test_run.database_url,
        db_schema=f"booking_prop_{uuid.uuid4().hex[:8]}",
        db_role=f"pft_{test_run.run_id}_booking",
    )
    test_run.roles.add(settings.db_role)
    asyncio.run(migrations.migrate(settings, MIGRATIONS))
    return settings


household = st.fixed_dictionaries(
    {
        # each child: the days it asks (by index)
        "children": st.lists(
            st.sets(st.integers(0, len(DAYS) - 1), min_size=1), min_size=1, max_size=3
        ),
        "together": st.booleans(),
        "criteria": st.sets(st.sampled_from(CRITERIA), max_size=2),
        "enrolled_sibling": st.booleans(),  # another child, enrolled, not asking
    }
)
populations = st.fixed_dictionaries(
    {
        "households": st.lists(household, min_size=1, max_size=10),
        "capacity": st.lists(st.integers(0, 5), min_size=len(DAYS), max_size=len(DAYS)),
    }
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(population=populations)
def test_the_allocation_respects_capacity_priorities_and_siblings(
    schema_settings: BookingSettings, population: dict[str, Any]
) -> None:
    asyncio.run(run(schema_settings, population))


async def run(settings: BookingSettings, population: dict[str, Any]) -> None:
    pool = await db.create_pool(settings)
    try:
        tenant = f"w{uuid.uuid4().hex[:10]}"
        staff = Actor(uuid.uuid4(), True)

        def uow() -> UnitOfWork:
            return UnitOfWork.on(pool, producer="booking", tenant=tenant)

        activity = await activities.create_activity(
            uow(),
            tenant,
            ActivityIn().load(activity_body()),
            actor=staff.account_id,
            max_days=400,
            default_zone="A",
        )
        for day, capacity in zip(DAYS, population["capacity"], strict=True):
            await pool.execute(
                "UPDATE activity_days SET capacity = $3 WHERE activity_id = $1 AND day = $2",
                activity["id"],
                day,
                capacity,
            )
        created = await windows.create_window(
            uow(),
            tenant,
            staff,
            {
                "activity_id": activity["id"],
                "name": "Toussaint",
                "opens_at": OPENS,
                "closes_at": CLOSES,
                "date_from": DAYS[0],
                "date_to": DAYS[-1],
                "priority_rules": RULES,
                "first_come_after": True,
            },
            now=datetime(2026, 9, 1, tzinfo=UTC),
        )
        asked: dict[uuid.UUID, set[date]] = {}
        groups: list[list[uuid.UUID]] = []
        for spec in population["households"]:
            household_id = uuid.uuid4()
            kids = []
            for days in spec["children"]:
                kid = await enrolled(pool, tenant, household_id, activity["id"])
                kids.append((kid, sorted(DAYS[i] for i in days)))
                asked[kid] = {DAYS[i] for i in days}
            if spec["enrolled_sibling"]:
                await enrolled(pool, tenant, household_id, activity["id"])
            if spec["together"]:
                groups.append([k for k, _ in kids])
            await windows.submit_request(
                uow(),
                tenant,
                Actor(uuid.uuid4(), False, household_id),
                created["id"],
                {
                    "children": [{"child_id": k, "dates": d} for k, d in kids],
                    "siblings_together": spec["together"],
                    "criteria": sorted(spec["criteria"]),
                },
                now=SUBMITTED,
            )
        published = await windows.allocate_window(uow(), tenant, created["id"], now=CLOSES)
        await check(pool, activity["id"], published, asked, groups)
    finally:
        await pool.close()


async def enrolled(
    pool: Any, tenant: str, household_id: uuid.UUID, activity_id: uuid.UUID
) -> uuid.UUID:
    child_id = uuid.uuid4()
    await store.upsert_child(
        pool,
        tenant,
        {
            "child_id": child_id,
            "household_id": household_id,
            "first_name": "Enfant",
            "last_name": "Test",
            "birth_date": date(2018, 5, 3),
            "school": None,
            "grade": "CE2",
            "diet": "standard",
        },
        datetime.now(UTC),
    )
    await pool.execute(
        """
        INSERT INTO enrollments (id, tenant, activity_id, child_id, household_id, mode, status,
                                 requested_by)
        VALUES ($1, $2, $3, $4, $5, 'occasional', 'approved', $6)
        """,
        uuid.uuid4(),
        tenant,
        activity_id,
        child_id,
        household_id,
        uuid.uuid4(),
    )
    return child_id


async def check(
    pool: Any,
    activity_id: uuid.UUID,
    published: dict[str, Any],
    asked: dict[uuid.UUID, set[date]],
    groups: list[list[uuid.UUID]],
) -> None:
    rows = await pool.fetch(
        """
        SELECT b.child_id, b.day, b.status, b.seq, r.rank, r.level, r.lottery_key
        FROM bookings b
        JOIN window_request_children c ON c.child_id = b.child_id
        JOIN window_requests r ON r.id = c.request_id
        WHERE b.activity_id = $1 AND b.status IN ('booked', 'waiting')
        """,
        activity_id,
    )
    # Every (child, day) asked is decided exactly once: no child allocated twice.
    seen = Counter((r["child_id"], r["day"]) for r in rows)
    assert set(seen) == {(c, d) for c, days in asked.items() for d in days}
    assert set(seen.values()) == {1} or not seen
    status = {(r["child_id"], r["day"]): r["status"] for r in rows}
    # No day over capacity; the counters are the rows.
    for day in await pool.fetch(
        "SELECT day, capacity, booked FROM activity_days WHERE activity_id = $1", activity_id
    ):
        booked = sum(1 for r in rows if r["day"] == day["day"] and r["status"] == "booked")
        assert booked == day["booked"] <= day["capacity"]
    # Siblings together: all in or all out, each day.
    for group in groups:
        for day in DAYS:
            outcomes = {status[(c, day)] for c in group if day in asked[c]}
            assert len(outcomes) <= 1
    # The order: by level, then by the lottery key recomputed from the revealed seed.
    seed = published["seed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == published["seed_hash"]
    entries = published["entries"]
    assert [e["rank"] for e in entries] == list(range(1, len(entries) + 1))
    assert [e["level"] for e in entries] == sorted(e["level"] for e in entries)
    by_level: dict[int, list[Any]] = defaultdict(list)
    for e in entries:
        assert e["lottery_key"] == hashlib.sha256(f"{seed}:{e['request_id']}".encode()).hexdigest()
        by_level[e["level"]].append(e)
    for same in by_level.values():
        keys = [(e["lottery_key"], str(e["request_id"])) for e in same]
        assert keys == sorted(keys)
    # Each day's waiting list keeps the allocation's order (rank).
    for day in DAYS:
        waiting = sorted(
            (r for r in rows if r["day"] == day and r["status"] == "waiting"),
            key=lambda r: r["seq"],
        )
        assert [r["rank"] for r in waiting] == sorted(r["rank"] for r in waiting)
    # The published draw recomputes to the same ranks and counts.
    again = recompute(
        {
            **published,
            "days": [{"date": d["date"], "places": d["places"]} for d in published["days"]],
            "entries": [{**e, "request_id": str(e["request_id"])} for e in entries],
        }
    )
    for e in entries:
        mine = again[str(e["request_id"])]
        assert mine["rank"] == e["rank"]
        for ask in e["asks"]:
            assert mine["days"][ask["date"]] == (ask["booked"], ask["waiting"])
