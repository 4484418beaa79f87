"""Access tokens: issue/verify round trip and the attacks the verifier must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from identity.domain.keys import SigningKeyring
from identity.domain.tokens import (
    AUDIENCE,
    ISSUER,
    AccessClaims,
    InvalidAccessToken,
    issue_access_token,
    verify_access_token,
)

NOW = datetime(2025, 3, 3, 9, 30, tzinfo=UTC)
TTL = timedelta(minutes=15)
RING = SigningKeyring.create(now=NOW)
KEYS = RING.verification_keys(now=NOW)
CLAIMS = AccessClaims(
    account_id=str(uuid.uuid4()),
    tenant="ville-de-lyon",
    roles=("family",),
    household_id=str(uuid.uuid4()),
)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decode_part(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def issue(claims: AccessClaims = CLAIMS, *, at: datetime = NOW, ring=RING) -> str:
    return issue_access_token(ring, claims, now=at, ttl=TTL)


def reason(token: str, keys=KEYS, **kwargs: Any) -> str:
    kwargs.setdefault("now", NOW)
    with pytest.raises(InvalidAccessToken) as caught:
        verify_access_token(token, keys, **kwargs)
    return caught.value.reason


# --- round trip ----------------------------------------------------------------


def test_round_trip_with_key_map() -> None:
    assert verify_access_token(issue(), KEYS, now=NOW) == CLAIMS


def test_round_trip_with_jwks() -> None:
    assert verify_access_token(issue(), RING.jwks(now=NOW), now=NOW) == CLAIMS


def test_round_trip_with_every_field() -> None:
    claims = AccessClaims(
        account_id=str(uuid.uuid4()),
        tenant="montreuil",
        roles=["staff", "admin"],  # a list is accepted and stored as a tuple
        scope="password-change",
        terms_pending=True,
    )
    verified = verify_access_token(issue(claims), KEYS, now=NOW)
    assert verified == claims
    assert verified.roles == ("staff", "admin")
    assert verified.password_change_only
    assert verified.has_role("admin") and not verified.has_role("family")
    assert verified.household_id is None


def test_header_and_standard_claims() -> None:
    token = issue()
    header_part, payload_part, _ = token.split(".")
    header = decode_part(header_part)
    assert header == {"alg": "EdDSA", "kid": RING.current.kid, "typ": "at+jwt"}
    payload = decode_part(payload_part)
    issued = int(NOW.timestamp())
    assert payload["iss"] == ISSUER == "portail-famille-identity"
    assert payload["aud"] == AUDIENCE == "portail-famille"
    assert payload["sub"] == CLAIMS.account_id
    assert payload["iat"] == payload["nbf"] == issued
    assert payload["exp"] == issued + 15 * 60
    assert uuid.UUID(payload["jti"])
    assert payload["tenant"] == "ville-de-lyon"
    assert payload["roles"] == ["family"]
    assert payload["household_id"] == CLAIMS.household_id
    assert payload["scope"] == "full"
    assert payload["terms_pending"] is False


def test_each_token_has_its_own_jti() -> None:
    first, second = (decode_part(issue().split(".")[1])["jti"] for _ in range(2))
    assert first != second


def test_token_of_previous_key_is_accepted_until_retired() -> None:
    token = issue()
    rotated = RING.rotate(
        now=NOW + timedelta(minutes=1), keep_previous_for=TTL + timedelta(minutes=1)
    )
    later = NOW + timedelta(minutes=10)
    assert verify_access_token(token, rotated.jwks(now=later), now=later) == CLAIMS
    # After the keep period the old key is gone from the JWKS.
    gone = NOW + timedelta(minutes=17)
    assert reason(token, rotated.jwks(now=gone), now=gone) == "unknown_key"


def test_ttl_is_bounded() -> None:
    for ttl in (timedelta(0), timedelta(hours=2)):
        with pytest.raises(ValueError):
            issue_access_token(RING, CLAIMS, now=NOW, ttl=ttl)


# --- time ----------------------------------------------------------------------


def test_expired() -> None:
    token = issue()
    assert reason(token, now=NOW + TTL + timedelta(seconds=31)) == "expired"
    # Within the leeway, still accepted.
    verify_access_token(token, KEYS, now=NOW + TTL + timedelta(seconds=29))
    assert reason(token, now=NOW + TTL, leeway=timedelta(0)) == "expired"


def test_not_yet_valid() -> None:
    token = issue(at=NOW + timedelta(minutes=5))
    assert reason(token, now=NOW) == "not_yet_valid"
    verify_access_token(token, KEYS, now=NOW + timedelta(minutes=4, seconds=45))


def test_default_clock_is_now() -> None:
    real_now = datetime.now(UTC)
    assert verify_access_token(issue(at=real_now), KEYS) == CLAIMS
    assert reason(issue(at=real_now - timedelta(hours=1)), now=None) == "expired"


# --- forgeries -------------------------------------------------------------------


def test_signature_by_another_key_with_same_kid() -> None:
    other = SigningKeyring.create(now=NOW)
    forged = issue(ring=other)
    _, payload, signature = forged.split(".")
    # Claim to be our key: the kid lookup succeeds, the signature must not.
    swapped = b64url(
        json.dumps({"alg": "EdDSA", "kid": RING.current.kid, "typ": "at+jwt"}).encode()
    )
    assert reason(f"{swapped}.{payload}.{signature}") == "bad_signature"


def test_unknown_kid() -> None:
    assert reason(issue(ring=SigningKeyring.create(now=NOW))) == "unknown_key"


def test_missing_kid() -> None:
    token = jwt.encode(
        {"sub": CLAIMS.account_id},
        RING.current.private_key,
        algorithm="EdDSA",
        headers={"typ": "at+jwt"},
    )
    assert reason(token) == "unknown_key"


def test_tampered_payload() -> None:
    header, payload, signature = issue().split(".")
    claims = decode_part(payload)
    claims["roles"] = ["admin"]
    tampered = b64url(json.dumps(claims).encode())
    assert reason(f"{header}.{tampered}.{signature}") == "bad_signature"


def test_alg_none_is_refused() -> None:
    payload = decode_part(issue().split(".")[1])
    for alg in ("none", "None", "NONE"):
        header = {"alg": alg, "kid": RING.current.kid, "typ": "at+jwt"}
        unsigned = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}."
        assert reason(unsigned) == "unsupported_algorithm"


def test_hs256_signed_with_the_public_key_is_refused() -> None:
    """The classic confusion attack: HMAC keyed with the (public) verification key."""
    payload = decode_part(issue().split(".")[1])
    payload["roles"] = ["admin"]
    public = RING.current.public_key
    secrets_to_try = [
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        RING.current.public_jwk()["x"].encode(),
    ]
    for secret in secrets_to_try:
        header = {"alg": "HS256", "kid": RING.current.kid, "typ": "at+jwt"}
        signing_input = (
            f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        )
        mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        assert reason(f"{signing_input}.{b64url(mac)}") == "unsupported_algorithm"
        # Even if the header lies about alg, an HMAC never passes as an Ed25519 signature.
        lying = {"alg": "EdDSA", "kid": RING.current.kid, "typ": "at+jwt"}
        lying_input = f"{b64url(json.dumps(lying).encode())}.{signing_input.split('.')[1]}"
        lying_mac = hmac.new(secret, lying_input.encode(), hashlib.sha256).digest()
        assert reason(f"{lying_input}.{b64url(lying_mac)}") == "bad_signature"


def test_rs256_is_refused() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    payload = decode_part(issue().split(".")[1])
    token = jwt.encode(
        payload, rsa_key, algorithm="RS256", headers={"kid": RING.current.kid, "typ": "at+jwt"}
    )
    assert reason(token) == "unsupported_algorithm"


def test_key_map_with_a_non_ed25519_key_is_refused() -> None:
    token = issue()
    assert reason(token, {RING.current.kid: b"shared-secret"}) == "unknown_key"


def test_wrong_audience() -> None:
    token = issue_access_token(RING, CLAIMS, now=NOW, ttl=TTL, audience="autre-portail")
    assert reason(token) == "wrong_audience"
    assert reason(issue(), audience="autre-portail") == "wrong_audience"


def test_wrong_issuer() -> None:
    token = issue_access_token(RING, CLAIMS, now=NOW, ttl=TTL, issuer="someone-else")
    assert reason(token) == "wrong_issuer"


def test_other_token_type_is_refused() -> None:
    payload = decode_part(issue().split(".")[1])
    token = jwt.encode(
        payload, RING.current.private_key, algorithm="EdDSA", headers={"kid": RING.current.kid}
    )
    assert reason(token) == "malformed"  # typ "JWT", not an access token


def sign(payload: dict[str, Any]) -> str:
    return jwt.encode(
        payload,
        RING.current.private_key,
        algorithm="EdDSA",
        headers={"kid": RING.current.kid, "typ": "at+jwt"},
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"roles": ["root"]}, "bad_claims"),
        ({"roles": []}, "bad_claims"),
        ({"roles": "admin"}, "bad_claims"),
        ({"scope": "everything"}, "bad_claims"),
        ({"tenant": "Ville de Lyon"}, "bad_claims"),
        ({"sub": "not-a-uuid"}, "bad_claims"),
        ({"household_id": 42}, "bad_claims"),
        ({"terms_pending": "no"}, "bad_claims"),
        ({"exp": True}, "bad_claims"),
        ({"jti": None}, "bad_claims"),
    ],
)
def test_signed_but_invalid_claims(change: dict[str, Any], expected: str) -> None:
    payload = decode_part(issue().split(".")[1])
    payload.update(change)
    payload = {k: v for k, v in payload.items() if v is not None}
    assert reason(sign(payload)) == expected


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 5000, "eyJhbGciOiJFZERTQSJ9.e30."])
def test_garbage(token: str) -> None:
    assert reason(token) in {"malformed", "unsupported_algorithm", "unknown_key"}


def test_claims_are_validated_when_issuing() -> None:
    with pytest.raises(ValueError):
        AccessClaims(account_id="42", tenant="lyon", roles=("family",))
    with pytest.raises(ValueError):
        AccessClaims(account_id=str(uuid.uuid4()), tenant="-lyon", roles=("family",))
    with pytest.raises(ValueError):
        AccessClaims(account_id=str(uuid.uuid4()), tenant="lyon", roles=("superuser",))  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        AccessClaims(account_id=str(uuid.uuid4()), tenant="lyon", roles=("family",), scope="x")  # type: ignore[arg-type]


# --- an animator's sites -------------------------------------------------------


def test_an_animator_token_carries_its_sites() -> None:
    claims = AccessClaims(
        account_id=str(uuid.uuid4()),
        tenant="ville-de-lyon",
        roles=("animator",),
        sites=("École du centre", "Centre du Lac", "École du centre"),
    )
    token = issue(claims)
    assert decode_part(token.split(".")[1])["sites"] == ["École du centre", "Centre du Lac"]
    assert verify_access_token(token, KEYS, now=NOW).sites == ("École du centre", "Centre du Lac")


def test_other_roles_carry_no_sites_claim() -> None:
    token = issue(CLAIMS)
    assert "sites" not in decode_part(token.split(".")[1])
    assert verify_access_token(token, KEYS, now=NOW).sites == ()
    with pytest.raises(ValueError, match="only an animator"):
        AccessClaims(
            account_id=str(uuid.uuid4()), tenant="lyon", roles=("staff",), sites=("École",)
        )
    with pytest.raises(ValueError, match="non-empty strings"):
        AccessClaims(account_id=str(uuid.uuid4()), tenant="lyon", roles=("animator",), sites=("",))
