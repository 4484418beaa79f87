"""The family service's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from family import api, render, store
from family.commands import COMMANDS
from family.events import HANDLERS
from family.settings import SETTINGS, FamilySettings
from family.state import PDF, VAULT
from family.ticker import onboarding_ticker
from shared.http.app import ServiceDefinition, create_service_app


def _setup(app: web.Application) -> None:
    """The health records' vault and the letters' renderer, installed before the app is
    frozen."""
    app[VAULT] = app[SETTINGS].vault()
    app[PDF] = render.letter_renderer(app[SETTINGS].pdf_threads)


async def _pdf_threads(app: web.Application) -> AsyncIterator[None]:
    # WeasyPrint imported on the renderer's thread now (seconds): the first letter must not
    # wait for it past the portal's timeout.
    app[PDF].warm_up()
    yield
    app[PDF].close()


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: family",
        settings_type=FamilySettings,
        description="Households, guardians, children, contacts, health records (encrypted), "
        "family quotient, subscriber codes and their letters (PDF), changes proposed by "
        "families and staff decisions, children's photos, supporting documents, requests to "
        "the town, CSV import, deletion requests.",
        migrations_dir=store.MIGRATIONS,
        routes=api.routes,
        event_handlers=HANDLERS,
        setup=_setup,
        contexts=[_pdf_threads, onboarding_ticker],
        # Household files and health records must not sit in a browser or proxy cache.
        cache_control="no-store",
        commands=COMMANDS,
    )


def create_app(settings: FamilySettings | None = None) -> web.Application:
    settings = settings or FamilySettings.from_env()
    return create_service_app(settings, definition())
