"""The app factory every service uses: probes, middlewares, database, event bus, auth."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from shared import db, disabled_accounts, migrations
from shared.auth import JwksSource, TokenVerifier, authentication, http_jwks_source
from shared.events.broker import Broker
from shared.events.consumer import Consumer, EventHandler, run_checks
from shared.events.relay import OutboxRelay
from shared.events.topology import Topology
from shared.http import health, middlewares
from shared.http.keys import (
    BROKER,
    CONSUMERS,
    DISABLED_ACCOUNTS,
    METRICS,
    POOL,
    READINESS,
    RELAY,
    SETTINGS,
    VERIFIER,
)
from shared.http.openapi import build_spec
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = get_logger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


@dataclass
class ServiceDefinition:
    """What makes a service itself; everything else comes from the foundation."""

    title: str
    migrations_dir: Path | None
    routes: web.RouteTableDef | list[web.RouteDef] = field(default_factory=list)
    event_handlers: dict[str, EventHandler] = field(default_factory=dict)
    jwks_source: Callable[[web.Application], JwksSource] | None = None
    contexts: list[CleanupContext] = field(default_factory=list)
    description: str = ""
    version: str = "1.0.0"


def create_service_app(settings: ServiceSettings, service: ServiceDefinition) -> web.Application:
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            middlewares.request_context,
            middlewares.metrics,
            middlewares.problems,
            middlewares.load_shedding(settings.max_inflight_requests),
            authentication(VERIFIER, DISABLED_ACCOUNTS),
        ],
    )
    app[SETTINGS] = settings
    app[METRICS] = ServiceMetrics()
    app[READINESS] = health.Readiness(service.migrations_dir)
    source = (
        service.jwks_source(app) if service.jwks_source else http_jwks_source(settings.jwks_url)
    )
    app[VERIFIER] = TokenVerifier(
        source, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    app.router.add_get("/healthz", health.healthz)
    app.router.add_get("/readyz", health.readyz)
    app.router.add_get("/metrics", health.metrics)
    app.router.add_routes(service.routes)

    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(
            build_spec(
                request.app,
                title=service.title,
                version=service.version,
                description=service.description,
            )
        )

    app.router.add_get("/openapi.json", openapi)
    app[DISABLED_ACCOUNTS] = disabled_accounts.DisabledAccounts()
    app.cleanup_ctx.append(_database(service.migrations_dir))
    app.cleanup_ctx.append(disabled_accounts.refresh_context)
    # Every service hears identity disabling an account, besides its own events.
    app.cleanup_ctx.append(
        _event_bus(_combined(disabled_accounts.HANDLERS, service.event_handlers))
    )
    app.cleanup_ctx.extend(service.contexts)
    return app


def _combined(*maps: dict[str, EventHandler]) -> dict[str, EventHandler]:
    """One handler per event type; a type several maps handle runs each of their handlers,
    in order, in the same transaction."""
    found: dict[str, list[EventHandler]] = {}
    for handlers in maps:
        for event_type, handler in handlers.items():
            found.setdefault(event_type, []).append(handler)
    return {t: hs[0] if len(hs) == 1 else _in_turn(hs) for t, hs in found.items()}


def _in_turn(handlers: list[EventHandler]) -> EventHandler:
    async def handle(ctx: Any, event: Any) -> None:
        for handler in handlers:
            await handler(ctx, event)

    return handle


def _database(migrations_dir: Path | None) -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        pool = await _wait_for_database(settings, migrations_dir)
        app[POOL] = pool
        yield
        await asyncio.wait_for(pool.close(), 5)

    return context


async def _wait_for_database(
    settings: ServiceSettings, migrations_dir: Path | None, timeout: float = 30
) -> asyncpg.Pool:
    """Postgres may still be starting (compose, k8s): retry for a while, then fail loudly."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            if settings.migrate_on_start:
                await migrations.migrate(settings, migrations_dir)
            return await db.create_pool(settings)
        except (OSError, asyncpg.CannotConnectNowError) as exc:
            if asyncio.get_running_loop().time() > deadline:
                raise
            log.warning("database_unavailable", error=repr(exc))
            await asyncio.sleep(1)


def _event_bus(handlers: dict[str, EventHandler]) -> CleanupContext:
    async def context(app: web.Application) -> AsyncIterator[None]:
        settings = app[SETTINGS]
        topology = Topology(settings.bus_namespace, settings.service)
        broker = Broker(settings, topology)
        relay = OutboxRelay(settings, app[POOL], broker, app[METRICS])
        consumers = []
        if handlers:
            consumers.append(
                Consumer(
                    settings=settings,
                    topology=topology,
                    pool=app[POOL],
                    broker=broker,
                    handlers=handlers,
                    metrics=app[METRICS],
                    app=app,
                )
            )
        app[BROKER], app[RELAY], app[CONSUMERS] = broker, relay, consumers
        tasks = [
            asyncio.create_task(broker.run(), name="broker"),
            asyncio.create_task(run_checks(consumers), name="consumer-checks"),
        ]
        if settings.outbox_relay_in_process:
            tasks.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        yield
        # Graceful: stop taking messages, let handlers finish, publish what can be, close.
        budget = settings.shutdown_timeout
        for consumer in consumers:
            await consumer.stop(timeout=budget / 2)
        if broker.connected.is_set() and settings.outbox_relay_in_process:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(relay.drain(), budget / 4)
        await broker.stop()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(task, 2)

    return context
