"""The family service's app factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from family import api, api_admin, api_documents, api_photos, api_requests
from family.events import HANDLERS
from family.runtime import VAULT
from family.settings import FamilySettings
from shared.auth import JwksSource, http_jwks_source
from shared.http.app import ServiceDefinition, create_service_app
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"
_CACHEABLE = ("/openapi.json", "/healthz", "/readyz", "/metrics")


def _setup(settings: FamilySettings) -> Callable[[web.Application], JwksSource]:
    """Install the vault and the no-store header before the app starts.

    ServiceDefinition has no setup hook, but `jwks_source` is called once with the app before
    it is frozen (as identity does); tokens are still verified against identity's JWKS.
    """

    def install(app: web.Application) -> JwksSource:
        app[VAULT] = settings.vault()
        app.on_response_prepare.append(_no_store)
        return http_jwks_source(settings.jwks_url)

    return install


def definition(settings: ServiceSettings | None = None) -> ServiceDefinition:
    if not isinstance(settings, FamilySettings):
        settings = FamilySettings.from_env()
    return ServiceDefinition(
        title="Portail Famille: family",
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
        jwks_source=_setup(settings),
    )


async def _no_store(request: web.Request, response: web.StreamResponse) -> None:
    # Household files and health records must not sit in a browser or proxy cache.
    if request.path not in _CACHEABLE:
        response.headers.setdefault("Cache-Control", "no-store")


def create_app(settings: FamilySettings | None = None) -> web.Application:
    settings = settings or FamilySettings.from_env()
    return create_service_app(settings, definition(settings))
