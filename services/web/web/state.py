"""What a running portal holds besides the foundation: its HTTP client to the services, its
clock and the theme cache."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from web.apis import Apis
from web.domain.theme import Theme
from web.settings import SETTINGS


@dataclass
class Clock:
    fixed: datetime | None = None

    def now(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@dataclass
class ThemeCache:
    """The town's theme, read again after WEB_THEME_CACHE_SECONDS."""

    theme: Theme | None = None
    read_at: float = field(default=0.0)


CLOCK: web.AppKey[Clock] = web.AppKey("web_clock", Clock)
APIS: web.AppKey[Apis] = web.AppKey("web_apis", Apis)
THEME: web.AppKey[ThemeCache] = web.AppKey("web_theme", ThemeCache)


async def apis_context(app: web.Application) -> AsyncIterator[None]:
    """One keep-alive client session to the services for the process's life."""
    settings = app[SETTINGS]
    connector = aiohttp.TCPConnector(limit=200, limit_per_host=64, keepalive_timeout=30)
    session = aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=settings.api_timeout)
    )
    app[APIS].attach(session)
    yield
    await session.close()
