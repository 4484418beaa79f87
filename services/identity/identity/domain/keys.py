"""Ed25519 keys that sign access tokens, and their rotation.

Ed25519 (JWS "EdDSA") gives small, fast, deterministic signatures with no
parameter choices to get wrong. The `kid` is the RFC 7638 JWK thumbprint of
the public key, so it is derived from the key itself and never needs storing.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from identity.domain._time import require_aware


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _raw_public_bytes(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the canonical JWK members, base64url."""
    canonical = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": _b64url(_raw_public_bytes(public_key))},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode("ascii")).digest())


def public_jwk(public_key: Ed25519PublicKey) -> dict[str, str]:
    """The public key as published in the JWKS."""
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": _b64url(_raw_public_bytes(public_key)),
        "kid": key_id(public_key),
        "alg": "EdDSA",
        "use": "sig",
    }


def public_keys_from_jwks(jwks: Mapping[str, Any]) -> dict[str, Ed25519PublicKey]:
    """kid -> public key from a JWKS document; entries that are not Ed25519 signing keys are
    skipped, so a verifier can never be handed an RSA or symmetric key by mistake."""
    keys: dict[str, Ed25519PublicKey] = {}
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("not a JWK set: no 'keys' list")
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        if entry.get("kty") != "OKP" or entry.get("crv") != "Ed25519":
            continue
        if entry.get("alg", "EdDSA") != "EdDSA" or entry.get("use", "sig") != "sig":
            continue
        kid, x = entry.get("kid"), entry.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            continue
        try:
            keys[kid] = Ed25519PublicKey.from_public_bytes(_b64url_decode(x))
        except ValueError:
            continue
    return keys


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A private signing key.

    `activates_at`: from when it signs (None: from its creation). Until then it is only
    published, so that every verifier can learn it before meeting its first token.
    `retire_after`: set when a successor is prepared; the key still verifies its tokens
    until then (and keeps signing until the successor activates).
    """

    private_key: Ed25519PrivateKey = field(repr=False)
    created_at: datetime
    retire_after: datetime | None = None
    activates_at: datetime | None = None
    kid: str = field(init=False)

    def __post_init__(self) -> None:
        require_aware(self.created_at, "created_at")
        if self.retire_after is not None:
            require_aware(self.retire_after, "retire_after")
        if self.activates_at is not None:
            require_aware(self.activates_at, "activates_at")
        object.__setattr__(self, "kid", key_id(self.private_key.public_key()))

    @classmethod
    def generate(cls, *, now: datetime, activates_at: datetime | None = None) -> SigningKey:
        return cls(
            private_key=Ed25519PrivateKey.generate(), created_at=now, activates_at=activates_at
        )

    @property
    def active_from(self) -> datetime:
        return self.activates_at or self.created_at

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.private_key.public_key()

    def public_jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key)

    def is_usable_for_verification(self, now: datetime) -> bool:
        """Still accepted for tokens: never retired, or its last tokens may not have expired."""
        return self.retire_after is None or now < self.retire_after

    def to_pem(self) -> bytes:
        """PKCS#8 PEM, unencrypted: the service encrypts it before storing it."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    @classmethod
    def from_pem(
        cls,
        pem: bytes,
        *,
        created_at: datetime,
        retire_after: datetime | None = None,
        activates_at: datetime | None = None,
    ) -> SigningKey:
        """Load a key saved by `to_pem`; anything but an Ed25519 private key is refused."""
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return cls(
            private_key=private_key,
            created_at=created_at,
            retire_after=retire_after,
            activates_at=activates_at,
        )


@dataclass(frozen=True, slots=True)
class SigningKeyring:
    """The current signing key, earlier keys kept only to verify not-yet-expired tokens, and
    the pending next key (published, not signing yet).

    Rotation has two phases because the other services refresh their copy of the JWKS at
    most every 30 s when they meet an unknown kid: a new key is first only PUBLISHED
    (pending), and starts SIGNING at its `activates_at`, by which time every verifier that
    looked at the JWKS since has it. The switch needs no write: `signing_key(now)` and
    `at(now)` follow the clock, so all replicas switch together.

    Immutable: `rotate` returns a new keyring, so a running service swaps one
    reference and concurrent requests never see a half-rotated ring.
    """

    current: SigningKey
    previous: tuple[SigningKey, ...] = ()
    pending: tuple[SigningKey, ...] = ()

    def __post_init__(self) -> None:
        kids = [key.kid for key in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("duplicate key in keyring")
        if any(key.retire_after is None for key in self.previous):
            raise ValueError("previous keys need a retire_after date")
        if any(
            key.activates_at is None or key.activates_at <= self.current.active_from
            for key in self.pending
        ):
            raise ValueError("a pending key must activate after the current one")
        if self.current.retire_after is not None:
            # Only a key with a prepared successor may have its retirement planned, and it
            # must keep verifying until that successor has signed for a while.
            if not self.pending:
                raise ValueError("the current key cannot have a retire_after date")
            if self.current.retire_after <= max(k.active_from for k in self.pending):
                raise ValueError("the current key must outlive its successor's activation")

    @classmethod
    def create(cls, *, now: datetime) -> SigningKeyring:
        """A keyring with one fresh key, for the first start of a deployment."""
        return cls(current=SigningKey.generate(now=now))

    @property
    def keys(self) -> tuple[SigningKey, ...]:
        """All keys, current first, then pending, then previous: what the service persists."""
        return (self.current, *self.pending, *self.previous)

    def signing_key(self, now: datetime) -> SigningKey:
        """The key that signs at `now`: the pending one once its time has come."""
        require_aware(now)
        due = [key for key in self.pending if key.active_from <= now]
        return max(due, key=lambda key: key.active_from) if due else self.current

    def at(self, now: datetime) -> SigningKeyring:
        """The same keys as they stand at `now` (a pending key whose time came is current)."""
        return SigningKeyring.from_keys(self.keys, now=now)

    def verification_keys(self, *, now: datetime) -> dict[str, Ed25519PublicKey]:
        """kid -> public key of every published key at `now` (pending ones included)."""
        require_aware(now)
        return {key.kid: key.public_key for key in self.keys if key.is_usable_for_verification(now)}

    def jwks(self, *, now: datetime) -> dict[str, list[dict[str, str]]]:
        """The public JWK set served to the other services: the current key first, then the
        pending one (so verifiers know it before it signs), then the retiring ones."""
        require_aware(now)
        return {
            "keys": [key.public_jwk() for key in self.keys if key.is_usable_for_verification(now)]
        }

    def rotate(
        self,
        *,
        now: datetime,
        keep_previous_for: timedelta,
        activate_after: timedelta = timedelta(0),
    ) -> SigningKeyring:
        """Prepare a new key that signs from `now + activate_after`; the current key signs
        until then and verifies for `keep_previous_for` more.

        `keep_previous_for` must cover the longest access-token lifetime plus the
        verifiers' clock leeway; `activate_after` must exceed the time a verifier may go
        without refreshing its JWKS. Keys already retired at `now` are dropped.
        """
        require_aware(now)
        if keep_previous_for <= timedelta(0):
            raise ValueError("keep_previous_for must be positive")
        if activate_after < timedelta(0):
            raise ValueError("activate_after must not be negative")
        if self.pending:
            raise ValueError("a new key is already pending")
        activates_at = now + activate_after
        retiring = replace(self.current, retire_after=activates_at + keep_previous_for)
        still_valid = tuple(key for key in self.previous if key.is_usable_for_verification(now))
        new = SigningKey.generate(now=now, activates_at=activates_at)
        return SigningKeyring.from_keys((retiring, new, *still_valid), now=now)

    def without_retired(self, *, now: datetime) -> SigningKeyring:
        """Drop keys whose tokens have all expired (the service may then delete them)."""
        require_aware(now)
        return SigningKeyring(
            current=self.current,
            previous=tuple(key for key in self.previous if key.is_usable_for_verification(now)),
            pending=self.pending,
        )

    @classmethod
    def from_keys(cls, keys: Iterable[SigningKey], *, now: datetime) -> SigningKeyring:
        """Rebuild from stored keys as they stand at `now`: keys whose activation time has
        not come are pending; of the others, the latest activated is current."""
        require_aware(now)
        keys = list(keys)
        if sum(1 for key in keys if key.retire_after is None) != 1:
            raise ValueError("exactly one stored key must have no retire_after (the newest)")
        active = sorted(
            (key for key in keys if key.active_from <= now),
            key=lambda key: key.active_from,
            reverse=True,
        )
        if not active:
            raise ValueError("no key is active yet")
        pending = sorted(
            (key for key in keys if key.active_from > now), key=lambda key: key.active_from
        )
        return cls(current=active[0], previous=tuple(active[1:]), pending=tuple(pending))
