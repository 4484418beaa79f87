"""Benchmark of the fair opening (issue 18): one allocation of a whole opening window, then
the families' submissions while a window is open.

Set-up (not timed, printed): a fresh database with booking's migrations; one activity with
`--days` opening days of `--places` places each; an opening window over them with four
priority rules (disability_plan, sibling_enrolled, resident, both_parents_working) and
`--requests` household requests written straight into booking's tables with COPY (children,
enrollments, window_requests, window_request_children): 70 % with one child, 25 % two, 5 %
three; half the families with several children asking siblings together; each request asking
1 to `--days` of the days; declared criteria spread over the rules; one household in ten with
another child already enrolled (sibling_enrolled, computed at allocation).

Allocation: the domain's `allocate` alone on the same tickets, then the whole use case as the
sweeper runs it (`usecases.windows.allocate_due`: one transaction writing the bookings, the
day counters, each request's rank and outcomes, the events in the outbox); then the checks
(no day over capacity, counters = booking rows, no child twice on a day, siblings together
all in or all out each day, booked rows = the domain's, outbox events = children with days +
households: "checks: ok" or the run fails); the event path measured alone on the same events
(`PayloadCheck`, which checks each payload against the contract field by field, as the use
case does, and `outbox.record`, rolled back), to show its share of the use case; and, in the
same run, the bare limit: one COPY of as many booking rows into a scratch table shaped like
`bookings` (indexes, foreign key). The goal (20,000 requests, 200 places a day, 10 days:
under 10 s) is judged at that shape only.

Submissions: a second activity and window, open; `--families` households (same shape) each
PUT /windows/{id}/requests/mine once with a real signed token, all at once over
`--concurrency` keep-alive connections or paced at `--rate` requests/s; prints the rate,
latency from sending (median, p95, p99), errors (must be 0), and the bare Postgres rate of
the same writes (an asyncpg loop: the request upserted, its children replaced, one
transaction each) and the ratio. `--processes` as in booking_rush.py (1: the service as a
process, its relay off: the allocation's events stay in the outbox, the relay is event_bus.py's
subject; 0: inside this process).

    uv run python bench/allocation.py [--requests 20000] [--places 200] [--days 10] [--seed 18]
        [--families 2000] [--concurrency 32] [--rate N] [--processes 1]

`--requests 300 --places 20 --days 3 --families 50 --concurrency 8` is the tests' smoke size.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import statistics
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web
from booking_rush import (
    NOW,
    RushClient,
    booking_bench,
    pct,
    start_processes,
    stop_processes,
)

from booking.app import MIGRATIONS, create_app
from booking.domain import allocation as draw
from booking.domain.actors import Actor
from booking.schemas import ActivityIn, WindowIn
from booking.settings import BookingSettings
from booking.state import CLOCK
from booking.usecases import activities, windows
from shared import db, migrations
from shared.events import outbox, registry
from shared.events.checked import PayloadCheck
from shared.events.envelope import event_of
from shared.testing.processes import free_port
from shared.testing.tokens import TokenFactory
from shared.uow import UnitOfWork

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TENANT = "bench"
FIRST_DAY = date(2026, 10, 19)  # a Monday: the Toussaint holidays
RULES = [
    {"code": "disability_plan"},
    {"code": "sibling_enrolled"},
    {"code": "resident"},
    {"code": "both_parents_working"},
]
GOAL_SECONDS, GOAL_SHAPE = 10.0, (20_000, 200, 10)  # requests, places a day, days
STAFF = Actor(account_id=uuid.uuid4(), staff=True)


@dataclass
class Household:
    id: uuid.UUID
    account_id: uuid.UUID
    children: list[tuple[uuid.UUID, list[date]]]  # each child asking its days
    together: bool
    criteria: list[str]
    enrolled_sibling: uuid.UUID | None  # another child enrolled, not asking


def opening_days(count: int) -> list[date]:
    """`count` weekdays from FIRST_DAY (Monday to Friday)."""
    days, day = [], FIRST_DAY
    while len(days) < count:
        if day.isoweekday() <= 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def population(rng: random.Random, count: int, days: list[date]) -> list[Household]:
    households = []
    for _ in range(count):
        size = rng.choices((1, 2, 3), weights=(70, 25, 5))[0]
        asked = sorted(rng.sample(days, rng.randint(1, len(days))))
        children = []
        for n in range(size):
            # Siblings mostly ask the same days; one in four of the others drops a day.
            mine = asked if n == 0 or rng.random() < 0.75 or len(asked) == 1 else asked[1:]
            children.append((uuid.uuid4(), mine))
        criteria = [
            code
            for code, share in (("resident", 0.6), ("both_parents_working", 0.4))
            if rng.random() < share
        ]
        if rng.random() < 0.02:
            criteria.append("disability_plan")
        households.append(
            Household(
                id=uuid.uuid4(),
                account_id=uuid.uuid4(),
                children=children,
                together=size > 1 and rng.random() < 0.5,
                criteria=criteria,
                enrolled_sibling=uuid.uuid4() if rng.random() < 0.1 else None,
            )
        )
    return households


async def create_activity(pool: asyncpg.Pool, name: str, days: list[date], places: int) -> Any:
    data = ActivityIn().load(
        {
            "name": name,
            "type": "VACANCES",
            "site": "Centre du Lac",
            "period_from": days[0].isoformat(),
            "period_to": days[-1].isoformat(),
            "weekdays": [1, 2, 3, 4, 5],
            "capacity": places,
            "booking_deadline": {"days_before": 7, "at": "23:59"},
            "cancel_deadline": {"days_before": 7, "at": "23:59"},
        }
    )
    return await activities.create_activity(
        UnitOfWork.on(pool, producer="booking", tenant=TENANT),
        TENANT,
        data,
        actor=STAFF.account_id,
        max_days=400,
        default_zone="A",
    )


async def create_window(
    pool: asyncpg.Pool, activity_id: uuid.UUID, opens: datetime, closes: datetime
) -> dict[str, Any]:
    data = WindowIn().load(
        {
            "activity_id": str(activity_id),
            "name": "Vacances de la Toussaint",
            "opens_at": opens.isoformat(),
            "closes_at": closes.isoformat(),
            "priority_rules": RULES,
        }
    )
    return await windows.create_window(
        UnitOfWork.on(pool, producer="booking", tenant=TENANT),
        TENANT,
        STAFF,
        data,
        now=opens - timedelta(days=1),
    )


async def seed_households(
    pool: asyncpg.Pool,
    activity_id: uuid.UUID,
    households: list[Household],
    window_id: uuid.UUID | None,
) -> None:
    """The households' children enrolled (approved) and, with `window_id`, their requests:
    COPY straight into booking's tables."""
    now = datetime.now(UTC)
    kids, enrolled, requests, asks = [], [], [], []
    for h in households:
        ids = [c for c, _ in h.children] + ([h.enrolled_sibling] if h.enrolled_sibling else [])
        for n, child in enumerate(ids):
            kids.append(
                (child, TENANT, h.id, f"Enfant{n}", "Bench", date(2018, 1, 1), None, None,
                 "standard", now)
            )  # fmt: skip
            enrolled.append(
                (uuid.uuid4(), TENANT, activity_id, child, h.id, "occasional", "approved",
                 h.account_id)
            )  # fmt: skip
        if window_id is None:
            continue
        request_id = uuid.uuid4()
        requests.append(
            (request_id, window_id, TENANT, h.id, h.account_id, False, h.together, h.criteria,
             now, now)
        )  # fmt: skip
        for n, (child, dates) in enumerate(h.children, 1):
            asks.append((request_id, child, n, dates))
    async with pool.acquire() as conn, conn.transaction():
        await conn.copy_records_to_table(
            "children",
            records=kids,
            columns=["id", "tenant", "household_id", "first_name", "last_name", "birth_date",
                     "school", "grade", "diet", "version_at"],
        )  # fmt: skip
        await conn.copy_records_to_table(
            "enrollments",
            records=enrolled,
            columns=["id", "tenant", "activity_id", "child_id", "household_id", "mode",
                     "status", "requested_by"],
        )  # fmt: skip
        if requests:
            await conn.copy_records_to_table(
                "window_requests",
                records=requests,
                columns=["id", "window_id", "tenant", "household_id", "account_id", "by_staff",
                         "siblings_together", "criteria", "submitted_at", "updated_at"],
            )  # fmt: skip
            await conn.copy_records_to_table(
                "window_request_children",
                records=asks,
                columns=["request_id", "child_id", "position", "dates"],
            )
    # The statistics a town's import leaves after the night's autovacuum.
    await pool.execute("ANALYZE")


def tickets_of(households: list[Household], request_ids: dict[uuid.UUID, uuid.UUID]) -> list:
    """The draw's tickets, levelled as the use case does (sibling_enrolled computed)."""
    codes = [r["code"] for r in RULES]
    out = []
    for h in households:
        criteria = h.criteria + ([draw.SIBLING_ENROLLED] if h.enrolled_sibling else [])
        out.append(
            draw.Ticket(
                request_id=request_ids[h.id],
                household_id=h.id,
                level=draw.level_of(criteria, codes),
                children=tuple((c, tuple(d)) for c, d in h.children),
                together=h.together,
            )
        )
    return out


async def checks(
    pool: asyncpg.Pool, activity_id: uuid.UUID, window_id: uuid.UUID, expected_booked: int
) -> dict[str, Any]:
    """What must hold after the allocation; raises SystemExit naming what does not."""
    failures = []
    days = await pool.fetch(
        """
        SELECT d.day, d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'booked') AS booked_rows,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'waiting') AS waiting_rows
        FROM activity_days d WHERE d.activity_id = $1 ORDER BY d.day
        """,
        activity_id,
    )
    for d in days:
        if d["booked"] > d["capacity"] or d["booked"] != d["booked_rows"]:
            failures.append(f"day {d['day']}: {dict(d)}")
    twice = await pool.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM bookings WHERE activity_id = $1"
        " AND status IN ('booked', 'waiting') GROUP BY child_id, day HAVING count(*) > 1) x",
        activity_id,
    )
    if twice:
        failures.append(f"{twice} (child, day) booked twice")
    # Siblings together: for each such request and day, its children asking it all booked or
    # none.
    split = await pool.fetchval(
        """
        SELECT count(*) FROM (
            SELECT r.id, a.day, count(*) AS asking,
                   count(*) FILTER (WHERE b.status = 'booked') AS booked
            FROM window_requests r
            JOIN window_request_children c ON c.request_id = r.id
            CROSS JOIN LATERAL unnest(c.dates) AS a(day)
            LEFT JOIN bookings b ON b.activity_id = $2 AND b.child_id = c.child_id
                 AND b.day = a.day AND b.status IN ('booked', 'waiting')
            WHERE r.window_id = $1 AND r.siblings_together
            GROUP BY r.id, a.day
        ) x WHERE asking > 1 AND booked NOT IN (0, asking)
        """,
        window_id,
        activity_id,
    )
    if split:
        failures.append(f"{split} (siblings-together request, day) split")
    booked_rows = sum(d["booked_rows"] for d in days)
    waiting_rows = sum(d["waiting_rows"] for d in days)
    asks = await pool.fetchval(
        "SELECT coalesce(sum(cardinality(c.dates)), 0) FROM window_request_children c"
        " JOIN window_requests r ON r.id = c.request_id WHERE r.window_id = $1",
        window_id,
    )
    if booked_rows != expected_booked:
        failures.append(f"{booked_rows} booked rows, the domain booked {expected_booked}")
    if booked_rows + waiting_rows != asks:
        failures.append(f"{booked_rows + waiting_rows} booking rows for {asks} days asked")
    events = await pool.fetchrow(
        """
        SELECT count(*) FILTER (WHERE type = 'booking.ReservationValidated') AS validated,
               count(*) FILTER (WHERE type = 'booking.AllocationDecided') AS decided
        FROM outbox
        """
    )
    expected = await pool.fetchrow(
        """
        SELECT count(*) FILTER (WHERE cardinality(c.dates) > 0) AS children,
               count(DISTINCT r.id) AS households
        FROM window_requests r JOIN window_request_children c ON c.request_id = r.id
        WHERE r.window_id = $1
        """,
        window_id,
    )
    if (events["validated"], events["decided"]) != (expected["children"], expected["households"]):
        failures.append(
            f"outbox: {events['validated']} ReservationValidated for {expected['children']}"
            f" children with days, {events['decided']} AllocationDecided for"
            f" {expected['households']} households"
        )
    if failures:
        raise SystemExit("FAILED checks: " + "; ".join(failures))
    return {
        "days": days,
        "booked_rows": booked_rows,
        "waiting_rows": waiting_rows,
        "events": events["validated"] + events["decided"],
        "validated": events["validated"],
        "decided": events["decided"],
    }


async def bare_copy(pool: asyncpg.Pool, activity_id: uuid.UUID, rows: int) -> float:
    """Seconds for one COPY of `rows` booking rows into a scratch table shaped like bookings
    (indexes, foreign key): the least the database needs to store the allocation's rows."""
    async with pool.acquire() as conn:
        # Its indexes, defaults and foreign key, as bookings has them.
        await conn.execute(
            "CREATE TABLE bare_bookings (LIKE bookings INCLUDING ALL,"
            " FOREIGN KEY (activity_id) REFERENCES activities (id))"
        )
        now = datetime.now(UTC)
        first = FIRST_DAY
        records = [
            (uuid.uuid4(), TENANT, activity_id, uuid.uuid4(), uuid.uuid4(),
             first + timedelta(days=n % 10), "waiting", uuid.uuid4(), now)
            for n in range(rows)
        ]  # fmt: skip
        started = time.perf_counter()
        async with conn.transaction():
            await conn.copy_records_to_table(
                "bare_bookings",
                records=records,
                columns=["id", "tenant", "activity_id", "child_id", "household_id", "day",
                         "status", "booked_by", "created_at"],
            )  # fmt: skip
        elapsed = time.perf_counter() - started
        await conn.execute("DROP TABLE bare_bookings")
    return elapsed


async def event_path(pool: asyncpg.Pool) -> tuple[float, float, int]:
    """The allocation's events again, alone: (seconds building them as the use case does,
    each payload checked against the contract by `PayloadCheck`, seconds writing them with
    `outbox.record`, rolled back; how many). Their payloads are those the use case wrote."""
    rows = await pool.fetch("SELECT type, envelope FROM outbox ORDER BY seq")
    payloads = [
        (r["type"], registry.load_payload(r["type"], r["envelope"]["version"],
                                          r["envelope"]["payload"]))
        for r in rows
    ]  # fmt: skip
    started = time.perf_counter()
    # As the use case builds them: each payload checked field by field (PayloadCheck).
    checkers: dict[str, PayloadCheck] = {}
    for t in sorted({t for t, _ in payloads}):  # sharing the values checked, as the use case
        checkers[t] = PayloadCheck(t, sharing=next(iter(checkers.values()), None))
    events = [
        event_of(t, checkers[t].version, checkers[t](p), tenant_id=TENANT, producer="booking")
        for t, p in payloads
    ]
    build = time.perf_counter() - started
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        started = time.perf_counter()
        await outbox.record(conn, *events)
        write = time.perf_counter() - started
        await transaction.rollback()
    return build, write, len(events)


async def allocation_phase(
    pool: asyncpg.Pool, requests: int, places: int, day_count: int, seed: int
) -> None:
    rng = random.Random(seed)
    days = opening_days(day_count)
    started = time.perf_counter()
    found = await create_activity(pool, "Centre de loisirs — Toussaint", days, places)
    activity_id = found["id"]
    window = await create_window(
        pool, activity_id, NOW - timedelta(days=8), NOW - timedelta(hours=1)
    )
    households = population(rng, requests, days)
    await seed_households(pool, activity_id, households, window["id"])
    children = sum(len(h.children) for h in households)
    sizes = Counter(len(h.children) for h in households)
    together = sum(1 for h in households if h.together)
    asks = sum(len(d) for h in households for _, d in h.children)
    print(
        f"set-up: {requests:,} requests ({sizes[1]:,} with one child, {sizes[2]:,} two,"
        f" {sizes[3]:,} three; {together:,} siblings together), {children:,} children,"
        f" {asks:,} (child, day) asked, for {places:,} places × {day_count} days ="
        f" {places * day_count:,} places; written with COPY in"
        f" {time.perf_counter() - started:.1f} s"
    )

    # The domain alone, on the same tickets and seed (the window's, read back).
    request_ids = {
        r["household_id"]: r["id"]
        for r in await pool.fetch(
            "SELECT id, household_id FROM window_requests WHERE window_id = $1", window["id"]
        )
    }
    seed_text = await pool.fetchval("SELECT seed FROM opening_windows WHERE id = $1", window["id"])
    tickets = tickets_of(households, request_ids)
    free = {day: places for day in days}
    started = time.perf_counter()
    result = draw.allocate(tickets, free, seed_text)
    domain = time.perf_counter() - started
    booked = sum(1 for o in result.outcomes.values() if o.outcome == draw.BOOKED)
    print(
        f"domain allocate alone: {domain:.2f} s ({len(tickets):,} tickets, {booked:,} booked,"
        f" {len(result.outcomes) - booked:,} waiting)"
    )

    # The whole use case, as the sweeper runs it: one transaction, committed.
    started, cpu = time.perf_counter(), time.process_time()
    done = await windows.allocate_due(lambda: UnitOfWork.on(pool, producer="booking"), now=NOW)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if done != 1:
        raise SystemExit(f"FAILED: the sweeper allocated {done} windows, not 1")
    # Fresh statistics for the checks' joins (not timed: after the use case).
    await pool.execute("ANALYZE")
    found_checks = await checks(pool, activity_id, window["id"], booked)
    rows = found_checks["booked_rows"] + found_checks["waiting_rows"]
    print(
        f"allocation use case (allocate_due, committed): {elapsed:.2f} s for {requests:,}"
        f" requests ({requests / elapsed:,.0f} requests/s, {rows / elapsed:,.0f} booking rows/s);"
        f" CPU of this process (Python) {cpu:.2f} s, the rest waiting (Postgres, a busy CPU)"
    )
    print(
        f"written: {found_checks['booked_rows']:,} booked rows, {found_checks['waiting_rows']:,}"
        f" waiting rows, {found_checks['events']:,} events in the outbox"
        f" ({found_checks['validated']:,} ReservationValidated,"
        f" {found_checks['decided']:,} AllocationDecided)"
    )
    print(
        "per day (booked/capacity, waiting): "
        + ", ".join(
            f"{d['day']:%a %d}: {d['booked']}/{d['capacity']} ({d['waiting_rows']})"
            for d in found_checks["days"]
        )
    )
    print(
        "checks: ok (no day over capacity, counters = rows, no child twice on a day, siblings"
        " together all in or all out, booked = domain, events = children + households)"
    )
    build, write, events = await event_path(pool)
    print(
        f"of which the event path, measured alone on the same {events:,} events: contract"
        f" check and envelope (PayloadCheck, event_of) {build:.2f} s, outbox insert"
        " (outbox.record: one INSERT from arrays per 5,000)"
        f" {write:.2f} s: {(build + write) / elapsed:.0%} of the use case"
    )
    bare = await bare_copy(pool, activity_id, rows)
    print(
        f"bare Postgres: one COPY of {rows:,} booking rows into a table shaped like bookings:"
        f" {bare:.2f} s ({rows / bare:,.0f} rows/s); use case/bare = {bare / elapsed:.2f}"
        " (booking rows/s)"
    )
    verdict = "met" if elapsed < GOAL_SECONDS else "missed"
    if (requests, places, day_count) != GOAL_SHAPE:
        verdict = "not measured at this size (the goal's: 20,000 requests, 200 places, 10 days)"
    print(f"goal: allocation of 20,000 requests under 10 s: {verdict}")


class SubmitClient(RushClient):
    """booking_rush's minimal keep-alive client, for a PUT."""

    async def put(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, float]:
        reader, writer = await self.idle.get()
        sent = time.perf_counter()
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(
                f"PUT {path} HTTP/1.1\r\nHost: {self.host}\r\n{head}"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            status = int((await reader.readline()).split(b" ", 2)[1])
            length = None
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if length is None:
                raise RuntimeError(f"{path}: response without Content-Length")
            return status, await reader.readexactly(length), sent
        finally:
            self.idle.put_nowait((reader, writer))


def request_body(h: Household) -> bytes:
    return json.dumps(
        {
            "children": [
                {"child_id": str(c), "dates": [d.isoformat() for d in dates]}
                for c, dates in h.children
            ],
            "siblings_together": h.together,
            "criteria": h.criteria,
        }
    ).encode()


async def bare_submissions(
    settings: BookingSettings, households: list[Household], clients: int
) -> float:
    """Requests/s of the same writes without the service: per household one transaction
    upserting its request and replacing its children (asyncpg, `clients` connections), into
    scratch tables shaped like booking's."""
    conn = await db.connect(settings)
    await conn.execute(
        "CREATE TABLE bare_requests (LIKE window_requests INCLUDING ALL);"
        "CREATE TABLE bare_request_children (LIKE window_request_children INCLUDING ALL)"
    )
    await conn.close()
    window_id, now = uuid.uuid4(), datetime.now(UTC)
    todo = list(households)

    async def worker() -> None:
        c = await db.connect(settings)
        while todo:
            h = todo.pop()
            async with c.transaction():
                request_id = await c.fetchval(
                    """
                    INSERT INTO bare_requests (id, window_id, tenant, household_id, account_id,
                        siblings_together, criteria, submitted_at, updated_at, by_staff)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, false)
                    ON CONFLICT (window_id, household_id) DO UPDATE
                        SET siblings_together = EXCLUDED.siblings_together,
                            criteria = EXCLUDED.criteria, updated_at = EXCLUDED.updated_at
                    RETURNING id
                    """,
                    uuid.uuid4(), window_id, TENANT, h.id, h.account_id, h.together,
                    h.criteria, now,
                )  # fmt: skip
                await c.execute(
                    "DELETE FROM bare_request_children WHERE request_id = $1", request_id
                )
                await c.executemany(
                    "INSERT INTO bare_request_children (request_id, child_id, position, dates)"
                    " VALUES ($1, $2, $3, $4)",
                    [(request_id, child, n, d) for n, (child, d) in enumerate(h.children, 1)],
                )
        await c.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    rate = len(households) / (time.perf_counter() - started)
    conn = await db.connect(settings)
    await conn.execute("DROP TABLE bare_requests; DROP TABLE bare_request_children")
    await conn.close()
    return rate


async def submission_phase(
    pool: asyncpg.Pool,
    settings: BookingSettings,
    tokens: TokenFactory,
    families: int,
    day_count: int,
    seed: int,
    concurrency: int,
    rate: float | None,
    processes: int,
) -> None:
    rng = random.Random(seed + 1)
    days = opening_days(day_count)
    found = await create_activity(pool, "Centre de loisirs — Noël", days, 100)
    window = await create_window(
        pool, found["id"], NOW - timedelta(days=1), NOW + timedelta(days=7)
    )
    households = population(rng, families, days)
    await seed_households(pool, found["id"], households, None)
    port = free_port()
    runner: web.AppRunner | None = None
    children: list[asyncio.subprocess.Process] = []
    try:
        if processes:
            await start_processes(settings, processes, port, children)
        else:
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            app[CLOCK].fixed = NOW
        path = f"/tenants/{TENANT}/windows/{window['id']}/requests/mine"
        work = [
            (
                tokens.header(
                    tenant=TENANT, household_id=str(h.id), account_id=str(h.account_id), ttl=3600
                ),
                request_body(h),
            )
            for h in households
        ]
        client = SubmitClient("127.0.0.1", port, concurrency)
        await client.connect()
        latencies: list[float] = []
        errors: Counter[int] = Counter()

        async def submit(position: int, headers: dict[str, str], body: bytes) -> None:
            if rate:
                await asyncio.sleep(max(0.0, begin + position / rate - time.perf_counter()))
            status, _, sent = await client.put(path, headers, body)
            latencies.append(time.perf_counter() - sent)
            if status != 200:
                errors[status] += 1

        begin = time.perf_counter()
        await asyncio.gather(*(submit(n, h, b) for n, (h, b) in enumerate(work)))
        elapsed = time.perf_counter() - begin
        await client.close()
    finally:
        if runner is not None:
            await runner.cleanup()
        await stop_processes(children)
    stored = await pool.fetchrow(
        "SELECT count(*) AS requests, (SELECT count(*) FROM window_request_children c"
        " JOIN window_requests r ON r.id = c.request_id WHERE r.window_id = $1) AS children"
        " FROM window_requests WHERE window_id = $1",
        window["id"],
    )
    kids = sum(len(h.children) for h in households)
    print(
        f"submissions: {families:,} families PUT their request"
        f" ({concurrency} connections, "
        + (f"offered {rate:g} requests/s" if rate else "all at once")
        + f", service {f'{processes} process(es)' if processes else 'in this process'}):"
        f" {families / elapsed:,.0f} requests/s ({elapsed:.2f} s)"
    )
    print(
        f"submission latency from sending: median {statistics.median(latencies) * 1000:.0f} ms,"
        f" p95 {pct(latencies, 95) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} ms"
    )
    print(f"submission errors: {sum(errors.values())}" + (f" {dict(errors)}" if errors else ""))
    print(f"stored: {stored['requests']:,} requests, {stored['children']:,} children")
    bare = await bare_submissions(settings, households, min(concurrency, 16))
    print(
        f"bare Postgres, the same writes (asyncpg loop, {min(concurrency, 16)} connections):"
        f" {bare:,.0f} requests/s; service/bare = {families / elapsed / bare:.2f}"
    )
    if errors or (stored["requests"], stored["children"]) != (families, kids):
        raise SystemExit(
            f"FAILED: {sum(errors.values())} errors; stored {dict(stored)} for {families}"
            f" requests and {kids} children"
        )


async def run(
    requests: int,
    places: int,
    days: int,
    seed: int,
    families: int,
    concurrency: int,
    rate: float | None,
    processes: int,
) -> None:
    # The allocation's events stay in the outbox: publishing them is event_bus.py's subject,
    # and would share the cores with the submissions measured here.
    async with booking_bench(outbox_relay_in_process=False, hold_sweep_seconds=3600) as bench:
        await migrations.migrate(bench.settings, MIGRATIONS)
        pool = await db.create_pool(dataclasses.replace(bench.settings, db_pool_max=4))
        try:
            print(
                f"allocation: {requests:,} requests, {places:,} places a day, {days} days,"
                f" seed {seed}"
            )
            await allocation_phase(pool, requests, places, days, seed)
            await submission_phase(
                pool,
                bench.settings,
                bench.tokens,
                families,
                days,
                seed,
                concurrency,
                rate,
                processes,
            )
        finally:
            await pool.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=20_000, help="households' requests")
    parser.add_argument("--places", type=int, default=200, help="places a day")
    parser.add_argument("--days", type=int, default=10, help="opening days in the window")
    parser.add_argument("--seed", type=int, default=18, help="the population's random seed")
    parser.add_argument(
        "--families", type=int, default=2000, help="families submitting while a window is open"
    )
    parser.add_argument("--concurrency", type=int, default=32, help="submission connections")
    parser.add_argument(
        "--rate", type=float, default=None, help="submissions/s offered (default: all at once)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="service processes for the submissions (0: the service runs in this process)",
    )
    args = parser.parse_args()
    if min(args.requests, args.places, args.days, args.families, args.concurrency) < 1:
        parser.error("--requests, --places, --days, --families, --concurrency: at least 1")
    asyncio.run(
        run(
            args.requests,
            args.places,
            args.days,
            args.seed,
            args.families,
            args.concurrency,
            args.rate,
            args.processes,
        )
    )
