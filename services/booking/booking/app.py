"""The booking service's app factory."""

from __future__ import annotations

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
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def _setup(app: web.Application) -> None:
    """The clock and the rush's groupings, installed before the app is frozen."""
    app[CLOCK] = Clock()
    app[GROUP_READ] = GroupRead()
    app[GROUP_COMMIT] = GroupCommit()


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: booking",
        settings_type=BookingSettings,
        description="Activities and their opening days, enrollments, baskets of bookings "
        "validated at once with capacity enforced, waiting lists, deadlines in Europe/Paris, "
        "per-child calendars.",
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        setup=_setup,
        contexts=[grouping_context],
    )


def create_app(settings: BookingSettings | None = None) -> web.Application:
    settings = settings or BookingSettings.from_env()
    return create_service_app(settings, definition())
