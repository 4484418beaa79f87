"""The identity service's app factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from identity.api import routes
from identity.events import HANDLERS
from identity.runtime import STATE, IdentityState, identity_context
from identity.settings import IdentitySettings
from shared.auth import JwksSource
from shared.http.app import ServiceDefinition, create_service_app
from shared.settings import ServiceSettings

MIGRATIONS = Path(__file__).parent / "migrations"
# Public, cacheable documents; every other answer may carry a secret or a personal detail.
_CACHEABLE = ("/.well-known/jwks.json", "/openapi.json", "/healthz", "/readyz", "/metrics")


def _setup(settings: IdentitySettings) -> Callable[[web.Application], JwksSource]:
    """Install the service state on the app; our tokens are then checked against the keyring
    in hand, not over HTTP.

    ServiceDefinition has no setup hook, but `jwks_source` is called once with the app
    before it starts (also when `shared.cli` builds it), so the state is installed there.
    """

    def install(app: web.Application) -> JwksSource:
        app[STATE] = IdentityState.from_settings(settings)
        app.on_response_prepare.append(_no_store)

        async def source() -> dict[str, Any]:
            return await app[STATE].jwks()

        return source

    return install


def definition(settings: ServiceSettings | None = None) -> ServiceDefinition:
    if not isinstance(settings, IdentitySettings):
        settings = IdentitySettings.from_env()
    return ServiceDefinition(
        title="Portail Famille: identity",
        description="Municipalities, accounts, sign-up, login, tokens, passwords, terms of use.",
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        jwks_source=_setup(settings),
        contexts=[identity_context],
    )


async def _no_store(request: web.Request, response: web.StreamResponse) -> None:
    if request.path not in _CACHEABLE:
        response.headers.setdefault("Cache-Control", "no-store")


def create_app(settings: IdentitySettings | None = None) -> web.Application:
    settings = settings or IdentitySettings.from_env()
    return create_service_app(settings, definition(settings))
