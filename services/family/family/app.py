"""The family service's app factory."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from family import api, api_admin, api_documents, api_photos, api_requests
from family.events import HANDLERS
from family.runtime import VAULT
from family.settings import SETTINGS, FamilySettings
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


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
        migrations_dir=MIGRATIONS,
        routes=[
            *api.routes,
            *api_photos.routes,
            *api_documents.routes,
            *api_requests.routes,
            *api_admin.routes,
        ],
        event_handlers=HANDLERS,
        setup=_setup,
        # Household files and health records must not sit in a browser or proxy cache.
        cache_control="no-store",
    )


def create_app(settings: FamilySettings | None = None) -> web.Application:
    settings = settings or FamilySettings.from_env()
    return create_service_app(settings, definition())
