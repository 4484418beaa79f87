"""Benchmark of the opening-morning bottleneck: logins (argon2id included) and token checks.

Starts the identity service in process (real HTTP, Postgres, RabbitMQ) against a fresh
database and bus namespace, creates N family accounts (one precomputed hash, reused), fires
the logins with bounded concurrency, and prints throughput, latency percentiles and the
largest event-loop stall seen by a 10 ms ticker; then token verifications per second with
shared.auth.TokenVerifier. Everything it created is removed afterwards.

    uv run python bench/identity_login.py [--accounts 500] [--logins 2500] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid

import aiohttp
import asyncpg
from aiohttp import web

from identity import store
from identity.app import create_app
from identity.domain.passwords import PasswordHasher
from identity.settings import IdentitySettings
from identity.state import STATE, utcnow
from shared.auth import TokenVerifier
from shared.events.topology import Topology
from shared.keys import POOL
from shared.logging import configure_logging
from shared.testing.plugin import BusNamespace, delete_topology
from shared.testing.processes import free_port

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PASSWORD = "Cantine2025!x"
TENANT = "bench-ville"


class StallMeter:
    """Sleeps 10 ms in a loop and records how late it wakes up: the event loop's stalls."""

    def __init__(self, period: float = 0.01) -> None:
        self.period = period
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(self.period)
            self.worst = max(self.worst, loop.time() - started - self.period)

    def __enter__(self) -> StallMeter:
        self._task = asyncio.create_task(self._run())
        return self

    def __exit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def create_accounts(settings: IdentitySettings, pool: asyncpg.Pool, count: int) -> None:
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib
    )
    password_hash = await hasher.hash(PASSWORD)
    hasher.close()
    now = utcnow()
    async with pool.acquire() as conn, conn.transaction():
        await store.insert_tenant(
            conn,
            store.Tenant(TENANT, "Ville de banc d'essai", "f@bench.fr", "", 8, None, None, None),
        )
        for i in range(count):
            await store.insert_account(
                conn,
                tenant=TENANT,
                email=f"famille{i}@bench.fr",
                display_name=f"Famille {i}",
                roles=["family"],
                status="active",
                password_hash=password_hash,
                now=now,
            )


async def run(accounts: int, logins: int, concurrency: int, verifications: int) -> None:
    run_id = uuid.uuid4().hex[:8]
    database = f"pf_bench_{run_id}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    namespace = BusNamespace(f"bench{run_id}")
    settings = IdentitySettings.from_env(
        {},
        environment="test",
        log_level="warning",
        database_url=ADMIN_DSN.rpartition("/")[0] + f"/{database}",
        amqp_url=AMQP_URL,
        bus_namespace=namespace.name,
        db_pool_max=20,
        max_inflight_requests=max(256, concurrency * 2),
    )
    namespace.topologies.append((Topology(namespace.name, "identity"), settings.retry_delays_ms))
    configure_logging("bench", json=False, level="warning")
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await create_accounts(settings, app[POOL], accounts)
        url = f"http://127.0.0.1:{port}/tenants/{TENANT}/login"
        latencies: list[float] = []
        failures = 0
        tokens: list[str] = []
        semaphore = asyncio.Semaphore(concurrency)
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def login(i: int) -> None:
                nonlocal failures
                body = {"login": f"famille{i % accounts}@bench.fr", "password": PASSWORD}
                async with semaphore:
                    started = time.perf_counter()
                    async with session.post(url, json=body) as r:
                        data = await r.json()
                    latencies.append(time.perf_counter() - started)
                if r.status != 200:
                    failures += 1
                elif len(tokens) < 100:
                    tokens.append(data["access_token"])

            with StallMeter() as meter:
                started = time.perf_counter()
                await asyncio.gather(*(login(i) for i in range(logins)))
                elapsed = time.perf_counter() - started
        latencies.sort()
        p = statistics.quantiles(latencies, n=100)
        print(
            f"logins: {logins} over {accounts} accounts, concurrency {concurrency}, "
            f"argon2id t={settings.argon2_time_cost} m={settings.argon2_memory_kib} KiB "
            f"with {settings.argon2_workers} worker threads, {os.cpu_count()} CPUs"
        )
        print(f"total: {elapsed:.1f} s, {logins / elapsed:.1f} logins/s, failed: {failures}")
        print(
            f"latency: p50 {p[49] * 1000:.0f} ms, p95 {p[94] * 1000:.0f} ms, "
            f"p99 {p[98] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms"
        )
        print(f"largest event-loop stall: {meter.worst * 1000:.1f} ms")

        state = app[STATE]
        # Every token checked in full (signature included), then as a service sees a page's
        # repeated requests: the same tokens again, from the verified-token cache.
        for label, cache_size in (("signature checked", 0), ("already verified", 10_000)):
            verifier = TokenVerifier(
                state.jwks,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                verified_cache_size=cache_size,
            )
            for token in tokens:  # loads the keys (and fills the cache)
                await verifier.verify(token)
            started = time.perf_counter()
            for i in range(verifications):
                await verifier.verify(tokens[i % len(tokens)])
            elapsed = time.perf_counter() - started
            print(
                f"token verifications, {label}: {verifications / elapsed:,.0f}/s on one core "
                f"(shared.auth.TokenVerifier, EdDSA)"
            )
    finally:
        await runner.cleanup()
        await delete_topology(namespace)
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=500)
    parser.add_argument("--logins", type=int, default=2500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--verifications", type=int, default=20000)
    args = parser.parse_args()
    asyncio.run(run(args.accounts, args.logins, args.concurrency, args.verifications))


if __name__ == "__main__":
    main()
