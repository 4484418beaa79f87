"""Group commit: baskets written together keep the waiting list in arrival order, two writers
(two service processes) never deadlock nor overbook, and a failing group is split so that
only the faulty basket fails."""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from booking import store
from booking.domain.activity import Activity, who
from booking.domain.baskets import Addition, Basket
from booking.group_commit import GroupCommit
from booking.state import LEDGER
from booking.usecases.capacity import Placement, place
from shared.events.envelope import parse_event

from ..conftest import TENANT

Town = Any
DAYS = [date(2026, 10, 5), date(2026, 10, 6), date(2026, 10, 8)]


async def placing(
    town: Town, activity: dict[str, Any], kid: dict[str, Any], days: list[date]
) -> Placement:
    """What validating a basket of `days` for `kid` hands to the group commit."""
    body = await town.basket(
        kid, [{"activity_id": activity["id"], "dates": [d.isoformat() for d in days]}]
    )
    basket = await store.get_basket(town.pool, TENANT, uuid.UUID(body["id"]))
    (row,) = await store.activities(town.pool, TENANT, ids=[uuid.UUID(activity["id"])])
    additions = tuple(
        Addition(uuid.uuid4(), row["id"], day, kid["id"], False, True, 0) for day in sorted(days)
    )
    reservation = {
        **who(Activity.from_row(row), kid, basket["account_id"]),
        "basket_id": basket["id"],
    }
    return place(
        Basket(basket["id"], TENANT, basket["household_id"], basket["account_id"], False),
        datetime.now(UTC),
        additions,
        [reservation],
        producer="booking",
    )


async def test_a_group_keeps_the_waiting_list_in_arrival_order(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kids = [await town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(12)]
    items = [await placing(town, activity, kid, DAYS[:1]) for kid in kids]
    group = town.client.app[LEDGER].commits
    groups_before = group.groups

    # Started in this order, the validations reach the writer in this order.
    results = await asyncio.gather(*(group.take_places(item) for item in items))

    assert [r.outcomes[0] for r in results] == ["confirmed"] * 5 + ["waiting"] * 7
    assert group.groups - groups_before < len(items)  # written together, not one by one
    waiting = await town.pool.fetch(
        "SELECT child_id FROM bookings WHERE activity_id = $1 AND status = 'waiting' ORDER BY seq",
        uuid.UUID(activity["id"]),
    )
    assert [r["child_id"] for r in waiting] == [kid["id"] for kid in kids[5:]]
    # Every basket closed, with its own outcome and its own event.
    outcome = await town.pool.fetchval(
        "SELECT outcome FROM baskets WHERE id = $1", items[-1].basket.id
    )
    assert outcome == {"confirmed": 0, "waiting_list": 1, "cancelled": 0, "refused": 0}
    validated = await town.events("booking.ReservationValidated", 12)
    assert sorted(len(e["payload"]["dates"]) for e in validated) == [0] * 7 + [1] * 5
    for envelope in validated:  # as every consumer reads them: checked by the contract
        parse_event(envelope)


async def test_two_writers_race_on_the_same_days_without_deadlock(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=10)
    kids = [await town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(30)]
    items = []
    for i, kid in enumerate(kids):
        days = DAYS[:]
        random.Random(i).shuffle(days)
        items.append(await placing(town, activity, kid, days[: 1 + i % 3]))
    # A second writer, as a second service process would have, on the same database.
    other = GroupCommit(max_lines=4)
    other.start(town.pool)
    mine = town.client.app[LEDGER].commits
    try:
        results = await asyncio.gather(
            *((mine if i % 2 else other).take_places(item) for i, item in enumerate(items))
        )
    finally:
        await other.stop()

    for day in DAYS:
        taken = [
            outcome
            for item, result in zip(items, results, strict=True)
            for line, outcome in zip(item.additions, result.outcomes, strict=True)
            if line.day == day
        ]
        assert taken.count("confirmed") == 10, day
        assert taken.count("waiting") == len(taken) - 10, day
    counters = await town.pool.fetch(
        "SELECT day, booked FROM activity_days WHERE activity_id = $1 AND day = ANY($2)",
        uuid.UUID(activity["id"]),
        DAYS,
    )
    assert {r["day"]: r["booked"] for r in counters} == dict.fromkeys(DAYS, 10)


async def test_a_failing_group_is_split_and_only_the_faulty_basket_fails(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kids = [await town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(3)]
    good, faulty, also_good = [await placing(town, activity, kid, DAYS[:1]) for kid in kids]
    # The faulty basket carries a booking id already used by the first one: its booking row
    # cannot be written, so the group's statement fails as a whole.
    faulty = dataclasses.replace(
        faulty,
        additions=(
            dataclasses.replace(faulty.additions[0], booking_id=good.additions[0].booking_id),
        ),
    )
    group = town.client.app[LEDGER].commits

    results = await asyncio.gather(
        *(group.take_places(item) for item in (good, faulty, also_good)), return_exceptions=True
    )

    assert results[0].outcomes == ["confirmed"] and results[2].outcomes == ["confirmed"]
    assert isinstance(results[1], asyncpg.UniqueViolationError)
    status = await town.pool.fetchval("SELECT status FROM baskets WHERE id = $1", faulty.basket.id)
    assert status == "open"  # nothing of it was written: the family may validate again
    booked = await town.pool.fetchval(
        "SELECT booked FROM activity_days WHERE activity_id = $1 AND day = $2",
        uuid.UUID(activity["id"]),
        DAYS[0],
    )
    assert booked == 2


async def test_a_basket_validated_twice_at_once_is_written_once(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kid = await town.enrolled_child(activity)
    basket = await town.basket(
        kid, [{"activity_id": activity["id"], "dates": [DAYS[0].isoformat()]}]
    )
    first, second = await asyncio.gather(
        *(
            town.client.post(
                f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
                json={},
                headers=town.family(kid["household_id"]),
            )
            for _ in range(2)
        )
    )
    # Applied once; both answered the same (the second reads the first's stored answer).
    assert [first.status, second.status] == [200, 200]
    assert await first.json() == await second.json()
    assert (
        await town.pool.fetchval(
            "SELECT count(*) FROM bookings WHERE basket_id = $1", uuid.UUID(basket["id"])
        )
        == 1
    )


async def test_reads_are_grouped_and_each_basket_gets_its_own_rows(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kids = [await town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(3)]
    items = [await placing(town, activity, kid, DAYS[: i + 1]) for i, kid in enumerate(kids)]
    reads = town.client.app[LEDGER].reads
    groups_before = reads.groups
    wanted = [(TENANT, item.basket.id) for item in items]
    wanted += [("autreville", items[0].basket.id), (TENANT, uuid.uuid4())]

    found = await asyncio.gather(*(reads.basket_facts(t, b) for t, b in wanted))

    assert reads.groups - groups_before == 1  # one query for the five
    for item, kid, rows in zip(items, kids, found, strict=False):
        assert {r["basket_id"] for r in rows} == {item.basket.id}
        assert [r["day"] for r in rows] == sorted(line.day for line in item.additions)
        assert all(r["child_id"] == kid["id"] for r in rows)
    assert found[3] == [] and found[4] == []  # another tenant's, and no such basket


def _sized(additions: int) -> Placement:
    basket = Basket(uuid.uuid4(), TENANT, uuid.uuid4(), uuid.uuid4(), False)
    line = Addition(uuid.uuid4(), uuid.uuid4(), DAYS[0], uuid.uuid4(), False, True, 0)
    return Placement(basket, datetime.now(UTC), (line,) * additions, (), ())


@pytest.mark.parametrize(("max_lines", "sizes"), [(2, [1, 1, 1, 1, 1]), (5, [2, 2, 1])])
def test_groups_respect_their_size_limit(max_lines: int, sizes: list[int]) -> None:
    group = GroupCommit(max_lines=max_lines)
    loop = asyncio.new_event_loop()
    try:
        future = loop.create_future()
        item = _sized(2)
        big = _sized(9)
        group._waiting = [(item, future)] * 4 + [(big, future)]
        seen = []
        while group._waiting:
            seen.append(len(group._next_group()))
        # Never more lines than the limit, unless a basket is alone in its group.
        assert seen == sizes
    finally:
        loop.close()


async def test_groups_are_measured_on_metrics(town: Town) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kid = await town.enrolled_child(activity)
    await town.book(kid, activity, DAYS[0].isoformat())
    text = await (await town.client.get("/metrics")).text()
    assert "booking_group_commit_size_count 1.0" in text
    assert "booking_group_read_size_count 1.0" in text
    assert "booking_group_commit_seconds_bucket" in text


async def test_a_broken_connection_fails_its_group_and_the_next_group_gets_a_new_one() -> None:
    """Without a database: a stand-in pool whose first connection dies during a group."""
    from contextlib import asynccontextmanager

    from booking.group_commit import _Grouping

    class Conn:
        def __init__(self, number: int) -> None:
            self.number, self.closed = number, False

        def is_closed(self) -> bool:
            return self.closed

    class Pool:
        def __init__(self) -> None:
            self.opened = 0

        @asynccontextmanager
        async def acquire(self) -> Any:
            self.opened += 1
            yield Conn(self.opened)

    class Echo(_Grouping[int, int]):
        async def _process(self, conn: Any, group: list[Any]) -> None:
            if conn.number == 1:
                conn.closed = True
                raise ConnectionResetError("connection lost")
            for item, future in group:
                self._answer(future, item * 10)

    pool = Pool()
    echo = Echo(max_items=2)
    echo.start(pool)  # type: ignore[arg-type]
    try:
        results = await asyncio.wait_for(
            asyncio.gather(*(echo._submit(i) for i in range(5)), return_exceptions=True), 5
        )
    finally:
        await echo.stop()
    assert [type(r) for r in results[:2]] == [ConnectionResetError] * 2  # the first group
    assert results[2:] == [20, 30, 40]  # the others, on a new connection
    assert pool.opened == 2


async def test_events_written_by_the_group_carry_their_requests_correlation_id(
    town: Town,
) -> None:
    activity = await town.activity(type="VACANCES", capacity=5)
    kids = [await town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(3)]
    baskets = [
        await town.basket(kid, [{"activity_id": activity["id"], "dates": ["2026-10-05"]}])
        for kid in kids
    ]
    answers = await asyncio.gather(
        *(
            town.client.post(
                f"/tenants/{TENANT}/baskets/{basket['id']}/validate",
                json={},
                headers={**town.family(kid["household_id"]), "X-Correlation-ID": f"rush-{i}"},
            )
            for i, (kid, basket) in enumerate(zip(kids, baskets, strict=True))
        )
    )
    assert [r.status for r in answers] == [200] * 3
    events = await town.events("booking.ReservationValidated", 3)
    by_basket = {e["payload"]["basket_id"]: e["correlation_id"] for e in events}
    assert by_basket == {basket["id"]: f"rush-{i}" for i, basket in enumerate(baskets)}
