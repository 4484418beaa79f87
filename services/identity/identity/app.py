"""The identity service's app factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from identity import store
from identity.api import routes
from identity.commands import COMMANDS
from identity.events import HANDLERS
from identity.settings import SETTINGS, IdentitySettings
from identity.state import STATE, IdentityState
from shared.auth import VERIFIER, JwksSource
from shared.http.app import ServiceDefinition, create_service_app
from shared.keys import POOL
from shared.logging import get_logger

log = get_logger(__name__)


def _setup(app: web.Application) -> None:
    """The signing keyring, the hasher and the captcha, installed before the app is frozen."""
    app[STATE] = IdentityState.from_settings(app[SETTINGS])


def _keyring(app: web.Application) -> JwksSource:
    """Our own tokens are checked against the keyring in hand, not over HTTP."""

    async def source() -> dict[str, Any]:
        return await app[STATE].jwks()

    return source


async def _keyring_context(app: web.Application) -> AsyncIterator[None]:
    """Load the keyring once the pool exists; keep it fresh; stop the hashing threads."""
    state = app[STATE]
    state.pool = app[POOL]
    await state.reload_keys()
    # Our verifier's key source is a local database read, not an HTTP call: let it look
    # again soon after an unknown kid, so a rotation made by another replica is seen at once.
    app[VERIFIER].min_refresh_interval = 0.5
    period = app[SETTINGS].keyring_reload_seconds

    async def reload_forever() -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await state.reload_keys()
            except Exception as exc:  # a database blip must not kill the reloader
                log.warning("keyring_reload_failed", error=repr(exc))

    task = asyncio.create_task(reload_forever(), name="keyring-reload")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await asyncio.get_running_loop().run_in_executor(None, state.hasher.close)


def definition() -> ServiceDefinition:
    return ServiceDefinition(
        title="Portail Famille: identity",
        settings_type=IdentitySettings,
        description="Municipalities, accounts, sign-up, login, tokens, passwords, terms of use.",
        migrations_dir=store.MIGRATIONS,
        routes=routes,
        event_handlers=HANDLERS,
        setup=_setup,
        jwks_source=_keyring,
        contexts=[_keyring_context],
        # Every answer but the public documents may carry a secret or a personal detail.
        cache_control="no-store",
        public_paths=("/.well-known/jwks.json",),
        commands=COMMANDS,
    )


def create_app(settings: IdentitySettings | None = None) -> web.Application:
    settings = settings or IdentitySettings.from_env()
    return create_service_app(settings, definition())
