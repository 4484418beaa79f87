"""The identity service's app factory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web

from identity.api import routes
from identity.events import HANDLERS
from identity.runtime import STATE, IdentityState, identity_context
from identity.settings import SETTINGS, IdentitySettings
from shared.auth import JwksSource
from shared.http.app import ServiceDefinition, create_service_app

MIGRATIONS = Path(__file__).parent / "migrations"


def _setup(app: web.Application) -> None:
    """The signing keyring, the hasher and the captcha, installed before the app is frozen."""
    app[STATE] = IdentityState.from_settings(app[SETTINGS])


def _keyring(app: web.Application) -> JwksSource:
    """Our own tokens are checked against the keyring in hand, not over HTTP."""

    async def source() -> dict[str, Any]:
        return await app[STATE].jwks()

    return source


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: identity",
        settings_type=IdentitySettings,
        description="Municipalities, accounts, sign-up, login, tokens, passwords, terms of use.",
        migrations_dir=MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        setup=_setup,
        jwks_source=_keyring,
        contexts=[identity_context],
        # Every answer but the public documents may carry a secret or a personal detail.
        cache_control="no-store",
        public_paths=("/.well-known/jwks.json",),
    )


def create_app(settings: IdentitySettings | None = None) -> web.Application:
    settings = settings or IdentitySettings.from_env()
    return create_service_app(settings, definition())
