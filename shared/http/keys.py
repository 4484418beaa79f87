"""Typed keys of what a service's aiohttp Application holds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import asyncpg
from aiohttp import web

from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

if TYPE_CHECKING:
    from shared.auth import TokenVerifier
    from shared.disabled_accounts import DisabledAccounts
    from shared.events.broker import Broker
    from shared.events.consumer import Consumer
    from shared.events.relay import OutboxRelay
    from shared.http.health import Readiness

SETTINGS = web.AppKey("settings", ServiceSettings)
POOL = web.AppKey("pool", asyncpg.Pool)
METRICS = web.AppKey("metrics", ServiceMetrics)
BROKER: web.AppKey[Broker] = web.AppKey("broker")
RELAY: web.AppKey[OutboxRelay] = web.AppKey("relay")
CONSUMERS: web.AppKey[list[Consumer]] = web.AppKey("consumers")
READINESS: web.AppKey[Readiness] = web.AppKey("readiness")
VERIFIER: web.AppKey[TokenVerifier] = web.AppKey("verifier")
DISABLED_ACCOUNTS: web.AppKey[DisabledAccounts] = web.AppKey("disabled_accounts")
SERVICE_STATE: web.AppKey[dict[str, Any]] = web.AppKey("service_state")
