"""Ed25519 signing keys, keyring rotation and the JWK set."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from identity.domain.keys import SigningKey, SigningKeyring, public_keys_from_jwks

T0 = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
KEEP = timedelta(minutes=20)


def test_kid_is_the_rfc7638_thumbprint() -> None:
    key = SigningKey.generate(now=T0)
    jwk = key.public_jwk()
    canonical = json.dumps({"crv": "Ed25519", "kty": "OKP", "x": jwk["x"]}, separators=(",", ":"))
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=")
    assert key.kid == expected.decode()


def test_public_jwk_members() -> None:
    key = SigningKey.generate(now=T0)
    jwk = key.public_jwk()
    assert jwk == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": jwk["x"],
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    }
    raw = key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert base64.urlsafe_b64decode(jwk["x"] + "=") == raw
    assert "d" not in jwk  # never the private part


def test_pem_round_trip_keeps_the_kid() -> None:
    key = SigningKey.generate(now=T0)
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = SigningKey.from_pem(pem, created_at=T0)
    assert loaded.kid == key.kid
    assert loaded.created_at == T0


def test_from_pem_refuses_other_key_types() -> None:
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError):
        SigningKey.from_pem(pem, created_at=T0)


def test_private_key_is_not_in_repr() -> None:
    key = SigningKey.generate(now=T0)
    assert "private_key" not in repr(key)
    assert key.kid in repr(key)


def test_new_keyring_publishes_its_key() -> None:
    ring = SigningKeyring.create(now=T0)
    assert ring.jwks(now=T0) == {"keys": [ring.current.public_jwk()]}
    assert list(ring.verification_keys(now=T0)) == [ring.current.kid]


def test_rotation_keeps_previous_key_until_its_tokens_expire() -> None:
    ring = SigningKeyring.create(now=T0)
    old_kid = ring.current.kid
    rotated = ring.rotate(now=T0 + timedelta(days=30), keep_previous_for=KEEP)
    assert rotated.current.kid != old_kid
    assert rotated.current.retire_after is None
    [previous] = rotated.previous
    assert previous.kid == old_kid
    assert previous.retire_after == T0 + timedelta(days=30) + KEEP

    during = T0 + timedelta(days=30, minutes=19)
    assert [k["kid"] for k in rotated.jwks(now=during)["keys"]] == [rotated.current.kid, old_kid]
    assert set(rotated.verification_keys(now=during)) == {rotated.current.kid, old_kid}

    after = T0 + timedelta(days=30, minutes=20)
    assert [k["kid"] for k in rotated.jwks(now=after)["keys"]] == [rotated.current.kid]
    assert set(rotated.verification_keys(now=after)) == {rotated.current.kid}
    # The original keyring object is unchanged (immutability).
    assert ring.current.kid == old_kid and ring.previous == ()


def test_rotation_drops_keys_already_retired() -> None:
    ring = SigningKeyring.create(now=T0)
    ring = ring.rotate(now=T0 + timedelta(days=1), keep_previous_for=KEEP)
    ring = ring.rotate(now=T0 + timedelta(days=2), keep_previous_for=KEEP)
    assert len(ring.previous) == 1
    quick = ring.rotate(now=T0 + timedelta(days=2, minutes=5), keep_previous_for=KEEP)
    assert len(quick.previous) == 2  # both still within their keep period
    assert len(quick.without_retired(now=T0 + timedelta(days=3)).previous) == 0


def test_keyring_round_trips_through_storage() -> None:
    ring = SigningKeyring.create(now=T0).rotate(now=T0 + timedelta(days=1), keep_previous_for=KEEP)
    stored = [(key.to_pem(), key.created_at, key.retire_after) for key in reversed(ring.keys)]
    loaded = SigningKeyring.from_keys(
        (
            SigningKey.from_pem(pem, created_at=created, retire_after=retire)
            for pem, created, retire in stored
        ),
        now=T0 + timedelta(days=1),
    )
    assert [key.kid for key in loaded.keys] == [key.kid for key in ring.keys]


def test_keyring_invariants() -> None:
    key = SigningKey.generate(now=T0)
    retired = SigningKey(
        private_key=Ed25519PrivateKey.generate(), created_at=T0, retire_after=T0 + KEEP
    )
    with pytest.raises(ValueError):
        SigningKeyring(current=retired)
    with pytest.raises(ValueError):
        SigningKeyring(current=key, previous=(SigningKey.generate(now=T0),))
    with pytest.raises(ValueError):
        SigningKeyring.from_keys([key, SigningKey.generate(now=T0)], now=T0)
    with pytest.raises(ValueError):
        SigningKeyring.create(now=T0).rotate(now=T0, keep_previous_for=timedelta(0))
    with pytest.raises(ValueError):
        SigningKey.generate(now=datetime(2025, 1, 1))


def test_public_keys_from_jwks_keeps_only_ed25519_signing_keys() -> None:
    ring = SigningKeyring.create(now=T0)
    jwks = ring.jwks(now=T0)
    jwks["keys"] += [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {"kty": "RSA", "n": "AQAB", "e": "AQAB", "kid": "rsa"},
        {"kty": "OKP", "crv": "X25519", "x": jwks["keys"][0]["x"], "kid": "x25519"},
        {"kty": "OKP", "crv": "Ed25519", "x": "dG9vLXNob3J0", "kid": "short"},
        {"kty": "OKP", "crv": "Ed25519", "x": jwks["keys"][0]["x"], "kid": "enc", "use": "enc"},
        "garbage",
    ]
    keys = public_keys_from_jwks(jwks)
    assert list(keys) == [ring.current.kid]
    with pytest.raises(ValueError):
        public_keys_from_jwks({"nope": []})


# --- two-phase rotation: published first, signing later ---------------------------------

DELAY = timedelta(minutes=10)


def test_a_prepared_key_is_published_before_it_signs() -> None:
    ring = SigningKeyring.create(now=T0)
    old = ring.current
    rotated = ring.rotate(now=T0 + timedelta(days=1), keep_previous_for=KEEP, activate_after=DELAY)
    [pending] = rotated.pending
    assert rotated.current.kid == old.kid
    assert pending.activates_at == T0 + timedelta(days=1) + DELAY
    during = T0 + timedelta(days=1, minutes=9)
    # Published at once (verifiers learn it), but the old key still signs.
    assert [k["kid"] for k in rotated.jwks(now=during)["keys"]] == [old.kid, pending.kid]
    assert rotated.signing_key(during).kid == old.kid
    # From its activation time on it signs, with no reload or write needed.
    switch = T0 + timedelta(days=1, minutes=10)
    assert rotated.signing_key(switch).kid == pending.kid
    later = rotated.at(switch)
    assert later.current.kid == pending.kid and later.pending == ()
    assert [k.kid for k in later.previous] == [old.kid]
    # The old key verifies its last tokens for KEEP after the switch, then leaves the JWKS.
    assert later.previous[0].retire_after == switch + KEEP
    assert {k["kid"] for k in later.jwks(now=switch + KEEP - timedelta(seconds=1))["keys"]} == {
        old.kid,
        pending.kid,
    }
    assert [k["kid"] for k in later.jwks(now=switch + KEEP)["keys"]] == [pending.kid]
    # `at` also goes back in time: the stored keys are the truth.
    assert later.at(during).current.kid == old.kid


def test_one_pending_key_at_a_time_and_stored_form() -> None:
    rotated = SigningKeyring.create(now=T0).rotate(
        now=T0, keep_previous_for=KEEP, activate_after=DELAY
    )
    with pytest.raises(ValueError, match="already pending"):
        rotated.rotate(now=T0 + timedelta(minutes=1), keep_previous_for=KEEP)
    stored = [
        SigningKey.from_pem(
            key.to_pem(),
            created_at=key.created_at,
            retire_after=key.retire_after,
            activates_at=key.activates_at,
        )
        for key in rotated.keys
    ]
    loaded = SigningKeyring.from_keys(stored, now=T0 + timedelta(minutes=5))
    assert [k.kid for k in loaded.pending] == [rotated.pending[0].kid]
    assert loaded.current.kid == rotated.current.kid
    # A current key with a planned retirement needs its successor.
    with pytest.raises(ValueError):
        SigningKeyring(current=rotated.current)
    with pytest.raises(ValueError):
        SigningKeyring.create(now=T0).rotate(now=T0, keep_previous_for=KEEP, activate_after=-DELAY)
