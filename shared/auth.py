"""Access-token verification for every service.

Tokens are JWTs issued by the identity service and signed with Ed25519 (EdDSA); the public
keys come from its JWKS endpoint, cached and refreshed when an unknown key id shows up.
Only EdDSA is accepted, so `alg=none` and HS/RS confusion tokens fail before any key is used.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import jwt
from aiohttp import web
from aiohttp.typedefs import Handler

from shared.errors import Problem
from shared.logging import get_logger

log = get_logger(__name__)

ALGORITHM = "EdDSA"
# animator: a site animator, who sees only the attendance and lists of their sites.
ROLES = frozenset({"family", "staff", "admin", "animator"})

JwksSource = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Caller:
    """Who is calling, from a verified access token."""

    account_id: str
    tenant: str
    roles: frozenset[str]
    household_id: str | None = None
    scope: str = "full"  # "password-change": a temporary password must be replaced first
    terms_pending: bool = False
    claims: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    sites: frozenset[str] = frozenset()  # an animator's sites (claim "sites")

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & {"staff", "admin"})

    @property
    def is_animator(self) -> bool:
        """A site animator who is not also staff: limited to `sites`."""
        return "animator" in self.roles and not self.is_staff

    def may_see_site(self, site: str) -> bool:
        """Staff see every site of their tenant; an animator only their own."""
        return self.is_staff or ("animator" in self.roles and site in self.sites)


class InvalidToken(Exception):
    pass


class KeysUnavailable(InvalidToken):
    """The token names a key we do not have and identity's keys could not be fetched (identity
    down or restarting): the token may well be valid, so the caller is told to retry (503),
    not to log in again (401)."""


def http_jwks_source(url: str, timeout: float = 5.0) -> JwksSource:
    async def fetch() -> dict[str, Any]:
        client_timeout = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=client_timeout) as session, session.get(url) as r:
            r.raise_for_status()
            return await r.json()

    return fetch


class TokenVerifier:
    def __init__(
        self,
        source: JwksSource,
        *,
        issuer: str,
        audience: str,
        leeway: float = 30,
        min_refresh_interval: float = 30,
        failure_retry_interval: float = 1.0,
        verified_cache_size: int = 10_000,
    ) -> None:
        self.source = source
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.min_refresh_interval = min_refresh_interval
        self._keys: dict[str, Any] = {}
        self.failure_retry_interval = failure_retry_interval
        self._attempted_at = float("-inf")
        self._fetch_failed = False  # the last fetch of the keys failed
        self._lock = asyncio.Lock()
        # Tokens already verified: a family's page sends the same token with every request,
        # and the signature check is the costliest step of a small request. Bounded (LRU);
        # an entry serves only until the token expires and while its key is still published.
        self._verified: OrderedDict[str, tuple[Caller, float, str]] = OrderedDict()
        self.verified_cache_size = verified_cache_size

    async def _fetch(self) -> None:
        self._attempted_at = time.monotonic()
        try:
            jwks = await self.source()
        except Exception as exc:
            log.warning("jwks_fetch_failed", error=repr(exc))
            self._fetch_failed = True
            return
        self._fetch_failed = False
        keys: dict[str, Any] = {}
        for jwk in jwks.get("keys", []):
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and jwk.get("kid"):
                keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm=ALGORITHM).key
        self._keys = keys

    async def _key(self, kid: str) -> Any:
        if kid not in self._keys:
            async with self._lock:
                # Decided under the lock: concurrent requests share one fetch. An unknown
                # kid may be a rotation we have not seen, or garbage: refetch at most every
                # `min_refresh_interval` (every `failure_retry_interval` while we have no key
                # at all), so forged kids or an identity outage never hammer the JWKS.
                since = time.monotonic() - self._attempted_at
                wait = self.min_refresh_interval if self._keys else self.failure_retry_interval
                if kid not in self._keys and since >= wait:
                    await self._fetch()
        if kid not in self._keys:
            if self._fetch_failed:
                raise KeysUnavailable("unknown key id, and identity's keys unavailable")
            raise InvalidToken("unknown key id")
        return self._keys[kid]

    async def verify(self, token: str) -> Caller:
        cached = self._verified.get(token)
        if cached is not None:
            caller, expires, kid = cached
            if time.time() < expires + self.leeway and kid in self._keys:
                self._verified.move_to_end(token)
                return caller
            del self._verified[token]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken(f"malformed token: {exc}") from None
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no key id")
        key = await self._key(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iat", "nbf", "sub", "iss", "aud", "tenant"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        caller = caller_from_claims(claims)
        if self.verified_cache_size > 0:
            self._verified[token] = (caller, float(claims["exp"]), kid)
            if len(self._verified) > self.verified_cache_size:
                self._verified.popitem(last=False)
        return caller


def caller_from_claims(claims: dict[str, Any]) -> Caller:
    roles = claims.get("roles", [])
    if (
        not isinstance(roles, list)
        or not roles
        or not all(isinstance(r, str) and r in ROLES for r in roles)
    ):
        raise InvalidToken("invalid roles")
    if not isinstance(claims.get("tenant"), str):
        raise InvalidToken("invalid tenant")
    sites = claims.get("sites", [])
    if not isinstance(sites, list) or not all(isinstance(s, str) for s in sites):
        raise InvalidToken("invalid sites")
    return Caller(
        account_id=str(claims["sub"]),
        tenant=claims["tenant"],
        roles=frozenset(roles),
        household_id=claims.get("household_id"),
        scope=claims.get("scope", "full"),
        terms_pending=claims.get("terms_pending") is not False,
        claims=claims,
        sites=frozenset(sites),
    )


CALLER = web.RequestKey("caller", Caller)
_AUTH_ERROR = web.RequestKey("auth_error", str)
_KEYS_UNAVAILABLE = web.RequestKey("keys_unavailable", bool)


def authentication(
    verifier_key: web.AppKey[TokenVerifier],
    disabled_key: web.AppKey[Any] | None = None,
) -> Any:
    """Middleware: verify a bearer token when present and expose the caller to handlers;
    the token of an account in the app's `disabled_key` set is refused (identity disabled
    it since the token was issued)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                request[_AUTH_ERROR] = "not a bearer token"
            else:
                try:
                    caller = await request.app[verifier_key].verify(token.strip())
                except KeysUnavailable as exc:
                    request[_AUTH_ERROR] = str(exc)
                    request[_KEYS_UNAVAILABLE] = True
                except InvalidToken as exc:
                    request[_AUTH_ERROR] = str(exc)
                else:
                    disabled = request.app.get(disabled_key) if disabled_key else None
                    if disabled is not None and caller.account_id in disabled:
                        request[_AUTH_ERROR] = "account disabled"
                    else:
                        request[CALLER] = caller
        return await handler(request)

    return middleware


def require_caller(
    request: web.Request,
    roles: Iterable[str] | None = None,
    *,
    allow_terms_pending: bool = False,
    allow_password_change: bool = False,
) -> Caller:
    """The authenticated caller, refused unless allowed here (roles, tenant, terms, scope)."""
    caller = request.get(CALLER)
    if caller is None:
        reason = request.get(_AUTH_ERROR)
        if reason:
            log.info("token_refused", reason=reason)
        if request.get(_KEYS_UNAVAILABLE):
            # Not the token's fault: the client retries the same request in a moment.
            raise Problem(
                503,
                "keys-unavailable",
                "Signing keys unavailable",
                "Le service est momentanément indisponible ; merci de réessayer dans un instant.",
                headers={"Retry-After": "1"},
            )
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "Votre session a expiré ou n'est pas valide ; merci de vous reconnecter.",
            headers={"WWW-Authenticate": 'Bearer realm="portail-famille"'},
        )
    if caller.scope == "password-change" and not allow_password_change:
        raise Problem(
            403,
            "password-change-required",
            "Password change required",
            "Vous devez choisir un nouveau mot de passe avant de continuer.",
        )
    if caller.terms_pending and not allow_terms_pending:
        raise Problem(
            403,
            "terms-not-accepted",
            "Terms of use not accepted",
            "Les conditions d'utilisation ont changé : merci de les accepter pour continuer.",
        )
    tenant = request.match_info.get("tenant")
    if tenant is not None and tenant != caller.tenant:
        raise Problem(
            403,
            "wrong-tenant",
            "Wrong tenant",
            "Vous n'avez pas accès aux données de cette collectivité.",
        )
    if roles is not None and not (caller.roles & set(roles)):
        raise Problem(
            403,
            "forbidden",
            "Forbidden",
            "Vous n'avez pas les droits nécessaires pour cette opération.",
        )
    return caller


VERIFIER = web.AppKey("verifier", TokenVerifier)
