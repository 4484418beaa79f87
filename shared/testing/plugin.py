"""pytest plugin (loaded by the project's pytest configuration).

Every test run creates its own Postgres database and drops it after; every test gets a fresh
schema and a unique bus namespace (exchange and queue names) that is deleted after it, so
parallel or repeated runs never see each other's data. Servers come from TEST_DATABASE_URL
and TEST_AMQP_URL (local defaults). When they do not answer the run stops with instructions:
it never skips silently.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aio_pika
import asyncpg
import pytest
from aiohttp import web

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing.tokens import TokenFactory

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
HOW_TO = (
    "Postgres and RabbitMQ must run for the tests: run `scripts/ensure-services` (it starts "
    "them, or installs them with apt as root), or point TEST_DATABASE_URL / TEST_AMQP_URL at "
    "servers that answer."
)


def _with_database(dsn: str, database: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{database}"


# Set by pytest_configure when the local servers did not answer but a Docker engine did.
CONTAINERS: dict[str, Any] = {}
_UNAVAILABLE: list[str] = []


async def _answers() -> str | None:
    """None when both servers answer, else what is wrong."""
    try:
        conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
        await conn.close()
    except Exception as exc:
        return f"Postgres does not answer at {ADMIN_DSN}: {exc!r}"
    try:
        connection = await aio_pika.connect(AMQP_URL, timeout=5)
        await connection.close()
    except Exception as exc:
        return f"RabbitMQ does not answer at {AMQP_URL}: {exc!r}"
    return None


def _docker_answers() -> bool:
    try:
        import docker  # comes with testcontainers (a development dependency)

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _start_containers() -> None:
    """Throwaway Postgres 15 and RabbitMQ 3.10 in Docker, for machines without them."""
    global ADMIN_DSN, AMQP_URL
    from testcontainers.community.postgres import PostgresContainer
    from testcontainers.community.rabbitmq import RabbitMqContainer

    postgres = PostgresContainer("postgres:15", dbname="postgres").start()
    CONTAINERS["postgres"] = postgres
    rabbitmq = RabbitMqContainer("rabbitmq:3.10").start()
    CONTAINERS["rabbitmq"] = rabbitmq
    ADMIN_DSN = postgres.get_connection_url(driver=None)
    host, port = rabbitmq.get_container_host_ip(), rabbitmq.get_exposed_port(5672)
    AMQP_URL = f"amqp://guest:guest@{host}:{port}/"
    os.environ["TEST_DATABASE_URL"], os.environ["TEST_AMQP_URL"] = ADMIN_DSN, AMQP_URL


def pytest_configure(config: pytest.Config) -> None:
    """Find the servers before test modules import ADMIN_DSN / AMQP_URL."""
    if config.option.help or config.option.collectonly:
        return
    problem = asyncio.run(_answers())
    if problem and _docker_answers():
        _start_containers()
        problem = asyncio.run(_answers())
    if problem:
        _UNAVAILABLE.append(f"{problem}\n{HOW_TO}")


def pytest_unconfigure(config: pytest.Config) -> None:
    for container in CONTAINERS.values():
        container.stop()


@dataclasses.dataclass
class TestRun:
    """The per-run database and the roles created for it."""

    __test__ = False
    run_id: str
    database_url: str
    roles: set[str] = dataclasses.field(default_factory=set)


@pytest.fixture(scope="session")
def test_run() -> Iterator[TestRun]:
    run_id = uuid.uuid4().hex[:10]
    database = f"pf_test_{run_id}"

    if _UNAVAILABLE:
        pytest.exit(_UNAVAILABLE[0], returncode=3)

    async def create() -> None:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(f'CREATE DATABASE "{database}"')
        finally:
            await conn.close()

    asyncio.run(create())
    run = TestRun(run_id, _with_database(ADMIN_DSN, database))
    yield run

    async def drop() -> None:
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in run.roles:
                await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await conn.close()

    asyncio.run(drop())


@dataclasses.dataclass
class BusNamespace:
    name: str
    topologies: list[tuple[Topology, tuple[int, ...]]] = dataclasses.field(default_factory=list)
    ended_at: float | None = None


@pytest.fixture(scope="session")
def _used_namespaces() -> Iterator[list[BusNamespace]]:
    """Bus namespaces of the run; each is deleted a little after its test ended.

    Not at once: RabbitMQ 3.10 crashes a quorum queue's at-least-once dead-letter worker
    when the queue is deleted while that worker is still starting, and a few such crashes
    in a row take down `rabbit_fifo_dlx_sup`, after which no at-least-once queue can be
    declared until the RabbitMQ application restarts. Not all at the end either: hundreds
    of live quorum queues weigh on a small broker. What remains goes at the end of the run.
    """
    used: list[BusNamespace] = []
    yield used

    async def delete_all() -> None:
        for namespace in used:
            await delete_topology(namespace)

    asyncio.run(delete_all())


_RIPE_AFTER_SECONDS = 2.0


async def _delete_ripe(used: list[BusNamespace]) -> None:
    now = time.monotonic()
    ripe = [n for n in used if n.ended_at is not None and now - n.ended_at >= _RIPE_AFTER_SECONDS]
    if not ripe:
        return
    for namespace in ripe:
        used.remove(namespace)
    with contextlib.suppress(Exception):  # what fails here is retried at the end of the run
        for namespace in ripe:
            await delete_topology(namespace)
            namespace.topologies.clear()


@pytest.fixture
async def bus_namespace(_used_namespaces: list[BusNamespace]) -> AsyncIterator[BusNamespace]:
    await _delete_ripe(_used_namespaces)
    namespace = BusNamespace(f"t{uuid.uuid4().hex[:12]}")
    _used_namespaces.append(namespace)
    yield namespace
    namespace.ended_at = time.monotonic()


async def delete_topology(namespace: BusNamespace) -> None:
    connection = await aio_pika.connect(AMQP_URL)
    try:
        for topology, delays in namespace.topologies:
            names = [topology.queue, topology.parked, *(topology.retry_queue(d) for d in delays)]
            for name in names:
                channel = await connection.channel()
                with contextlib.suppress(Exception):
                    await channel.queue_delete(name)
                with contextlib.suppress(Exception):
                    await channel.close()
            channel = await connection.channel()
            with contextlib.suppress(Exception):
                await channel.exchange_delete(topology.dead_letter_exchange)
        channel = await connection.channel()
        with contextlib.suppress(Exception):
            await channel.exchange_delete(f"{namespace.name}.events")
        channel = await connection.channel()
        with contextlib.suppress(Exception):
            await channel.queue_delete(f"{namespace.name}.events.archive")
    finally:
        await connection.close()


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
async def jwks_url(aiohttp_server: Any, tokens: TokenFactory) -> str:
    """The test token issuer's JWKS, served over HTTP like the identity service's."""

    async def jwks(_: web.Request) -> web.Response:
        return web.json_response(tokens.jwks())

    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", jwks)
    server = await aiohttp_server(app)
    return str(server.make_url("/.well-known/jwks.json"))


SettingsFactory = Callable[..., Any]


@pytest.fixture
def make_settings(
    test_run: TestRun, bus_namespace: BusNamespace, jwks_url: str, tokens: TokenFactory
) -> SettingsFactory:
    """Settings for a service under test: its own fresh schema and role, the test bus."""

    def make(settings_type: type[ServiceSettings] = ServiceSettings, **overrides: Any) -> Any:
        service = overrides.pop("service", None) or settings_type.from_env({}).service
        schema = overrides.pop("db_schema", f"{service}_{uuid.uuid4().hex[:8]}")
        role = overrides.pop("db_role", f"pft_{test_run.run_id}_{service}")
        if role:
            test_run.roles.add(role)
        values: dict[str, Any] = {
            "service": service,
            "environment": "test",
            "database_url": test_run.database_url,
            "db_schema": schema,
            "db_role": role,
            "amqp_url": AMQP_URL,
            "bus_namespace": bus_namespace.name,
            "jwks_url": jwks_url,
            "jwt_issuer": tokens.issuer,
            "jwt_audience": tokens.audience,
            "outbox_sweep_seconds": 0.5,
            "retry_delays_ms": (100,),  # one retry queue: fewer quorum queues per test
            "consumer_max_attempts": 3,
            "shutdown_timeout": 3.0,
            **overrides,
        }
        settings = settings_type.from_env({}, **values)
        bus_namespace.topologies.append(
            (Topology(bus_namespace.name, service), settings.retry_delays_ms)
        )
        return settings

    return make
