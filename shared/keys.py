"""Typed keys of what a running service holds (its aiohttp Application).

The foundation's own parts live here; a part defines its key beside itself when only it and
the app factory use it (`health.READINESS`, `auth.VERIFIER`, `disabled_accounts.DISABLED_ACCOUNTS`).
"""

from __future__ import annotations

import functools
from typing import TypeVar

import asyncpg
from aiohttp import web

from shared.events.broker import Broker
from shared.events.consumer import Consumer
from shared.events.relay import OutboxRelay
from shared.metrics import ServiceMetrics
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)

SETTINGS = web.AppKey("settings", ServiceSettings)
POOL = web.AppKey("pool", asyncpg.Pool)
METRICS = web.AppKey("metrics", ServiceMetrics)
BROKER = web.AppKey("broker", Broker)
RELAY = web.AppKey("relay", OutboxRelay)
CONSUMERS: web.AppKey[list[Consumer]] = web.AppKey("consumers")


@functools.cache
def settings_key(kind: type[S]) -> web.AppKey[S]:
    """The key under which the app factory also stores the settings with their own type, so
    that a service reads `app[settings_key(BookingSettings)]` typed, without casts."""
    return web.AppKey(f"settings:{kind.__qualname__}", kind)
