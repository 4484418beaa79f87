"""The booking service's app factory."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from booking.api import routes
from booking.commands import COMMANDS
from booking.events import HANDLERS
from booking.group_commit import GroupedLedger
from booking.ledger import DirectLedger, ledger_context
from booking.settings import SETTINGS, BookingSettings
from booking.state import CLOCK, LEDGER, Clock
from booking.sweeper import hold_sweeper_context
from booking.usecases.capacity import OFFER_LINKS
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def _setup(app: web.Application) -> None:
    """The clock, and the ledger the validations take their places through: grouped (the
    opening rush's group commit) unless BOOKING_GROUP_COMMIT is off."""
    app[CLOCK] = Clock()
    OFFER_LINKS.portal_url = app[SETTINGS].portal_url
    app[LEDGER] = GroupedLedger() if app[SETTINGS].group_commit else DirectLedger()


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
        contexts=[ledger_context, hold_sweeper_context],
        commands=COMMANDS,
        cache_control="no-store",
    )


def create_app(settings: BookingSettings | None = None) -> web.Application:
    settings = settings or BookingSettings.from_env()
    return create_service_app(settings, definition())
