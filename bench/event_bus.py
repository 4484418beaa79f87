"""Benchmark of the event bus: commit → relay (confirms) → consumer (inbox) → handled.

Runs the sample service in process against the real Postgres and RabbitMQ, records N events
in transactions of B events, and prints the throughput from first commit to last handled
event and the delay distribution from commit to handled.

    uv run python bench/event_bus.py [--events 5000] [--batch 10] [--writers 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import asyncpg
from aiohttp import web

from shared.events import outbox
from shared.events.envelope import new_event
from shared.events.topology import Topology
from shared.http.app import create_service_app
from shared.keys import POOL
from shared.logging import configure_logging
from shared.testing.plugin import BusNamespace, delete_topology
from shared.testing.sample import SampleSettings, definition

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


async def run(events: int, batch: int, writers: int, rate: float | None) -> None:
    run_id = uuid.uuid4().hex[:8]
    database = f"pf_bench_{run_id}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    namespace = BusNamespace(f"bench{run_id}")
    settings = SampleSettings.from_env(
        {},
        environment="test",
        log_level="warning",
        database_url=ADMIN_DSN.rpartition("/")[0] + f"/{database}",
        amqp_url=AMQP_URL,
        bus_namespace=namespace.name,
        consumer_prefetch=64,
    )
    namespace.topologies.append((Topology(namespace.name, "sample"), settings.retry_delays_ms))
    configure_logging("bench", json=False, level="warning")
    app = create_service_app(settings, definition())
    runner = web.AppRunner(app)
    await runner.setup()  # runs the cleanup contexts: pool, migrations, broker, relay, consumer
    try:
        pool = app[POOL]
        await asyncio.sleep(1)  # consumer attached
        per_writer = events // writers
        commits: dict[uuid.UUID, float] = {}

        async def writer() -> None:
            pause = batch * writers / rate if rate else 0.0
            for _ in range(per_writer // batch):
                if pause:
                    await asyncio.sleep(pause)
                async with pool.acquire() as conn, conn.transaction():
                    made = [
                        new_event(
                            "test.NoteRecorded",
                            {"note_id": uuid.uuid4(), "text": "b"},
                            tenant_id="bench",
                            producer="bench",
                        )
                        for _ in range(batch)
                    ]
                    await outbox.record(conn, *made)
                now = time.time()
                for event in made:
                    commits[event.id] = now

        started = time.time()
        await asyncio.gather(*(writer() for _ in range(writers)))
        written = time.time()
        total = per_writer // batch * batch * writers
        while True:
            if await pool.fetchval("SELECT count(*) FROM applied_notes") >= total:
                break
            await asyncio.sleep(0.05)
        rows = await pool.fetch(
            "SELECT event_id, extract(epoch FROM applied_at)::float8 AS at FROM applied_notes"
        )
        finished = max(r["at"] for r in rows)
        delays = sorted((r["at"] - commits[r["event_id"]]) * 1000 for r in rows)
        p = statistics.quantiles(delays, n=100)
        pace = f"paced at {rate:,.0f} events/s" if rate else "as fast as possible"
        print(f"events: {total} in transactions of {batch}, {writers} writers, {pace}")
        print(f"write phase: {total / (written - started):,.0f} events/s committed")
        print(
            f"end to end: {total / (finished - started):,.0f} events/s "
            f"(commit -> published with confirms -> consumed with inbox -> handled)"
        )
        print(
            f"delay commit -> handled: median {statistics.median(delays):.1f} ms, "
            f"p95 {p[94]:.1f} ms, p99 {p[98]:.1f} ms, max {delays[-1]:.1f} ms"
        )
    finally:
        await runner.cleanup()
        await delete_topology(namespace)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--rate", type=float, default=None, help="paced run (events/s)")
    args = parser.parse_args()
    if args.rate:
        asyncio.run(run(args.events, args.batch, args.writers, args.rate))
        return
    # A burst measures throughput; a paced run at a fraction of it measures the delay a
    # family sees when the system is not saturated.
    asyncio.run(run(args.events, args.batch, args.writers, None))
    print()
    asyncio.run(run(args.events // 2, args.batch, args.writers, 300.0))


if __name__ == "__main__":
    main()
