"""The notify service's app factory."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from notify.api import routes
from notify.commands import COMMANDS
from notify.dispatcher import dispatcher_context
from notify.events import HANDLERS
from notify.settings import NotifySettings
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: notify",
        settings_type=NotifySettings,
        description=(
            "Emails for every event (French, exactly once, retried), in-app notifications,"
            " the tenants' mail settings, news with attachments, information pages and canteen"
            " menus."
        ),
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        contexts=[dispatcher_context],
        commands=COMMANDS,
    )


def create_app(settings: NotifySettings | None = None) -> web.Application:
    settings = settings or NotifySettings.from_env()
    return create_service_app(settings, definition())
