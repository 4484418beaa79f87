"""The billing service's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from billing.api import routes
from billing.card_sweeper import card_sweeper_context
from billing.commands import COMMANDS
from billing.events import HANDLERS
from billing.finaliser import finaliser_context
from billing.reminder_sweeper import reminder_sweeper_context
from billing.render import PdfRenderer
from billing.settings import SETTINGS, BillingSettings
from billing.state import BANK_VAULT, CLOCK, PDF, Clock
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def _setup(app: web.Application) -> None:
    app[CLOCK] = Clock()
    app[PDF] = PdfRenderer(app[SETTINGS].pdf_threads)
    app[BANK_VAULT] = app[SETTINGS].bank_vault()


async def _pdf_threads(app: web.Application) -> AsyncIterator[None]:
    app[PDF].warm_up()
    yield
    app[PDF].close()


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: billing",
        settings_type=BillingSettings,
        description="Régies, price grids by family quotient, quotes and price lists, prepaid "
        "invoices per validated basket, credit notes for cancelled days deducted from the next "
        "invoice, postpaid monthly campaigns (from bookings or attendance) reviewed then "
        "finalised with gapless numbers, the ledger each payer's balance derives from, and "
        "every document as a PDF.",
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        setup=_setup,
        contexts=[finaliser_context, _pdf_threads, reminder_sweeper_context, card_sweeper_context],
        commands=COMMANDS,
        cache_control="no-store",
    )


def create_app(settings: BillingSettings | None = None) -> web.Application:
    settings = settings or BillingSettings.from_env()
    return create_service_app(settings, definition())
