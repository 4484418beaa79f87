"""Probes: /healthz (alive), /readyz (able to serve, and what is degraded), /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
from pathlib import Path
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import migrations
from shared.errors import Problem
from shared.keys import BROKER, CONSUMERS, METRICS, POOL, RELAY, SETTINGS

# Without these the service cannot answer at all; the others only degrade it (state changes
# still succeed while the broker is away: their events wait in the outbox).
CRITICAL = ("database", "migrations")


class Readiness:
    def __init__(self, migrations_dir: Path | None) -> None:
        self.migrations_dir = migrations_dir

    async def checks(self, app: web.Application) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        pool = app.get(POOL)
        try:
            if pool is None:
                raise RuntimeError("no database pool")
            await asyncio.wait_for(pool.fetchval("SELECT 1"), 2)
            out["database"] = {"ok": True}
            missing = await asyncio.wait_for(migrations.pending(pool, self.migrations_dir), 2)
            out["migrations"] = (
                {"ok": True} if not missing else {"ok": False, "reason": f"pending: {missing}"}
            )
        except Exception as exc:
            out["database"] = {"ok": False, "reason": f"database unreachable: {exc!r}"}
            out["migrations"] = {"ok": False, "reason": "unknown (database unreachable)"}
        broker = app.get(BROKER)
        if broker is not None:
            connected = broker.connected.is_set()
            out["broker"] = (
                {"ok": True} if connected else {"ok": False, "reason": broker.last_error}
            )
            consumers = app.get(CONSUMERS, [])
            if consumers:
                idle = [c.topology.queue for c in consumers if not c.running]
                out["consumers"] = (
                    {"ok": True} if not idle else {"ok": False, "reason": f"not consuming: {idle}"}
                )
        relay = app.get(RELAY)
        if relay is not None:
            try:
                backlog = await asyncio.wait_for(relay.backlog(), 2)
                out["outbox"] = {"ok": True, "backlog": backlog}
            except Exception as exc:
                out["outbox"] = {"ok": False, "reason": repr(exc)}
        return out


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "alive"})


async def readyz(request: web.Request) -> web.Response:
    """200 ready, 200 degraded (with reasons), or 503 with reasons; `?strict=1`: 503 on any."""
    checks = await request.app[READINESS].checks(request.app)
    failing = {name: c["reason"] for name, c in checks.items() if not c["ok"]}
    strict = request.query.get("strict") in ("1", "true")
    critical = [name for name in failing if name in CRITICAL or strict]
    status = "ready" if not failing else "degraded" if not critical else "unavailable"
    body = {"status": status, "checks": checks}
    if critical:
        body.update(
            type="https://portail-famille.fr/problems/not-ready",
            title="Service not ready",
            detail="; ".join(f"{name}: {reason}" for name, reason in failing.items()),
        )
        return web.json_response(body, status=503, content_type="application/problem+json")
    return web.json_response(body)


def _may_read_metrics(request: web.Request) -> None:
    """Metrics tell the traffic, the queues and the failures: only Prometheus reads them,
    with METRICS_TOKEN, or, without one, only a process on the same machine (the socket's
    peer, never a forwarded address a client could write)."""
    token = request.app[SETTINGS].metrics_token
    if token:
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Problem(
                401,
                "unauthenticated",
                "Unauthenticated",
                "Les métriques demandent le jeton de supervision (METRICS_TOKEN).",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
        return
    peer = request.transport.get_extra_info("peername") if request.transport else None
    host = peer[0] if isinstance(peer, tuple) and peer else None
    try:
        local = host is not None and ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        local = False
    if not local:
        raise Problem(
            403,
            "metrics-disabled",
            "Metrics disabled",
            "Les métriques ne sont lisibles que depuis la machine du service, ou avec le jeton"
            " de supervision (METRICS_TOKEN).",
        )


async def metrics(request: web.Request) -> web.Response:
    _may_read_metrics(request)
    app = request.app
    relay = app.get(RELAY)
    if relay is not None:
        # On failure the gauge keeps its last value; /readyz tells what is wrong.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(relay.backlog(), 2)
    body = generate_latest(app[METRICS].registry)
    response = web.Response(body=body)
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    response.charset = "utf-8"
    return response


READINESS = web.AppKey("readiness", Readiness)
