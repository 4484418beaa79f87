"""Access tokens: what the authentication middleware refuses (401/403) and accepts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from shared.auth import VERIFIER, Caller, InvalidToken, TokenVerifier
from shared.errors import PROBLEM_BASE
from shared.keys import POOL
from shared.testing.tokens import TokenFactory

NOTES = "/tenants/testville/notes"
NOTE = {"text": "bonjour"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post_note(sample: Any, headers: dict[str, str]) -> Any:
    return await sample.post(NOTES, json=NOTE, headers=headers)


async def assert_401(response: Any) -> dict[str, Any]:
    text = await response.text()
    assert response.status == 401, text
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    body = json.loads(text)
    assert body["type"] == PROBLEM_BASE + "unauthenticated"
    assert body["status"] == 401
    assert body["instance"] == NOTES
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert body["detail"].startswith("Votre session")
    return body


async def assert_403(response: Any, code: str) -> dict[str, Any]:
    text = await response.text()
    assert response.status == 403, text
    assert response.content_type == "application/problem+json"
    body = json.loads(text)
    assert body["type"].endswith(code)
    assert body["type"] == PROBLEM_BASE + code
    assert body["status"] == 403
    assert body["detail"]
    return body


async def assert_nothing_written(sample: Any) -> None:
    assert await sample.app[POOL].fetchval("SELECT count(*) FROM notes") == 0


# --- 401 ----------------------------------------------------------------------------------------


async def test_no_token_is_a_401(sample):
    await assert_401(await post_note(sample, {}))
    await assert_nothing_written(sample)


async def test_expired_token_is_a_401(sample, tokens):
    now = int(time.time())
    claims = tokens.claims(roles=("staff",), iat=now - 600, nbf=now - 600, exp=now - 120)
    body = await assert_401(await post_note(sample, bearer(tokens.sign(claims))))
    assert "expired" not in json.dumps(body).lower()  # the reason is logged, not answered


async def test_token_expired_within_the_leeway_is_accepted(sample, tokens):
    now = int(time.time())
    claims = tokens.claims(roles=("staff",), iat=now - 600, nbf=now - 600, exp=now - 5)
    response = await post_note(sample, bearer(tokens.sign(claims)))
    assert response.status == 201, await response.text()


async def test_not_yet_valid_token_is_a_401(sample, tokens):
    now = int(time.time())
    claims = tokens.claims(roles=("staff",), nbf=now + 120, exp=now + 600)
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


async def test_not_yet_valid_within_the_leeway_is_accepted(sample, tokens):
    now = int(time.time())
    claims = tokens.claims(roles=("staff",), nbf=now + 10, exp=now + 600)
    response = await post_note(sample, bearer(tokens.sign(claims)))
    assert response.status == 201, await response.text()


async def test_token_signed_by_another_key_with_the_same_kid_is_a_401(sample, tokens):
    forged = tokens.sign(tokens.claims(roles=("staff",)), key=Ed25519PrivateKey.generate())
    await assert_401(await post_note(sample, bearer(forged)))
    await assert_nothing_written(sample)


async def test_token_with_an_unknown_kid_is_a_401(sample, tokens):
    unknown = tokens.sign(tokens.claims(roles=("staff",)), kid="not-a-known-kid")
    await assert_401(await post_note(sample, bearer(unknown)))


async def test_token_for_another_audience_is_a_401(sample, tokens):
    claims = tokens.claims(roles=("staff",), aud="another-application")
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


async def test_token_from_another_issuer_is_a_401(sample, tokens):
    claims = tokens.claims(roles=("staff",), iss="https://evil.example")
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_token_is_a_401(sample, tokens, alg):
    header = {"alg": alg, "kid": tokens.kid, "typ": "JWT"}
    token = f"{segment(header)}.{segment(tokens.claims(roles=('staff',)))}."
    await assert_401(await post_note(sample, bearer(token)))
    await assert_nothing_written(sample)


@pytest.mark.parametrize("encoding", ["raw", "pem"])
async def test_hs256_signed_with_the_public_key_is_a_401(sample, tokens, encoding):
    """HS/RS confusion: the public key (which anyone can read) used as an HMAC secret."""
    public = tokens.key.public_key()
    secret = (
        public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        if encoding == "raw"
        else public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = (
        f"{segment({'alg': 'HS256', 'kid': tokens.kid, 'typ': 'JWT'})}."
        f"{segment(tokens.claims(roles=('staff',)))}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(signature)}"
    await assert_401(await post_note(sample, bearer(token)))
    await assert_nothing_written(sample)


async def test_eddsa_header_with_an_empty_signature_is_a_401(sample, tokens):
    header = {"alg": "EdDSA", "kid": tokens.kid, "typ": "JWT"}
    token = f"{segment(header)}.{segment(tokens.claims(roles=('staff',)))}."
    await assert_401(await post_note(sample, bearer(token)))


async def test_tampered_claims_are_a_401(sample, tokens):
    """A family's genuine token with its payload rewritten to claim the staff role."""
    genuine = tokens.token(roles=("family",))
    header, _, signature = genuine.split(".")
    claims = tokens.claims(roles=("staff",))
    await assert_401(await post_note(sample, bearer(f"{header}.{segment(claims)}.{signature}")))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("a.b.c", id="three-garbage-segments"),
        pytest.param("é" * 20, id="non-ascii"),
        pytest.param(f"{segment({'alg': 'EdDSA'})}.e30.", id="no-kid"),
        pytest.param(f"{segment({'alg': 'EdDSA', 'kid': 5})}.e30.", id="kid-not-a-string"),
    ],
)
async def test_garbage_tokens_are_a_401(sample, token):
    await assert_401(await post_note(sample, {"Authorization": f"Bearer {token}"}))


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Basic dXNlcjpwYXNzd29yZA==", id="basic"),
        pytest.param("Bearer", id="bearer-without-token"),
        pytest.param("Bearer ", id="bearer-empty-token"),
        pytest.param("Token abc", id="other-scheme"),
    ],
)
async def test_other_schemes_are_a_401(sample, header):
    await assert_401(await post_note(sample, {"Authorization": header}))


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"roles": ["superuser"]}, id="unknown-role"),
        pytest.param({"roles": []}, id="no-role"),
        pytest.param({"roles": "staff"}, id="roles-not-a-list"),
        pytest.param({"tenant": 42}, id="tenant-not-a-string"),
    ],
)
async def test_tokens_with_invalid_claims_are_a_401(sample, tokens, change):
    claims = {**tokens.claims(), **change}
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "sub", "iss", "aud", "tenant"])
async def test_tokens_missing_a_required_claim_are_a_401(sample, tokens, claim):
    claims = tokens.claims(roles=("staff",))
    del claims[claim]
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


async def test_roles_with_unhashable_items_are_a_401(sample, tokens):
    claims = {**tokens.claims(), "roles": [["staff"]]}
    await assert_401(await post_note(sample, bearer(tokens.sign(claims))))


async def test_a_bad_token_on_a_public_route_is_ignored(sample):
    # Public routes (probes, documentation) do not care about the Authorization header.
    response = await sample.get("/healthz", headers={"Authorization": "Bearer garbage"})
    assert response.status == 200


# --- 403 ----------------------------------------------------------------------------------------


async def test_token_of_another_tenant_is_a_403(sample, tokens):
    response = await post_note(sample, tokens.header(tenant="otherville", roles=("staff",)))
    await assert_403(response, "wrong-tenant")
    await assert_nothing_written(sample)


async def test_family_role_where_staff_is_needed_is_a_403(sample, tokens):
    response = await post_note(sample, tokens.header(roles=("family",)))
    await assert_403(response, "forbidden")
    await assert_nothing_written(sample)


async def test_pending_terms_are_a_403(sample, tokens):
    response = await post_note(sample, tokens.header(roles=("staff",), terms_pending=True))
    await assert_403(response, "terms-not-accepted")


async def test_password_change_scope_is_a_403(sample, tokens):
    response = await post_note(sample, tokens.header(roles=("staff",), scope="password-change"))
    await assert_403(response, "password-change-required")


# --- accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize("roles", [("staff",), ("admin",), ("family", "staff")])
async def test_good_staff_token_is_accepted(sample, tokens, roles):
    account = str(uuid.uuid4())
    response = await post_note(sample, tokens.header(roles=roles, account_id=account))
    assert response.status == 201, await response.text()
    body = await response.json()
    row = await sample.app[POOL].fetchrow(
        "SELECT tenant, text FROM notes WHERE id = $1::uuid", body["id"]
    )
    assert (row["tenant"], row["text"]) == ("testville", "bonjour")


async def test_lower_case_bearer_scheme_is_accepted(sample, tokens):
    token = tokens.token(roles=("staff",))
    response = await post_note(sample, {"Authorization": f"bearer {token}"})
    assert response.status == 201, await response.text()


# --- key rotation -------------------------------------------------------------------------------


def rotate(tokens: TokenFactory) -> None:
    """The identity service starts signing with a new key; its JWKS serves only that key."""
    tokens.key = Ed25519PrivateKey.generate()
    tokens.kid = uuid.uuid4().hex[:16]


async def test_rotated_key_is_fetched_by_the_service(sample, tokens):
    first = await post_note(sample, tokens.header(roles=("staff",)))
    assert first.status == 201  # the verifier has now cached the first key set
    old_token = tokens.token(roles=("staff",))
    rotate(tokens)
    new_token = tokens.token(roles=("staff",))
    verifier = sample.app[VERIFIER]
    # Right after a fetch, an unknown kid does not trigger another one (rate limit)...
    await assert_401(await post_note(sample, bearer(new_token)))
    # ...once the interval has passed, it does, and the new key is accepted.
    verifier.min_refresh_interval = 0
    response = await post_note(sample, bearer(new_token))
    assert response.status == 201, await response.text()
    # The old key left the JWKS: its tokens are refused.
    await assert_401(await post_note(sample, bearer(old_token)))


class CountingSource:
    def __init__(self, tokens: TokenFactory, *, fail: bool = False, delay: float = 0) -> None:
        self.tokens = tokens
        self.calls = 0
        self.fail = fail
        self.delay = delay

    async def __call__(self) -> dict[str, Any]:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise OSError("identity service unreachable")
        return self.tokens.jwks()


def verifier_for(source: CountingSource, tokens: TokenFactory, **kwargs: Any) -> TokenVerifier:
    return TokenVerifier(source, issuer=tokens.issuer, audience=tokens.audience, **kwargs)


async def test_verifier_accepts_a_key_rotated_after_its_cache_was_filled(tokens):
    source = CountingSource(tokens)
    verifier = verifier_for(source, tokens, min_refresh_interval=0)
    caller = await verifier.verify(tokens.token(roles=("staff",), tenant="testville"))
    assert isinstance(caller, Caller)
    assert caller.tenant == "testville" and caller.is_staff
    assert source.calls == 1
    # Cached: a second token of the same key costs no fetch.
    await verifier.verify(tokens.token())
    assert source.calls == 1

    rotate(tokens)
    caller = await verifier.verify(tokens.token(roles=("family",), household_id="h-1"))
    assert caller.roles == frozenset({"family"}) and not caller.is_staff
    assert caller.household_id == "h-1"
    assert source.calls >= 2


async def test_a_verified_token_is_served_from_cache_only_while_valid(tokens, monkeypatch):
    source = CountingSource(tokens)
    verifier = verifier_for(source, tokens, min_refresh_interval=0, leeway=0)
    token = tokens.token(ttl=60)
    first = await verifier.verify(token)
    decoded = 0
    real_decode = jwt.decode

    def counting_decode(*args: Any, **kwargs: Any) -> Any:
        nonlocal decoded
        decoded += 1
        return real_decode(*args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counting_decode)
    assert await verifier.verify(token) is first
    assert decoded == 0  # the signature was not checked again
    # Past its expiry (as the cache reads the clock), the entry no longer serves: the token
    # goes through the full check again.
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 120)
    await verifier.verify(token)
    assert decoded == 1
    monkeypatch.setattr(time, "time", real_time)

    # A key that left the JWKS: its cached tokens are refused at once.
    other = tokens.token()
    await verifier.verify(other)
    rotate(tokens)
    await verifier.verify(tokens.token())  # unknown kid: the key set is fetched again
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(other)


def test_the_verified_token_cache_is_bounded(tokens):
    verifier = verifier_for(CountingSource(tokens), tokens, verified_cache_size=3)

    async def fill() -> None:
        for _ in range(5):
            await verifier.verify(tokens.token())

    asyncio.run(fill())
    assert len(verifier._verified) == 3


async def test_verifier_rate_limits_refreshes_for_unknown_kids(tokens):
    source = CountingSource(tokens)
    verifier = verifier_for(source, tokens, min_refresh_interval=30)
    await verifier.verify(tokens.token())
    for _ in range(10):
        forged = tokens.sign(tokens.claims(), kid=uuid.uuid4().hex)
        with pytest.raises(InvalidToken, match="unknown key id"):
            await verifier.verify(forged)
    assert source.calls == 1


async def test_verifier_refuses_and_recovers_when_the_jwks_cannot_be_fetched(tokens):
    source = CountingSource(tokens, fail=True)
    verifier = verifier_for(source, tokens, min_refresh_interval=30, failure_retry_interval=0.05)
    with pytest.raises(InvalidToken, match="unknown key id"):
        await verifier.verify(tokens.token())
    source.fail = False
    # Right after the failure, no new fetch yet: refused without calling the source again.
    with pytest.raises(InvalidToken):
        await verifier.verify(tokens.token())
    assert source.calls == 1
    # Nothing was cached: once the short failure interval passed, the next token fetches.
    await asyncio.sleep(0.1)
    assert (await verifier.verify(tokens.token())).tenant == "testville"
    assert source.calls == 2


async def test_verifier_does_not_fetch_on_every_request_while_the_jwks_fails(tokens):
    source = CountingSource(tokens, fail=True)
    verifier = verifier_for(source, tokens, min_refresh_interval=30)
    for _ in range(5):
        with pytest.raises(InvalidToken):
            await verifier.verify(tokens.token())
    assert source.calls == 1


async def test_concurrent_first_requests_fetch_the_jwks_once(tokens):
    source = CountingSource(tokens, delay=0.05)
    verifier = verifier_for(source, tokens, min_refresh_interval=30)
    callers = await asyncio.gather(*(verifier.verify(tokens.token()) for _ in range(10)))
    assert len(callers) == 10
    assert source.calls == 1


async def test_while_identitys_keys_cannot_be_fetched_a_token_gets_503_not_401(sample, tokens):
    """A service restarted while identity is down has no key yet: a valid token is not the
    family's fault, so the answer is 503 with Retry-After (clients retry), never 401 (which
    sends the family back to the login page); once the keys come back, the same token works.
    A token refused for what it is stays a 401 meanwhile."""
    verifier = sample.app[VERIFIER]
    source = CountingSource(tokens, fail=True)
    verifier.source, verifier._keys, verifier._attempted_at = source, {}, float("-inf")
    verifier.failure_retry_interval = 0.05
    header = tokens.header(roles=("staff",))
    response = await post_note(sample, header)
    assert response.status == 503, await response.text()
    assert response.headers["Retry-After"] == "1"
    body = await response.json()
    assert body["type"] == PROBLEM_BASE + "keys-unavailable"
    await assert_nothing_written(sample)
    expired = tokens.token(roles=("staff",), ttl=-3600)
    await assert_401(await post_note(sample, bearer("not-a-jwt")))
    source.fail = False
    await asyncio.sleep(0.1)
    response = await post_note(sample, header)
    assert response.status == 201, await response.text()
    await assert_401(await post_note(sample, bearer(expired)))
