"""Signing keys at rest: AES-256-GCM around the private PEM.

The key id is authenticated data, so a ciphertext cannot be moved to another row.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from identity.domain.keys import SigningKey


@dataclass(frozen=True)
class SealedKey:
    """A signing key as stored: its private PEM sealed (nonce + ciphertext), its dates."""

    kid: str
    encrypted_private_key: bytes
    created_at: datetime
    retire_after: datetime | None
    activates_at: datetime


class KeyVault:
    def __init__(self, secret: str) -> None:
        # The secret is long and random in production: a hash is enough to size it.
        self._aead = AESGCM(hashlib.sha256(b"identity-signing-keys:" + secret.encode()).digest())

    def seal(self, key: SigningKey) -> SealedKey:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(nonce, key.to_pem(), key.kid.encode())
        return SealedKey(key.kid, sealed, key.created_at, key.retire_after, key.active_from)

    def open(self, sealed: SealedKey) -> SigningKey:
        nonce, ciphertext = sealed.encrypted_private_key[:12], sealed.encrypted_private_key[12:]
        pem = self._aead.decrypt(nonce, ciphertext, sealed.kid.encode())
        return SigningKey.from_pem(
            pem,
            created_at=sealed.created_at,
            retire_after=sealed.retire_after,
            activates_at=sealed.activates_at,
        )
