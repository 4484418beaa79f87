"""What a running identity service holds: the signing keyring, the hasher, the captcha.

The keyring lives in the database (private keys encrypted with AES-GCM); every replica
loads it at start and reloads it periodically, so a rotation made by the command reaches
all of them without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import string
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from identity import store
from identity.domain.captcha import Captcha
from identity.domain.keys import SigningKey, SigningKeyring
from identity.domain.lockout import ThrottlePolicy
from identity.domain.passwords import PasswordHasher
from identity.domain.tokens import DEFAULT_LEEWAY
from identity.settings import IdentitySettings
from shared.auth import VERIFIER
from shared.keys import POOL, SETTINGS
from shared.logging import get_logger

log = get_logger(__name__)


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- signing keys at rest ---------------------------------------------------------------


class KeyVault:
    """AES-256-GCM around the private PEM; the kid is authenticated data, so a ciphertext
    cannot be moved to another row."""

    def __init__(self, secret: str) -> None:
        # The secret is long and random in production: a hash is enough to size it.
        self._aead = AESGCM(hashlib.sha256(b"identity-signing-keys:" + secret.encode()).digest())

    def seal(self, key: SigningKey) -> store.StoredKey:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, key.to_pem(), key.kid.encode())
        return store.StoredKey(key.kid, sealed, key.created_at, key.retire_after, key.active_from)

    def open(self, stored: store.StoredKey) -> SigningKey:
        nonce, ciphertext = stored.encrypted_private_key[:12], stored.encrypted_private_key[12:]
        pem = self._aead.decrypt(nonce, ciphertext, stored.kid.encode())
        return SigningKey.from_pem(
            pem,
            created_at=stored.created_at,
            retire_after=stored.retire_after,
            activates_at=stored.activates_at,
        )


def retirement_delay(settings: IdentitySettings) -> timedelta:
    """How long a retired key still verifies: the longest token life, the leeway, a margin."""
    return settings.access_ttl + DEFAULT_LEEWAY + timedelta(minutes=1)


async def load_keyring(
    conn: asyncpg.Connection | asyncpg.Pool, vault: KeyVault, *, now: datetime
) -> SigningKeyring:
    """The stored keyring; the first start of a deployment creates its first key."""
    stored = await store.signing_keys(conn)
    if not any(key.retire_after is None for key in stored):
        await store.insert_first_key(conn, vault.seal(SigningKey.generate(now=now)))
        stored = await store.signing_keys(conn)
    keys = [vault.open(key) for key in stored]
    return SigningKeyring.from_keys(keys, now=now).without_retired(now=now)


class RotationPending(Exception):
    """A prepared key has not started signing yet: one rotation at a time."""

    def __init__(self, key: SigningKey) -> None:
        super().__init__(
            f"key {key.kid} is already waiting to sign (from {key.active_from.isoformat()});"
            " rotate again after that"
        )
        self.key = key


async def rotate_keyring(
    pool: asyncpg.Pool,
    settings: IdentitySettings,
    *,
    now: datetime,
    activate_after: timedelta | None = None,
) -> SigningKeyring:
    """Prepare a new key: published at once (every replica's next reload), signing from
    `now + activate_after` (SIGNING_KEY_ACTIVATION_MINUTES by default), so that the other
    services' verifiers, which refetch the JWKS at most every 30 s, know it before its first
    token. The previous key signs until then and verifies until its last tokens expire."""
    delay = settings.key_activation_delay if activate_after is None else activate_after
    vault = KeyVault(settings.signing_key_secret)
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_keys(conn)
        keyring = await load_keyring(conn, vault, now=now)  # makes sure a current key exists
        if keyring.pending:
            raise RotationPending(keyring.pending[0])
        new = SigningKey.generate(now=now, activates_at=now + delay)
        await store.rotate_keys(
            conn,
            vault.seal(new),
            retire_after=now + delay + retirement_delay(settings),
            now=now,
        )
        return await load_keyring(conn, vault, now=now)


# --- the service's state ----------------------------------------------------------------


@dataclass
class IdentityState:
    settings: IdentitySettings
    vault: KeyVault
    hasher: PasswordHasher
    captcha: Captcha
    account_policy: ThrottlePolicy
    address_policy: ThrottlePolicy
    keyring: SigningKeyring | None = None
    pool: asyncpg.Pool | None = None
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
        assert self.pool is not None
        async with self._reload_lock:
            self.keyring = await load_keyring(self.pool, self.vault, now=utcnow())
        return self.keyring

    async def jwks(self) -> dict[str, Any]:
        """The JWKS for our own verifier: it asks only on an unknown kid, so reload first
        (another replica may have rotated)."""
        keyring = await self.reload_keys()
        return keyring.jwks(now=utcnow())


STATE: web.AppKey[IdentityState] = web.AppKey("identity_state", IdentityState)


async def identity_context(app: web.Application) -> AsyncIterator[None]:
    """Load the keyring once the pool exists; keep it fresh; stop the hashing threads."""
    state = app[STATE]
    state.pool = app[POOL]
    await state.reload_keys()
    # Our verifier's key source is a local database read, not an HTTP call: let it look
    # again soon after an unknown kid, so a rotation made by another replica is seen at once.
    app[VERIFIER].min_refresh_interval = 0.5
    settings = app[SETTINGS]
    assert isinstance(settings, IdentitySettings)

    async def reload_forever() -> None:
        while True:
            await asyncio.sleep(settings.keyring_reload_seconds)
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


# --- temporary passwords ----------------------------------------------------------------

_TEMPORARY_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "lIO0o1")


def temporary_password(length: int = 14) -> str:
    """Random, readable over the phone (no l/I/O/0), with an upper-case letter and a digit."""
    while True:
        candidate = "".join(secrets.choice(_TEMPORARY_ALPHABET) for _ in range(length))
        if any(c.isupper() for c in candidate) and any(c.isdigit() for c in candidate):
            return candidate
