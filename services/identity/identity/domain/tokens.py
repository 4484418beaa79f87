"""Access tokens: short-lived JWTs signed with EdDSA (Ed25519), verified by every service.

Verification trusts nothing in the token header except `kid`, used only to pick
one of OUR Ed25519 keys; the algorithm is pinned to EdDSA, which rules out
"alg": "none" and the HS256-with-the-public-key confusion attack.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, get_args

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from identity.domain._time import require_aware
from identity.domain.keys import SigningKeyring, public_keys_from_jwks

AUDIENCE: Final = "portail-famille"
ISSUER: Final = "portail-famille-identity"
ALGORITHM: Final = "EdDSA"
# RFC 9068 media type: keeps an access token from being mistaken for any other JWT we sign.
TOKEN_TYPE: Final = "at+jwt"
MAX_TTL: Final = timedelta(hours=1)
DEFAULT_LEEWAY: Final = timedelta(seconds=30)

Role = Literal["family", "staff", "admin", "animator"]
Scope = Literal["full", "password-change"]
ROLES: Final[frozenset[str]] = frozenset(get_args(Role))
SCOPES: Final[frozenset[str]] = frozenset(get_args(Scope))
# Tenant slugs look like "ville-de-lyon": lowercase, digits, inner hyphens.
_TENANT_SLUG: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")

InvalidReason = Literal[
    "malformed",
    "unsupported_algorithm",
    "unknown_key",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "wrong_audience",
    "wrong_issuer",
    "bad_claims",
]


class InvalidAccessToken(Exception):
    """The token must be refused (HTTP 401); `reason` is for logs, not for the client."""

    def __init__(self, reason: InvalidReason) -> None:
        super().__init__(reason)
        self.reason: InvalidReason = reason


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """Who the bearer is and what they may do, as carried in the access token.

    scope "password-change" is given after a login with a temporary password: such a
    token may do nothing but change the password. terms_pending: the tenant's terms of
    use are newer than the version this account accepted. sites: where an animator works
    (claim "sites", only in an animator's token).
    """

    account_id: str
    tenant: str
    roles: tuple[Role, ...]
    household_id: str | None = None
    scope: Scope = "full"
    terms_pending: bool = False
    sites: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Validate on both sides: a bad claim must fail at issue time, not in another service.
        if not _is_uuid(self.account_id):
            raise ValueError("account_id must be a UUID string")
        if not isinstance(self.tenant, str) or not _TENANT_SLUG.fullmatch(self.tenant):
            raise ValueError("tenant must be a slug")
        roles = tuple(self.roles)  # accept a list from callers, store a tuple
        if not roles or not all(isinstance(role, str) and role in ROLES for role in roles):
            raise ValueError(f"roles must be a non-empty subset of {sorted(ROLES)}")
        object.__setattr__(self, "roles", tuple(dict.fromkeys(roles)))
        if self.household_id is not None and not _is_uuid(self.household_id):
            raise ValueError("household_id must be a UUID string or None")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {sorted(SCOPES)}")
        if not isinstance(self.terms_pending, bool):
            raise ValueError("terms_pending must be a boolean")
        sites = tuple(self.sites)
        if not all(isinstance(site, str) and site for site in sites):
            raise ValueError("sites must be non-empty strings")
        if sites and "animator" not in roles:
            raise ValueError("only an animator has sites")
        object.__setattr__(self, "sites", tuple(dict.fromkeys(sites)))

    @property
    def password_change_only(self) -> bool:
        return self.scope == "password-change"

    def has_role(self, role: Role) -> bool:
        return role in self.roles


def issue_access_token(
    keyring: SigningKeyring,
    claims: AccessClaims,
    *,
    now: datetime,
    ttl: timedelta,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
) -> str:
    """Sign `claims` with the keyring's key signing at `now`; valid from `now` for `ttl`."""
    require_aware(now)
    if not timedelta(0) < ttl <= MAX_TTL:
        # The keyring keeps a retired key for the longest token life: bound it here.
        raise ValueError(f"ttl must be positive and at most {MAX_TTL}")
    issued_at = int(now.timestamp())
    payload: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": claims.account_id,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + int(ttl.total_seconds()),
        "jti": str(uuid.uuid4()),
        "tenant": claims.tenant,
        "roles": list(claims.roles),
        "household_id": claims.household_id,
        "scope": claims.scope,
        "terms_pending": claims.terms_pending,
    }
    if "animator" in claims.roles:
        payload["sites"] = list(claims.sites)
    key = keyring.signing_key(now)
    return jwt.encode(
        payload,
        key.private_key,
        algorithm=ALGORITHM,
        headers={"kid": key.kid, "typ": TOKEN_TYPE},
    )


# Either a JWK set ({"keys": [...]}) or a kid -> Ed25519PublicKey mapping.
VerificationKeys = Mapping[str, Any]


def _as_key_map(jwks_or_keys: VerificationKeys) -> Mapping[str, Any]:
    if "keys" in jwks_or_keys and isinstance(jwks_or_keys["keys"], list):
        return public_keys_from_jwks(jwks_or_keys)
    return jwks_or_keys


def verify_access_token(
    token: str,
    jwks_or_keys: VerificationKeys,
    *,
    audience: str = AUDIENCE,
    issuer: str = ISSUER,
    leeway: timedelta = DEFAULT_LEEWAY,
    now: datetime | None = None,
) -> AccessClaims:
    """Return the claims of a valid token, or raise InvalidAccessToken.

    `jwks_or_keys` is a JWK set (as served by the identity service) or a
    kid -> Ed25519PublicKey mapping (e.g. `SigningKeyring.verification_keys`).
    """
    now = require_aware(now) if now is not None else datetime.now(UTC)
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidAccessToken("malformed") from None
    if header.get("alg") != ALGORITHM:
        raise InvalidAccessToken("unsupported_algorithm")
    if header.get("typ") != TOKEN_TYPE:
        raise InvalidAccessToken("malformed")
    kid = header.get("kid")
    public_key = _as_key_map(jwks_or_keys).get(kid) if isinstance(kid, str) else None
    # isinstance guards against a mapping holding some other key type (e.g. an HMAC secret).
    if not isinstance(public_key, Ed25519PublicKey):
        raise InvalidAccessToken("unknown_key")
    try:
        payload = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "require": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"],
                # Time checks are done below against the `now` passed in.
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidAlgorithmError:
        raise InvalidAccessToken("unsupported_algorithm") from None
    except jwt.InvalidSignatureError:
        raise InvalidAccessToken("bad_signature") from None
    except jwt.InvalidAudienceError:
        raise InvalidAccessToken("wrong_audience") from None
    except jwt.InvalidIssuerError:
        raise InvalidAccessToken("wrong_issuer") from None
    except jwt.MissingRequiredClaimError:
        raise InvalidAccessToken("bad_claims") from None
    except jwt.InvalidTokenError:
        raise InvalidAccessToken("malformed") from None
    _check_times(payload, now=now, leeway=leeway)
    return _claims_from_payload(payload)


def _check_times(payload: Mapping[str, Any], *, now: datetime, leeway: timedelta) -> None:
    times = (payload.get("iat"), payload.get("nbf"), payload.get("exp"))
    # bool is an int subclass: refuse true/false as timestamps.
    if not all(isinstance(value, int) and not isinstance(value, bool) for value in times):
        raise InvalidAccessToken("bad_claims")
    current = now.timestamp()
    margin = leeway.total_seconds()
    if payload["exp"] <= current - margin:
        raise InvalidAccessToken("expired")
    if payload["nbf"] > current + margin or payload["iat"] > current + margin:
        raise InvalidAccessToken("not_yet_valid")


def _claims_from_payload(payload: Mapping[str, Any]) -> AccessClaims:
    roles = payload.get("roles")
    sites = payload.get("sites", [])
    if not isinstance(roles, list) or not isinstance(sites, list):
        raise InvalidAccessToken("bad_claims")
    try:
        return AccessClaims(
            account_id=payload["sub"],
            tenant=payload.get("tenant"),  # type: ignore[arg-type]  # validated by AccessClaims
            roles=tuple(roles),
            household_id=payload.get("household_id"),
            scope=payload.get("scope"),  # type: ignore[arg-type]
            terms_pending=payload.get("terms_pending"),  # type: ignore[arg-type]
            sites=tuple(sites),
        )
    except (TypeError, ValueError):
        raise InvalidAccessToken("bad_claims") from None
