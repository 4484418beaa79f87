"""Health records at rest: AES-256-GCM with keys from the environment, rotated by key id.

Each sealed value is ``version byte | nonce (12) | ciphertext+tag`` and is stored with the
id of the key that sealed it. The associated data binds a ciphertext to its row (tenant and
child), so a sealed record copied onto another child does not open. Rotation: add a new key,
make it current; old records still open with their key and are re-sealed when next written
(or by re-sealing in bulk), after which the old key can go.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class VaultError(Exception):
    """A key is missing or a ciphertext does not open (tampered, wrong row, wrong key)."""


def parse_keys(spec: str) -> dict[str, bytes]:
    """``kid1:base64key,kid2:base64key`` → {kid: 32-byte key}; raises ValueError."""
    keys: dict[str, bytes] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        kid, sep, encoded = part.partition(":")
        if not sep or not kid.strip():
            raise ValueError("each key is written kid:base64")
        try:
            key = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            raise ValueError(f"key {kid!r} is not valid base64") from None
        if len(key) != 32:
            raise ValueError(f"key {kid!r} must be 32 bytes (AES-256), got {len(key)}")
        keys[kid.strip()] = key
    if not keys:
        raise ValueError("at least one key is needed")
    return keys


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


class Vault:
    def __init__(self, keys: dict[str, bytes], current: str) -> None:
        if current not in keys:
            raise ValueError(f"current key {current!r} is not among the keys")
        self._keys = {kid: AESGCM(key) for kid, key in keys.items()}
        self.current = current

    def seal(self, plaintext: bytes, aad: bytes) -> Sealed:
        nonce = os.urandom(12)
        blob = _VERSION + nonce + self._keys[self.current].encrypt(nonce, plaintext, aad)
        return Sealed(self.current, blob)

    def open(self, sealed: Sealed, aad: bytes) -> bytes:
        aead = self._keys.get(sealed.key_id)
        if aead is None:
            raise VaultError(f"unknown key id {sealed.key_id!r}")
        blob = sealed.blob
        if blob[:1] != _VERSION or len(blob) < 1 + 12 + 16:
            raise VaultError("not a sealed value")
        try:
            return aead.decrypt(blob[1:13], blob[13:], aad)
        except InvalidTag:
            raise VaultError("the sealed value does not open with its key") from None

    def seal_json(self, data: Any, aad: bytes) -> Sealed:
        return self.seal(json.dumps(data, ensure_ascii=False).encode(), aad)

    def open_json(self, sealed: Sealed, aad: bytes) -> Any:
        return json.loads(self.open(sealed, aad))

    def needs_rotation(self, sealed: Sealed) -> bool:
        return sealed.key_id != self.current


def aad_for(tenant: str, kind: str, row_id: object) -> bytes:
    """Associated data of a sealed value: what it belongs to."""
    return f"family:{kind}:{tenant}:{row_id}".encode()
