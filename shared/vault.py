"""Secrets at rest (health records, bank details): AES-256-GCM with keys from the environment,
rotated by key id.

Each sealed value is ``version byte | nonce (12) | ciphertext+tag`` and is stored with the
id of the key that sealed it. The associated data binds a ciphertext to its row (service,
kind, tenant and row id: `aad_for`), so a sealed value copied onto another row does not
open. Rotation: add a new key, make it current; old values still open with their key and
are re-sealed when next written (or by re-sealing in bulk), after which the old key can go.

A service configures its ring with two settings, `<NAME>_KEYS` (``kid:base64,...``) and
`<NAME>_CURRENT_KEY` (default: the last listed), checked by `check_key_settings` and opened
by `vault_from_settings`.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.settings import SettingsError

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

    def __repr__(self) -> str:  # never the keys
        return f"Vault(keys={sorted(self._keys)}, current={self.current!r})"

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


def aad_for(service: str, kind: str, tenant: str, row_id: object) -> bytes:
    """Associated data of a sealed value: what it belongs to (e.g. family's health record of
    a child, billing's bank details of a mandate)."""
    return f"{service}:{kind}:{tenant}:{row_id}".encode()


def check_key_settings(
    keys_spec: str,
    current: str,
    *,
    keys_env: str,
    current_env: str,
    production: bool,
    development_keys: str,
) -> None:
    """Refuse a service's key settings when invalid, or left at the development ring in
    production (SettingsError naming the variable)."""
    try:
        keys = parse_keys(keys_spec)
    except ValueError as exc:
        raise SettingsError(f"{keys_env} is invalid: {exc}") from None
    if current and current not in keys:
        raise SettingsError(f"{current_env} names a key not in {keys_env}")
    if production and keys_spec == development_keys:
        raise SettingsError(f"{keys_env} must be set in production")


def vault_from_settings(keys_spec: str, current: str) -> Vault:
    """The vault of a checked ring: new values sealed with `current`, else the last listed."""
    keys = parse_keys(keys_spec)
    return Vault(keys, current or list(keys)[-1])
