"""The booking service's app factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from booking.api import routes
from booking.events import HANDLERS
from booking.group_commit import (
    GROUP_COMMIT,
    GROUP_READ,
    GroupCommit,
    GroupRead,
    grouping_context,
)
from booking.runtime import CLOCK, Clock
from booking.settings import BookingSettings
from shared.auth import JwksSource, http_jwks_source
from shared.http.app import ServiceDefinition, create_service_app
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def _setup(settings: BookingSettings) -> Callable[[web.Application], JwksSource]:
    """Install the clock and the rush's groupings before the app is frozen (the hook family uses
    too); tokens are still verified against identity's JWKS."""

    def install(app: web.Application) -> JwksSource:
        app[CLOCK] = Clock()
        app[GROUP_READ] = GroupRead()
        app[GROUP_COMMIT] = GroupCommit()
        return http_jwks_source(settings.jwks_url)

    return install


def definition(settings: ServiceSettings | None = None) -> ServiceDefinition:
    if not isinstance(settings, BookingSettings):
        settings = BookingSettings.from_env()
    return ServiceDefinition(
        title="Portail Famille: booking",
        description="Activities and their opening days, enrollments, baskets of bookings "
        "validated at once with capacity enforced, waiting lists, deadlines in Europe/Paris, "
        "per-child calendars.",
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        jwks_source=_setup(settings),
        contexts=[grouping_context],
    )


def create_app(settings: BookingSettings | None = None) -> web.Application:
    settings = settings or BookingSettings.from_env()
    return create_service_app(settings, definition(settings))
