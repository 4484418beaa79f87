"""The app factory every service uses: probes, middlewares, database, event bus, auth."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from shared import db, disabled_accounts, migrations
from shared.auth import VERIFIER, JwksSource, TokenVerifier, authentication, http_jwks_source
from shared.disabled_accounts import DISABLED_ACCOUNTS
from shared.events.broker import Broker
from shared.events.consumer import Consumer, EventHandler, run_checks
from shared.events.relay import OutboxRelay
from shared.events.topology import Topology
from shared.http import health, middlewares
from shared.http.health import READINESS
from shared.http.openapi import build_spec
from shared.keys import BROKER, CONSUMERS, METRICS, POOL, RELAY, SETTINGS, settings_key
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

log = get_logger(__name__)

CleanupContext = Callable[[web.Application], AsyncIterator[None]]


@dataclass(frozen=True)
class Command:
    """A command of the service's own: `python -m <service> <name> [arguments]`.

    `run` gets the service's settings and the parsed arguments and returns the exit code.
    `refused_in_production` is said (exit 2) when APP_ENV=production, before the settings
    are even read (they may not load there without secrets the command does not need).
    """

    help: str
    run: Callable[[Any, argparse.Namespace], int]
    arguments: Callable[[argparse.ArgumentParser], None] | None = None
    refused_in_production: str | None = None


# Public answers that a browser or proxy may keep; everything else may carry a secret or a
# personal detail when the service asks for `cache_control`.
PUBLIC_PATHS = ("/openapi.json", "/healthz", "/readyz", "/metrics")


# aiohttp refuses a request line or a header above its parser's limits before any request
# exists (no middleware sees it); shared/http/server.py answers it 414 or 431 in problem+json.
# Set above what the gateway lets through (nginx's 8 KiB header buffers; a URI nginx
# re-escapes may grow threefold), so that behind it the gateway refuses first. The two
# differ: the parser's error names only the limit it passed, which tells 414 from 431.
PARSER_LIMITS = {"max_line_size": 32 * 1024, "max_field_size": 16 * 1024}


@dataclass
class ServiceDefinition:
    """What makes a service itself; everything else comes from the foundation."""

    title: str
    settings_type: type[ServiceSettings]
    migrations_dir: Path | None
    routes: web.RouteTableDef | list[web.RouteDef] = field(default_factory=list)
    event_handlers: dict[str, EventHandler] = field(default_factory=dict)
    # Installs the service's own state on the app before it is frozen (the settings are
    # already at `app[settings_key(<its settings type>)]`).
    setup: Callable[[web.Application], None] | None = None
    # Where tokens' keys come from (default: identity's JWKS over HTTP; identity: its keyring).
    jwks_source: Callable[[web.Application], JwksSource] | None = None
    contexts: list[CleanupContext] = field(default_factory=list)
    # e.g. "no-store": set on every answer but `PUBLIC_PATHS` and `public_paths`.
    cache_control: str | None = None
    public_paths: tuple[str, ...] = ()
    commands: dict[str, Command] = field(default_factory=dict)
    description: str = ""
    version: str = "1.0.0"


def create_service_app(settings: ServiceSettings, service: ServiceDefinition) -> web.Application:
    if not isinstance(settings, service.settings_type):
        raise TypeError(f"{service.title} needs {service.settings_type.__name__} settings")
    app = web.Application(
        client_max_size=settings.max_body_bytes,
        middlewares=[
            middlewares.request_context,
            middlewares.metrics,
            middlewares.problems,
            middlewares.nul_bytes,
            middlewares.load_shedding(settings.max_inflight_requests),
            authentication(VERIFIER, DISABLED_ACCOUNTS),
        ],
    )
    app[SETTINGS] = settings
    app[settings_key(service.settings_type)] = settings
    app[METRICS] = ServiceMetrics()
    app[READINESS] = health.Readiness(service.migrations_dir)
    if service.setup is not None:
        service.setup(app)
    source = (
        service.jwks_source(app) if service.jwks_source else http_jwks_source(settings.jwks_url)
    )
    app[VERIFIER] = TokenVerifier(
        source, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    if service.cache_control:
        app.on_response_prepare.append(
            _cache_control(service.cache_control, (*PUBLIC_PATHS, *service.public_paths))
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


def _cache_control(
    value: str, public: tuple[str, ...]
) -> Callable[[web.Request, web.StreamResponse], Awaitable[None]]:
    async def set_header(request: web.Request, response: web.StreamResponse) -> None:
        if request.path not in public:
            response.headers.setdefault("Cache-Control", value)

    return set_header


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
