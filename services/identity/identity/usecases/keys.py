"""The signing keyring: loaded by every replica, rotated in two phases by the command."""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg

from identity import store
from identity.domain.errors import RotationPending
from identity.domain.keys import SigningKey, SigningKeyring
from identity.domain.tokens import DEFAULT_LEEWAY
from identity.domain.vault import KeyVault
from identity.settings import IdentitySettings
from shared.uow import UnitOfWork


def retirement_delay(settings: IdentitySettings) -> timedelta:
    """How long a retired key still verifies: the longest token life, the leeway, a margin."""
    return settings.access_ttl + DEFAULT_LEEWAY + timedelta(minutes=1)


async def load_keyring(
    conn: asyncpg.Connection | asyncpg.Pool, vault: KeyVault, *, now: datetime
) -> SigningKeyring:
    """The stored keyring; the first start of a deployment stores its first key (once,
    whichever replica comes first)."""
    stored = await store.signing_keys(conn)
    if not any(key.retire_after is None for key in stored):
        await store.insert_first_key(conn, vault.seal(SigningKey.generate(now=now)))
        stored = await store.signing_keys(conn)
    keys = [vault.open(key) for key in stored]
    return SigningKeyring.from_keys(keys, now=now).without_retired(now=now)


async def rotate_keyring(
    uow: UnitOfWork,
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
    async with uow:
        await store.lock_keys(uow.conn)
        keyring = await load_keyring(uow.conn, vault, now=now)  # makes sure a current key exists
        if keyring.pending:
            raise RotationPending(keyring.pending[0])
        new = SigningKey.generate(now=now, activates_at=now + delay)
        await store.rotate_keys(
            uow.conn,
            vault.seal(new),
            retire_after=now + delay + retirement_delay(settings),
            now=now,
        )
        return await load_keyring(uow.conn, vault, now=now)
