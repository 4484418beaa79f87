"""What a running identity service holds: the signing keyring, the hasher, the captcha.

The keyring lives in the database (private keys sealed by the vault); every replica loads
it at start and reloads it periodically, so a rotation made by the command reaches all of
them without a restart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from identity.domain.captcha import Captcha
from identity.domain.keys import SigningKeyring
from identity.domain.lockout import ThrottlePolicy
from identity.domain.passwords import PasswordHasher
from identity.domain.vault import KeyVault
from identity.settings import IdentitySettings
from identity.usecases.keys import load_keyring


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IdentityState:
    settings: IdentitySettings
    vault: KeyVault
    hasher: PasswordHasher
    captcha: Captcha
    account_policy: ThrottlePolicy
    address_policy: ThrottlePolicy
    keyring: SigningKeyring | None = None
    pool: asyncpg.Pool | None = None  # set once the database is open
    _reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def from_settings(cls, settings: IdentitySettings) -> IdentityState:
        return cls(
            settings=settings,
            vault=KeyVault(settings.signing_key_secret),
            hasher=PasswordHasher(
                time_cost=settings.argon2_time_cost,
                memory_cost=settings.argon2_memory_kib,
                max_workers=settings.argon2_workers,
            ),
            captcha=Captcha(settings.captcha()),
            account_policy=settings.account_policy(),
            address_policy=settings.address_policy(),
        )

    @property
    def current_keyring(self) -> SigningKeyring:
        if self.keyring is None:
            raise RuntimeError("keyring not loaded yet")
        return self.keyring

    async def reload_keys(self) -> SigningKeyring:
        if self.pool is None:
            raise RuntimeError("the database is not open yet")
        async with self._reload_lock:
            self.keyring = await load_keyring(self.pool, self.vault, now=utcnow())
        return self.keyring

    async def jwks(self) -> dict[str, Any]:
        """The JWKS for our own verifier: it asks only on an unknown kid, so reload first
        (another replica may have rotated)."""
        keyring = await self.reload_keys()
        return keyring.jwks(now=utcnow())


STATE: web.AppKey[IdentityState] = web.AppKey("identity_state", IdentityState)
