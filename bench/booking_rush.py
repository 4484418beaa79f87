"""Benchmark of the opening rush: N families validate baskets at once for M places.

Runs the booking service (real HTTP on localhost, real Postgres and RabbitMQ) against a fresh
database, seeds N enrolled children, opens one basket per family on the same hot day(s),
then fires every validation at once over `--concurrency` keep-alive connections and prints
validations per second, latency (from the rush's start and from each request's sending), the
baskets per group commit, the confirmed count (must equal the capacity, or the run fails)
and, in the same run, the rate of the bare place-taking transaction on one hot row, driven
by an asyncpg loop and by pgbench when it is installed, so that the ratios show how close to
the limit the service is. Also prints the CPU used during the rush (the service processes,
this process, the whole machine): on a small machine the service, its clients, Postgres and
RabbitMQ share the same cores.

--processes N (default 1) runs the service as N OS processes sharing one port (SO_REUSEPORT,
the kernel spreads the connections), each with its own outbox relay, the clients staying in
this process; --processes 0 runs the service inside this process (one core for everything);
--separate-relay gives the outbox relay a process of its own (`python -m booking relay`).

    uv run python bench/booking_rush.py [--families 1000] [--capacity 300] [--days 1]
        [--concurrency 64] [--processes 1] [--separate-relay] [--bare-seconds 3]

`--families 30 --capacity 10 --concurrency 8 --bare-seconds 0.5` is the tests' smoke size.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
import asyncpg
from aiohttp import web

from booking import store
from booking.app import create_app
from booking.domain.deadlines import PARIS
from booking.settings import BookingSettings
from booking.state import CLOCK
from shared import db
from shared.events.topology import Topology
from shared.keys import POOL
from shared.logging import configure_logging
from shared.testing.bus import EventTap
from shared.testing.plugin import BusNamespace, delete_topology
from shared.testing.processes import free_port
from shared.testing.tokens import TokenFactory

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TENANT = "bench"
FIRST_DAY = date(2026, 10, 5)
# "Now" as the service sees it during the bench: opening morning, before every deadline.
NOW = datetime(2026, 9, 1, 8, 0, tzinfo=PARIS).astimezone(UTC)

# One service process: the app of `python -m booking serve` with the clock pinned and the
# port shared (reuse_port); it prints READY once migrated, connected and listening.
LAUNCHER = """
import os, sys
from datetime import datetime
from booking.app import create_app
from booking.settings import BookingSettings
from booking.state import CLOCK
from shared.cli import serve
from shared.logging import configure_logging

settings = BookingSettings.from_env()
configure_logging(settings.service, json=settings.json_logs, level=settings.log_level)
app = create_app(settings)
app[CLOCK].fixed = datetime.fromisoformat(os.environ["BENCH_FIXED_NOW"])
serve(app, settings, reuse_port=True, print=lambda *_: (print("READY"), sys.stdout.flush()))
"""


class RushClient:
    """The families' side of the rush: HTTP/1.1 keep-alive connections, one request at a time
    on each. Deliberately minimal: the clients share this machine's cores with the service,
    its database and its broker, so every cycle they spend is taken from what is measured
    (aiohttp's client costs several times more per request). Expects what the service sends:
    a status line, headers with Content-Length, a body."""

    def __init__(self, host: str, port: int, connections: int) -> None:
        self.host, self.port, self.connections = host, port, connections
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )

    async def connect(self) -> None:
        for _ in range(self.connections):
            self.idle.put_nowait(await asyncio.open_connection(self.host, self.port))

    async def post(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, float]:
        """(status, body, when the request was sent: once a connection was free)."""
        reader, writer = await self.idle.get()
        sent = time.perf_counter()
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
            writer.write(
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\n{head}"
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

    async def close(self) -> None:
        while not self.idle.empty():
            _, writer = self.idle.get_nowait()
            writer.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


async def bare_postgres(dsn: str, clients: int, seconds: float) -> float:
    """Transactions/s of the minimal place-taking transaction on one hot row."""
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS bench_day (id int PRIMARY KEY, booked int, capacity int);"
        "CREATE TABLE IF NOT EXISTS bench_booking (id uuid PRIMARY KEY, day int);"
        "INSERT INTO bench_day VALUES (1, 0, 1000000000) ON CONFLICT DO NOTHING"
    )
    await conn.close()
    done = 0
    stop = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        c = await asyncpg.connect(dsn)
        while time.monotonic() < stop:
            async with c.transaction():
                await c.fetchval(
                    "UPDATE bench_day SET booked = booked + 1 WHERE id = 1 AND booked < capacity"
                    " RETURNING true"
                )
                await c.execute("INSERT INTO bench_booking VALUES ($1, 1)", uuid.uuid4())
            done += 1
        await c.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return done / (time.monotonic() - started)


PGBENCH_SCRIPT = """BEGIN;
UPDATE bench_day SET booked = booked + 1 WHERE id = 1 AND booked < capacity;
INSERT INTO bench_booking VALUES (gen_random_uuid(), 1);
END;
"""


async def bare_pgbench(dsn: str, clients: int, seconds: int) -> float | None:
    """The same transaction driven by pgbench (C, no Python client in the way), when pgbench
    is installed: the database's own limit on this machine."""
    if shutil.which("pgbench") is None:
        return None
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
        script.write(PGBENCH_SCRIPT)
        script.flush()
        process = await asyncio.create_subprocess_exec(
            "pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
            "-f", script.name, dsn,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output = (await process.communicate())[0].decode()
    match = re.search(r"tps = ([0-9.]+)", output)
    return float(match.group(1)) if match else None


async def start_processes(
    settings: BookingSettings, count: int, port: int, processes: list[asyncio.subprocess.Process]
) -> None:
    """Adds to `processes` `count` service processes listening on the same port, each ready
    (READY printed); those started are in the list even if a later one fails."""
    env = {
        **os.environ,
        **settings.to_env(),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_PORT": str(port),
        "BENCH_FIXED_NOW": NOW.isoformat(),
    }
    for _ in range(count):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-c", LAUNCHER, env=env, stdout=asyncio.subprocess.PIPE
        )
        processes.append(process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        if line.strip() != b"READY":
            raise SystemExit(f"service process exited with {await process.wait()}")


async def stop_processes(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 30)
        except TimeoutError:
            process.kill()
            await process.wait()


def _process_cpu(pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes (Linux), or 0."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class BookingBench:
    """A benchmark's own booking world: its database, bus namespace, tokens and settings."""

    settings: BookingSettings
    tokens: TokenFactory
    namespace: BusNamespace
    dsn: str


@contextlib.asynccontextmanager
async def booking_bench(**overrides: Any) -> AsyncIterator[BookingBench]:
    """Creates a throwaway database and bus namespace, serves the tokens' JWKS, and drops
    them all afterwards; overrides are BookingSettings fields."""
    run_id = uuid.uuid4().hex[:8]
    database = f"pf_bench_{run_id}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    dsn = ADMIN_DSN.rpartition("/")[0] + f"/{database}"
    namespace = BusNamespace(f"bench{run_id}")
    tokens = TokenFactory()
    configure_logging("bench", json=False, level="warning")
    jwks = web.Application()
    jwks.router.add_get("/jwks", lambda _: web.json_response(tokens.jwks()))
    jwks_runner = web.AppRunner(jwks)
    await jwks_runner.setup()
    jwks_port = free_port()
    await web.TCPSite(jwks_runner, "127.0.0.1", jwks_port).start()
    try:
        settings = BookingSettings.from_env(
            {},
            **{
                "environment": "test",
                "log_level": "warning",
                "database_url": dsn,
                "amqp_url": AMQP_URL,
                "bus_namespace": namespace.name,
                "jwks_url": f"http://127.0.0.1:{jwks_port}/jwks",
                "jwt_issuer": tokens.issuer,
                "jwt_audience": tokens.audience,
                "max_inflight_requests": 10_000,
                "db_pool_max": 20,
                **overrides,
            },
        )
        namespace.topologies.append((Topology(namespace.name, "booking"), settings.retry_delays_ms))
        yield BookingBench(settings, tokens, namespace, dsn)
    finally:
        await jwks_runner.cleanup()
        await delete_topology(namespace)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


async def run(
    families: int,
    capacity: int,
    days: int,
    concurrency: int,
    processes: int,
    separate_relay: bool,
    bare_seconds: float = 3.0,
) -> None:
    async with booking_bench(outbox_relay_in_process=not separate_relay) as bench:
        await _run(bench, families, capacity, days, concurrency, processes, bare_seconds)


async def _run(
    bench: BookingBench,
    families: int,
    capacity: int,
    days: int,
    concurrency: int,
    processes: int,
    bare_seconds: float,
) -> None:
    settings, tokens, dsn = bench.settings, bench.tokens, bench.dsn
    namespace = bench.namespace
    separate_relay = not settings.outbox_relay_in_process
    # Stands for billing and notify: booking events are routed somewhere, as in production.
    tap = EventTap(AMQP_URL, namespace.name, ["booking.*"])
    await tap.__aenter__()
    port = free_port()
    base = f"http://127.0.0.1:{port}/tenants/{TENANT}"
    runner: web.AppRunner | None = None
    children: list[asyncio.subprocess.Process] = []
    pool: asyncpg.Pool | None = None
    try:
        if processes:
            await start_processes(settings, processes, port, children)
            if separate_relay:  # once the service has migrated its schema
                children.append(
                    await asyncio.create_subprocess_exec(
                        sys.executable,
                        "-m",
                        "booking",
                        "relay",
                        env={**os.environ, **settings.to_env()},
                    )
                )
            # The bench's own connections, for seeding and checking (not timed).
            pool = await db.create_pool(dataclasses.replace(settings, db_pool_max=4))
        else:
            app = create_app(settings)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            app[CLOCK].fixed = NOW
            pool = app[POOL]
        assert pool is not None
        staff = tokens.header(tenant=TENANT, roles=("staff",))
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as http:
            async with http.post(
                f"{base}/activities",
                headers=staff,
                json={
                    "name": "Centre de loisirs — vacances de la Toussaint",
                    "type": "VACANCES",
                    "site": "Centre du Lac",
                    "period_from": "2026-10-05",
                    "period_to": "2026-10-16",
                    "weekdays": [1, 2, 3, 4, 5],
                    "capacity": capacity,
                    "booking_deadline": {"days_before": 7, "at": "23:59"},
                    "cancel_deadline": {"days_before": 7, "at": "23:59"},
                },
            ) as r:
                assert r.status == 201, await r.text()
                activity = await r.json()
            dates = [str(d["date"]) for d in await _days(http, base, staff, activity)][:days]
            # Seed: N households with one enrolled child each (SQL, not timed).
            kids = []
            async with pool.acquire() as conn, conn.transaction():
                for i in range(families):
                    child_id, household = uuid.uuid4(), uuid.uuid4()
                    await store.upsert_child(
                        conn,
                        TENANT,
                        {
                            "child_id": child_id,
                            "household_id": household,
                            "first_name": f"Enfant{i}",
                            "last_name": "Bench",
                            "birth_date": date(2018, 1, 1),
                            "school": None,
                            "grade": None,
                            "diet": "standard",
                        },
                        datetime.now(UTC),
                    )
                    await conn.execute(
                        "INSERT INTO enrollments (id, tenant, activity_id, child_id, household_id,"
                        " mode, status, requested_by) VALUES ($1, $2, $3, $4, $5, 'occasional',"
                        " 'approved', $6)",
                        uuid.uuid4(),
                        TENANT,
                        uuid.UUID(activity["id"]),
                        child_id,
                        household,
                        uuid.uuid4(),
                    )
                    kids.append((child_id, household))
            headers = [tokens.header(tenant=TENANT, household_id=str(h)) for _, h in kids]
            baskets = []
            for (child_id, _), header in zip(kids, headers, strict=True):
                async with http.post(
                    f"{base}/baskets",
                    headers=header,
                    json={
                        "lines": [
                            {
                                "child_id": str(child_id),
                                "activity_id": activity["id"],
                                "dates": dates,
                            }
                        ]
                    },
                ) as r:
                    assert r.status == 201, await r.text()
                    baskets.append((await r.json())["id"])

            # No ANALYZE: the tables were filled a moment ago, as after a town's import the
            # night before; the validation's plans must not depend on fresh statistics.

            latencies: list[float] = []  # from the rush's start (all families at once)
            service_latencies: list[float] = []  # from the request's sending
            outcomes: dict[str, int] = {}
            errors = 0

            rush = RushClient("127.0.0.1", port, concurrency)
            await rush.connect()

            async def validate(basket_id: str, header: dict[str, str]) -> None:
                nonlocal errors
                started = time.perf_counter()
                status, raw, sent = await rush.post(
                    f"/tenants/{TENANT}/baskets/{basket_id}/validate", header, b"{}"
                )
                latencies.append(time.perf_counter() - started)
                service_latencies.append(time.perf_counter() - sent)
                if status != 200:
                    errors += 1
                    return
                for line in json.loads(raw)["lines"]:
                    outcomes[line["outcome"]] = outcomes.get(line["outcome"], 0) + 1

            pids = [c.pid for c in children]
            started, cpu, machine = time.perf_counter(), time.process_time(), _machine_cpu()
            service_cpu = _process_cpu(pids)
            await asyncio.gather(*(validate(b, h) for b, h in zip(baskets, headers, strict=True)))
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            service_cpu = _process_cpu(pids) - service_cpu
            machine = _busy(machine, _machine_cpu())
            await rush.close()

        booked = await pool.fetch(
            "SELECT d.day, d.booked, d.capacity,"
            " (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id"
            "  AND b.day = d.day AND b.status = 'booked') AS rows"
            " FROM activity_days d WHERE d.activity_id = $1 AND d.booked > 0 ORDER BY d.day",
            uuid.UUID(activity["id"]),
        )
        # Bookings written by the same transaction share its xmin: one per group commit.
        commits = await pool.fetchval(
            "SELECT count(DISTINCT xmin::text) FROM bookings WHERE activity_id = $1",
            uuid.UUID(activity["id"]),
        )
        overbooked = [
            dict(r) for r in booked if r["booked"] > r["capacity"] or r["rows"] != r["booked"]
        ]
        bare = await bare_postgres(dsn, 16, bare_seconds)
        pgbench = await bare_pgbench(dsn, 16, max(1, round(bare_seconds)))
        lines = families * len(dates)
        print(
            f"families={families} capacity/day={capacity} days/basket={len(dates)} "
            f"client concurrency={concurrency} service processes={processes or 'in process'}"
            + (" + a relay process" if separate_relay else "")
        )
        print(
            f"validations: {families / elapsed:,.0f} baskets/s, "
            f"{outcomes.get('confirmed', 0) / elapsed:,.0f} confirmed days/s, "
            f"{lines / elapsed:,.0f} lines/s ({elapsed:.2f} s)"
        )
        print(
            f"latency from the rush's start (every family clicks at once, {concurrency}"
            f" connections): median {statistics.median(latencies) * 1000:.0f} ms,"
            f" p95 {pct(latencies, 95) * 1000:.0f} ms, p99 {pct(latencies, 99) * 1000:.0f} ms"
        )
        print(
            "latency from sending the request: "
            f"median {statistics.median(service_latencies) * 1000:.0f} ms, "
            f"p95 {pct(service_latencies, 95) * 1000:.0f} ms, "
            f"p99 {pct(service_latencies, 99) * 1000:.0f} ms"
        )
        print(
            f"group commits: {commits} transactions for {families} baskets"
            f" ({families / max(commits, 1):.1f} baskets per commit)"
        )
        print(f"outcomes: {outcomes}, http errors: {errors}")
        if processes:
            where = (
                f"service ({processes} process(es)"
                + (" and the relay process" if separate_relay else " with their relays")
                + f") {service_cpu / elapsed:.0%}"
                f" of one core, this process (clients) {cpu / elapsed:.0%}"
            )
        else:
            where = f"this process (service, clients, relay) {cpu / elapsed:.0%}"
        print(
            f"CPU during the rush: {where} of one core;"
            f" whole machine {machine:.0%} busy of {os.cpu_count()} cores"
        )
        print(
            "per day (booked/capacity, booking rows): "
            + ", ".join(f"{r['day']}: {r['booked']}/{r['capacity']} ({r['rows']})" for r in booked)
        )
        rate = families / elapsed
        print(
            f"bare Postgres place-taking transactions (16 clients, one hot row): {bare:,.0f}/s;"
            f" service/bare = {rate / bare:.2f} (validated baskets, each one place-taking"
            " transaction)"
        )
        if pgbench:
            print(
                f"bare Postgres, same transaction with pgbench (16 clients): {pgbench:,.0f}/s;"
                f" service/pgbench = {rate / pgbench:.2f}"
            )
        print("OVERBOOKING: " + (str(overbooked) if overbooked else "none"))
        if overbooked or outcomes.get("confirmed", 0) != min(families, capacity) * len(dates):
            raise SystemExit("FAILED: confirmed count does not equal capacity")
    finally:
        if runner is not None:
            await runner.cleanup()
        elif pool is not None:
            await pool.close()
        await stop_processes(children)
        await tap.__aexit__(None, None, None)


def _machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the machine since boot (Linux), or (0, 0)."""
    try:
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def _busy(before: tuple[int, int], after: tuple[int, int]) -> float:
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total else 0.0


async def _days(
    http: aiohttp.ClientSession, base: str, staff: dict[str, str], activity: dict[str, object]
) -> list[dict[str, object]]:
    async with http.get(f"{base}/activities/{activity['id']}/days", headers=staff) as r:
        return (await r.json())["days"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument("--capacity", type=int, default=300)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="service processes sharing the port (0: the service runs in this process)",
    )
    parser.add_argument(
        "--separate-relay",
        action="store_true",
        help="the outbox relay in a process of its own (`python -m booking relay`)",
    )
    parser.add_argument(
        "--bare-seconds",
        type=float,
        default=3.0,
        help="how long each bare place-taking measure runs (asyncpg loop, pgbench)",
    )
    args = parser.parse_args()
    if args.separate_relay and not args.processes:
        parser.error("--separate-relay needs service processes (--processes 1 or more)")
    asyncio.run(
        run(
            args.families,
            args.capacity,
            args.days,
            args.concurrency,
            args.processes,
            args.separate_relay,
            args.bare_seconds,
        )
    )
