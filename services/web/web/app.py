"""The web portal's app factory: the families' pages, server-rendered, over the services'
public APIs (a backend-for-frontend: the family's tokens stay here, in its sessions)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from shared.http.app import ServiceDefinition, create_service_app
from shared.keys import POOL
from shared.logging import get_logger
from web.apis import Apis
from web.domain import french, household
from web.pages import routes
from web.pages.common import html_errors, session_middleware
from web.settings import SETTINGS, WebSettings
from web.state import APIS, CLOCK, THEME, Clock, ThemeCache, apis_context
from web.usecases import sessions

log = get_logger(__name__)
HERE = Path(__file__).parent
MIGRATIONS = HERE / "migrations"
SWEEP_SECONDS = 600.0


def setup(app: web.Application) -> None:
    settings = app[SETTINGS]
    app[CLOCK] = Clock()
    app[APIS] = Apis(settings)
    app[THEME] = ThemeCache()
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        # In production the templates never change: no file check on every page.
        auto_reload=settings.environment != "production",
    )
    zone = settings.timezone
    env.filters["long_date"] = lambda v: french.long_date(v, zone)
    env.filters["long_datetime"] = lambda v: french.long_datetime(v, zone)
    env.filters["euros"] = french.euros
    env.filters["contact_flag"] = lambda c, flag: household.contact_flag(c, flag, zone)
    # the name escaped first: the apostrophe it may add stays one in the page
    env.filters["de"] = lambda name: Markup(french.de(str(escape(name))))
    # The pages' own middlewares, inside the foundation's: French HTML errors, the session.
    app.middlewares.append(html_errors)
    app.middlewares.append(session_middleware)
    app.on_response_prepare.append(_static_cache)


async def _static_cache(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "public, max-age=3600")


async def session_sweeper(app: web.Application) -> AsyncIterator[None]:
    """Deletes the expired sessions now and then."""

    async def run() -> None:
        while True:
            with contextlib.suppress(Exception):
                removed = await sessions.sweep(app[POOL], app[CLOCK].now())
                if removed:
                    log.info("sessions_expired_removed", count=removed)
            await asyncio.sleep(SWEEP_SECONDS)

    task = asyncio.create_task(run(), name="session-sweeper")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: web",
        settings_type=WebSettings,
        description=(
            "The families' web portal: server-rendered French pages (login, home with the"
            " town's news, household file, invoices and card payment) over the services'"
            " public APIs, with the family's tokens kept server-side."
        ),
        migrations_dir=MIGRATIONS,
        routes=routes,
        setup=setup,
        contexts=[apis_context, session_sweeper],
        cache_control="no-store",
    )


def create_app(settings: WebSettings | None = None) -> web.Application:
    settings = settings or WebSettings.from_env()
    return create_service_app(settings, definition())
