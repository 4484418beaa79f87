"""The family service's app factory."""

from __future__ import annotations

from aiohttp import web

from family import api, store
from family.commands import COMMANDS
from family.events import HANDLERS
from family.settings import SETTINGS, FamilySettings
from family.state import VAULT
from shared.http.app import ServiceDefinition, create_service_app


def _setup(app: web.Application) -> None:
    """The health records' vault, installed before the app is frozen."""
    app[VAULT] = app[SETTINGS].vault()


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: family",
        settings_type=FamilySettings,
        description="Households, guardians, children, contacts, health records (encrypted), "
        "family quotient, subscriber codes, changes proposed by families and staff decisions, "
        "children's photos, supporting documents, requests to the town, CSV import, "
        "deletion requests.",
        migrations_dir=store.MIGRATIONS,
        routes=api.routes,
        event_handlers=HANDLERS,
        setup=_setup,
        # Household files and health records must not sit in a browser or proxy cache.
        cache_control="no-store",
        commands=COMMANDS,
    )


def create_app(settings: FamilySettings | None = None) -> web.Application:
    settings = settings or FamilySettings.from_env()
    return create_service_app(settings, definition())
