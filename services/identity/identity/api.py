"""HTTP handlers of the identity service: validate, call the domain and the store, answer."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from identity import store
from identity.domain import lockout
from identity.domain.passwords import PasswordPolicy
from identity.domain.secret_tokens import (
    TokenPurpose,
    looks_like_token,
    new_secret_token,
    token_digest,
)
from identity.domain.tokens import AccessClaims, issue_access_token
from identity.runtime import STATE, IdentityState, temporary_password, utcnow
from identity.schemas import (
    AcceptedOut,
    AcceptTermsIn,
    AccountOut,
    AccountsOut,
    AccountsQuery,
    ActivatedOut,
    AuditOut,
    AuditQuery,
    CaptchaChallengeOut,
    ChangeEmailIn,
    ChangePasswordIn,
    CreateAccountIn,
    CreatedAccountOut,
    DoneOut,
    EmailIn,
    InvitationAcceptIn,
    JwksOut,
    LinkIn,
    LoginIn,
    ProfileOut,
    PublicTenantOut,
    RefreshIn,
    ResetPasswordIn,
    SignupIn,
    TenantSettingsIn,
    TenantSettingsOut,
    TokensOut,
)
from identity.settings import IdentitySettings
from shared.auth import Caller, require_caller
from shared.errors import DomainError, Problem
from shared.events import outbox
from shared.events.envelope import new_event
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL, SETTINGS

PRODUCER = "identity"
routes = web.RouteTableDef()


# --- errors (French details for families) ----------------------------------------------


class TenantNotFound(DomainError):
    code = "tenant-not-found"
    kind = "not_found"
    title = "Unknown municipality"
    detail = "Cette collectivité n'existe pas sur le portail."


class WeakPassword(DomainError):
    code = "weak-password"
    kind = "invalid"
    title = "Password refused"
    detail = "Le mot de passe ne respecte pas les règles de sécurité."


class WrongPassword(DomainError):
    code = "wrong-password"
    kind = "invalid"
    title = "Wrong password"
    detail = "Le mot de passe actuel est incorrect."


class CaptchaRefused(DomainError):
    code = "captcha-invalid"
    kind = "invalid"
    title = "Captcha not solved"
    detail = "La vérification anti-robot a échoué ; merci de la refaire."


class InvalidLink(DomainError):
    code = "invalid-link"
    kind = "not_found"
    title = "Unknown link"
    detail = "Ce lien n'est pas valide ; vérifiez que vous avez copié l'adresse en entier."


class LinkUsed(DomainError):
    code = "link-already-used"
    kind = "conflict"
    title = "Link already used"
    detail = "Ce lien a déjà été utilisé."


class LinkExpired(DomainError):
    code = "link-expired"
    kind = "gone"
    title = "Link expired"
    detail = "Ce lien a expiré ; vous pouvez en demander un nouveau."


class LinkSuperseded(DomainError):
    code = "link-superseded"
    kind = "gone"
    title = "Link replaced"
    detail = "Ce lien n'est plus valable : un lien plus récent vous a été envoyé."


class InvalidCredentials(DomainError):
    """One answer for unknown login, wrong password and locked account (no enumeration)."""

    code = "invalid-credentials"
    kind = "unauthenticated"
    title = "Invalid credentials"
    detail = "Identifiant ou mot de passe incorrect."


class AccountNotActivated(DomainError):
    code = "account-not-activated"
    kind = "forbidden"
    title = "Account not activated"
    detail = (
        "Votre compte n'est pas encore activé : cliquez sur le lien reçu par e-mail "
        "(vous pouvez en demander un nouveau)."
    )


class InvalidRefreshToken(DomainError):
    code = "invalid-refresh-token"
    kind = "unauthenticated"
    title = "Invalid refresh token"
    detail = "Votre session a expiré ; merci de vous reconnecter."


class AccountExists(DomainError):
    code = "account-exists"
    kind = "conflict"
    title = "Account exists"
    detail = "Un compte utilise déjà cette adresse e-mail dans cette collectivité."


class RoleNotAllowed(DomainError):
    code = "role-not-allowed"
    kind = "forbidden"
    title = "Role not allowed"
    detail = "Seul un administrateur peut créer un compte agent ou administrateur."


class SameEmail(DomainError):
    code = "same-email"
    kind = "invalid"
    title = "Same email"
    detail = "C'est déjà l'adresse e-mail de votre compte."


class EmailTaken(DomainError):
    code = "email-already-used"
    kind = "conflict"
    title = "Email already used"
    detail = "Cette adresse e-mail est déjà utilisée par un autre compte."


class TermsVersionMismatch(DomainError):
    code = "terms-version-mismatch"
    kind = "conflict"
    title = "Not the current terms"
    detail = (
        "Ces conditions d'utilisation ne sont plus les conditions en vigueur ; rechargez la page."
    )


class TermsVersionDecrease(DomainError):
    code = "terms-version-decrease"
    kind = "conflict"
    title = "Terms version going back"
    detail = "La nouvelle version des conditions d'utilisation doit être supérieure à l'actuelle."


class AccountNotFound(DomainError):
    code = "account-not-found"
    kind = "not_found"
    title = "Account not found"
    detail = "Ce compte n'existe pas."


# --- helpers ---------------------------------------------------------------------------

ACCEPTED = {
    "detail": "Demande enregistrée. Si les informations correspondent à un compte, "
    "un e-mail vient d'être envoyé."
}


@dataclass(frozen=True)
class Context:
    """What every handler needs, read once from the request."""

    request: web.Request
    state: IdentityState
    settings: IdentitySettings
    pool: asyncpg.Pool
    slug: str
    ip: str
    user_agent: str

    @classmethod
    def of(cls, request: web.Request) -> Context:
        settings = request.app[SETTINGS]
        assert isinstance(settings, IdentitySettings)
        return cls(
            request=request,
            state=request.app[STATE],
            settings=settings,
            pool=request.app[POOL],
            slug=request.match_info.get("tenant", ""),
            ip=client_address(request, settings.trusted_proxy_hops),
            user_agent=request.headers.get("User-Agent", ""),
        )

    def entry(self, action: str, **kwargs: Any) -> store.AuditEntry:
        return store.AuditEntry(
            tenant=self.slug, action=action, ip=self.ip, user_agent=self.user_agent, **kwargs
        )

    def link(self, path: str, token: str) -> str:
        return f"{self.settings.base_url}/{self.slug}/{path}?token={token}"

    def event(self, type: str, payload: dict[str, Any]) -> Any:
        return new_event(type, payload, tenant_id=self.slug, producer=PRODUCER)

    async def tenant(self) -> store.Tenant:
        tenant = await store.get_tenant(self.pool, self.slug)
        if tenant is None:
            raise TenantNotFound()
        return tenant


def client_address(request: web.Request, trusted_hops: int) -> str:
    """The peer address, or the one our own proxies saw when they are trusted."""
    if trusted_hops:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= trusted_hops:
            return forwarded[-trusted_hops][:64]
    return request.remote or "unknown"


def check_password(
    tenant: store.Tenant, password: str, *, email: str, names: list[str], field: str
) -> None:
    policy = PasswordPolicy(min_length=tenant.password_min_length)
    problems = policy.check(password, email=email, names=names)
    if problems:
        raise WeakPassword(
            " ".join(p.message for p in problems),
            errors=[{"field": field, "code": p.code, "detail": p.message} for p in problems],
        )


def account_payload(account: store.Account, **extra: Any) -> dict[str, Any]:
    return {
        "account_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        **extra,
    }


def terms_status(tenant: store.Tenant, account: store.Account) -> dict[str, Any]:
    current = tenant.terms_version
    accepted = account.terms_accepted_version
    return {
        "accepted_version": accepted,
        "accepted_at": account.terms_accepted_at,
        "current_version": current,
        "url": tenant.terms_url,
        "must_accept": current is not None and (accepted is None or accepted < current),
    }


def access_token(
    state: IdentityState, tenant: store.Tenant, account: store.Account, *, now: datetime
) -> str:
    settings = state.settings
    claims = AccessClaims(
        account_id=str(account.id),
        tenant=account.tenant,
        roles=tuple(account.roles),  # type: ignore[arg-type]
        household_id=str(account.household_id) if account.household_id else None,
        scope="password-change" if account.must_change_password else "full",
        terms_pending=terms_status(tenant, account)["must_accept"],
    )
    return issue_access_token(
        state.current_keyring,
        claims,
        now=now,
        ttl=settings.access_ttl,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def issue_tokens(
    conn: asyncpg.Connection,
    state: IdentityState,
    tenant: store.Tenant,
    account: store.Account,
    *,
    now: datetime,
    family_id: uuid.UUID | None = None,
    with_refresh: bool = True,
) -> dict[str, Any]:
    """An access token, and a refresh token in the session's chain (a new one by default).

    A temporary-password login gets no refresh token: that token can only change the password.
    """
    settings = state.settings
    body: dict[str, Any] = {
        "access_token": access_token(state, tenant, account, now=now),
        "token_type": "Bearer",
        "expires_in": int(settings.access_ttl.total_seconds()),
        "refresh_token": None,
        "refresh_expires_in": None,
        "terms": terms_status(tenant, account),
        "password_change_required": account.must_change_password,
    }
    if with_refresh and not account.must_change_password:
        refresh = new_secret_token(TokenPurpose.REFRESH)
        await store.insert_refresh(
            conn,
            digest=refresh.digest,
            family_id=family_id or uuid.uuid4(),
            account_id=account.id,
            tenant=account.tenant,
            now=now,
            expires_at=now + settings.refresh_ttl,
        )
        body["refresh_token"] = refresh.value
        body["refresh_expires_in"] = int(settings.refresh_ttl.total_seconds())
    return body


# Link purposes as stored (the digest purpose says which kind of secret it is).
_LINKS: dict[str, TokenPurpose] = {
    "activation": TokenPurpose.EMAIL_VERIFICATION,
    "email-change": TokenPurpose.EMAIL_VERIFICATION,
    "invitation": TokenPurpose.INVITATION,
    "password-reset": TokenPurpose.PASSWORD_RESET,
}


async def new_link(
    conn: asyncpg.Connection,
    ctx: Context,
    account: store.Account,
    purpose: str,
    ttl: timedelta,
    *,
    now: datetime,
    new_email: str | None = None,
) -> tuple[str, datetime]:
    secret = new_secret_token(_LINKS[purpose])
    expires_at = now + ttl
    await store.insert_link(
        conn,
        digest=secret.digest,
        purpose=purpose,
        account_id=account.id,
        tenant=account.tenant,
        expires_at=expires_at,
        now=now,
        new_email=new_email,
    )
    return secret.value, expires_at


async def open_link(
    conn: asyncpg.Connection | asyncpg.Pool, ctx: Context, purpose: str, value: str, now: datetime
) -> tuple[str, store.LinkToken]:
    """The link behind `value` if it can still be used (locked when `conn` is in a
    transaction); raises the problem a family can act on otherwise."""
    if not looks_like_token(value):
        raise InvalidLink()
    digest = token_digest(_LINKS[purpose], value)
    link = await store.get_link(conn, digest, for_update=not isinstance(conn, asyncpg.Pool))
    if link is None or link.purpose != purpose or link.tenant != ctx.slug:
        raise InvalidLink()
    if link.used_at is not None:
        raise LinkUsed()
    if link.revoked_at is not None:
        raise LinkSuperseded()
    if link.expires_at <= now:
        raise LinkExpired()
    return digest, link


def no_store(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


# --- public keys and tenants ------------------------------------------------------------


@routes.get("/.well-known/jwks.json")
@doc("Public keys that verify access tokens", response=JwksOut, auth=False, tags=["tokens"])
async def jwks(request: web.Request) -> web.Response:
    keyring = request.app[STATE].current_keyring
    response = web.json_response(keyring.jwks(now=utcnow()))
    # Short cache: verifiers refetch on an unknown kid anyway.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _tenant_body(tenant: store.Tenant) -> dict[str, Any]:
    return {
        "slug": tenant.slug,
        "display_name": tenant.display_name,
        "contact_email": tenant.contact_email,
        "contact_phone": tenant.contact_phone,
        "password_min_length": tenant.password_min_length,
        # Public: families must be able to read what they are asked to accept.
        "terms": {
            "version": tenant.terms_version,
            "url": tenant.terms_url,
            "text": tenant.terms_text,
        },
    }


@routes.get("/tenants/{tenant}")
@doc(
    "Public information of a municipality (login page)",
    response=PublicTenantOut,
    auth=False,
    tags=["tenants"],
    responses={404: "Unknown municipality"},
)
async def public_tenant(request: web.Request) -> web.Response:
    tenant = await Context.of(request).tenant()
    return json_response(PublicTenantOut(), _tenant_body(tenant))


@routes.get("/tenants/{tenant}/settings")
@doc("Settings of the municipality (admin)", response=TenantSettingsOut, tags=["tenants"])
async def get_settings(request: web.Request) -> web.Response:
    require_caller(request, roles=("admin",))
    tenant = await Context.of(request).tenant()
    return json_response(TenantSettingsOut(), _tenant_body(tenant))


@routes.patch("/tenants/{tenant}/settings")
@doc(
    "Change the settings of the municipality (admin)",
    request=TenantSettingsIn,
    response=TenantSettingsOut,
    tags=["tenants"],
    responses={409: "Terms version going back"},
)
async def patch_settings(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    ctx = Context.of(request)
    changes = await read_json(request, TenantSettingsIn())
    async with ctx.pool.acquire() as conn, conn.transaction():
        tenant = await store.get_tenant(conn, ctx.slug, for_update=True)
        if tenant is None:
            raise TenantNotFound()
        new_version = changes.get("terms_version")
        if tenant.terms_version is not None and (
            (new_version is None and "terms_version" in changes)
            or (new_version is not None and new_version < tenant.terms_version)
        ):
            raise TermsVersionDecrease()
        updated = await store.update_tenant(conn, ctx.slug, changes)
        assert updated is not None
        await store.audit(
            conn,
            ctx.entry(
                "tenant_settings_changed",
                actor_id=uuid.UUID(caller.account_id),
                details={"fields": sorted(changes)},
            ),
        )
    return json_response(TenantSettingsOut(), _tenant_body(updated))


# --- captcha and sign-up ----------------------------------------------------------------


@routes.get("/tenants/{tenant}/captcha/challenge")
@doc(
    "An ALTCHA proof-of-work challenge for the sign-up form",
    response=CaptchaChallengeOut,
    auth=False,
    tags=["sign-up"],
)
async def captcha_challenge(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    await ctx.tenant()
    return no_store(web.json_response(ctx.state.captcha.create_challenge(now=utcnow())))


_CAPTCHA_DETAILS = {
    "expired": "La vérification anti-robot a expiré ; merci de la refaire.",
    "replayed": "Cette vérification anti-robot a déjà servi ; merci de la refaire.",
}


@routes.post("/tenants/{tenant}/signup")
@doc(
    "Create a family account (pending until the emailed link is opened)",
    request=SignupIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["sign-up"],
    description=(
        "Answers 202 with the same body whether or not the email already has an account, so "
        "nobody can learn which emails are registered. For a known email nothing is created "
        "and nothing is sent (the attempt is only written to the audit log); the owner can "
        "use the forgotten-password link."
    ),
)
async def signup(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, SignupIn())
    tenant = await ctx.tenant()
    email, name = data["email"].lower(), data["display_name"]
    check_password(tenant, data["password"], email=email, names=[name], field="password")
    now = utcnow()
    verdict = ctx.state.captcha.verify(data["captcha"], now=now)
    if not verdict.ok:
        raise CaptchaRefused(_CAPTCHA_DETAILS.get(verdict.outcome))
    assert verdict.replay_key is not None and verdict.expires_at is not None
    if not await store.remember_captcha(ctx.pool, verdict.replay_key, verdict.expires_at, now):
        raise CaptchaRefused(_CAPTCHA_DETAILS["replayed"])
    # Hash even for a known email: both answers take the same time.
    password_hash = await ctx.state.hasher.hash(data["password"])
    async with ctx.pool.acquire() as conn, conn.transaction():
        account = await store.insert_account(
            conn,
            tenant=ctx.slug,
            email=email,
            display_name=name,
            roles=["family"],
            status="pending",
            password_hash=password_hash,
            now=now,
        )
        if account is None:
            await store.audit(conn, ctx.entry("signup_existing_email", login=email))
        else:
            token, expires_at = await new_link(
                conn,
                ctx,
                account,
                "activation",
                timedelta(hours=ctx.settings.activation_link_hours),
                now=now,
            )
            await outbox.record(
                conn,
                ctx.event(
                    "identity.AccountRegistered",
                    account_payload(
                        account,
                        activation_url=ctx.link("activation", token),
                        expires_at=expires_at,
                    ),
                ),
            )
            await store.audit(conn, ctx.entry("signup", account_id=account.id, login=email))
    return no_store(json_response(AcceptedOut(), ACCEPTED, status=202))


@routes.post("/tenants/{tenant}/activation")
@doc(
    "Activate an account with the emailed link",
    request=LinkIn,
    response=ActivatedOut,
    auth=False,
    tags=["sign-up"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def activate(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, LinkIn())
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        digest, link = await open_link(conn, ctx, "activation", data["token"], now)
        account = await store.get_account(conn, ctx.slug, link.account_id, for_update=True)
        if account is None:
            raise InvalidLink()
        await store.use_link(conn, digest, now=now)
        if account.status == "pending":
            await store.activate_account(conn, account.id, now=now)
            await outbox.record(
                conn,
                ctx.event(
                    "identity.AccountActivated", account_payload(account, roles=account.roles)
                ),
            )
            await store.audit(conn, ctx.entry("account_activated", account_id=account.id))
    body = {"account_id": account.id, "email": account.email, "status": "active"}
    return no_store(json_response(ActivatedOut(), body))


@routes.post("/tenants/{tenant}/activation/resend")
@doc(
    "Send a new activation link (same answer for every email)",
    request=EmailIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["sign-up"],
)
async def resend_activation(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, EmailIn())
    await ctx.tenant()
    activation_ttl = timedelta(hours=ctx.settings.activation_link_hours)

    async def send(conn: asyncpg.Connection, account: store.Account, now: datetime) -> None:
        token, expires_at = await new_link(
            conn, ctx, account, "activation", activation_ttl, now=now
        )
        await outbox.record(
            conn,
            ctx.event(
                "identity.AccountRegistered",
                account_payload(
                    account, activation_url=ctx.link("activation", token), expires_at=expires_at
                ),
            ),
        )

    await _link_request(
        ctx,
        data["email"].lower(),
        "activation",
        eligible=lambda account: account.status == "pending",
        send=send,
        sent_action="activation_resent",
    )
    return no_store(json_response(AcceptedOut(), ACCEPTED, status=202))


async def _link_request(
    ctx: Context,
    email: str,
    purpose: str,
    *,
    eligible: Callable[[store.Account], bool],
    send: Callable[[asyncpg.Connection, store.Account, datetime], Awaitable[None]],
    sent_action: str,
) -> None:
    """A forgotten-password or activation-resend request, answered the same way whether or
    not the email has an account: both paths run one transaction of the same shape (lock,
    count and record the request, look the account up, write the link and its event, write
    the audit log); when nothing is to be sent, the link statements match no row.

    Throttled (per email and address, per email, per address, over a sliding window):
    nothing is sent, the answer is the same, the audit log says so.
    """
    settings = ctx.settings
    limits = store.LinkRequestLimits(
        window=settings.link_request_window,
        per_pair=settings.link_requests_per_pair,
        per_email=settings.link_requests_per_email,
        per_address=settings.link_requests_per_address,
    )
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        over = await store.record_link_request(
            conn, tenant=ctx.slug, purpose=purpose, email=email, ip=ctx.ip, now=now, limits=limits
        )
        account = await store.find_by_email(conn, ctx.slug, email)
        details: dict[str, Any] = {"purpose": purpose}
        prefix = purpose.replace("-", "_")
        if over is not None:
            action = f"{prefix}_request_throttled"
            details["limit"] = over
            await store.link_writes_matching_nothing(conn, now=now)
        elif account is None or not eligible(account):
            action = f"{prefix}_request_ignored"
            details["reason"] = "unknown_email" if account is None else account.status
            await store.link_writes_matching_nothing(conn, now=now)
        else:
            await send(conn, account, now)
            action = sent_action
        await store.audit(
            conn, ctx.entry(action, account_id=account and account.id, login=email, details=details)
        )


# --- login, refresh, logout -------------------------------------------------------------


def _too_many_attempts(decision: lockout.ThrottleDecision, what: str = "connexion") -> Problem:
    seconds = max(1, decision.retry_after_seconds)
    return Problem(
        429,
        "too-many-attempts",
        "Too many attempts",
        f"Trop de tentatives de {what} : merci de patienter {seconds} seconde(s) "
        "avant de réessayer.",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


async def _throttle_decision(
    ctx: Context, account_key: str, address_key: str
) -> lockout.ThrottleDecision:
    """May one more password attempt be made now for this account and client address?"""
    state = ctx.state
    now = utcnow()
    window = max(state.account_policy.failure_window, state.address_policy.failure_window)
    histories = await store.failure_histories(
        ctx.pool, ctx.slug, [account_key, address_key], since=now - window
    )

    def history(key: str) -> lockout.FailureHistory:
        count, last = histories.get(key, (0, None))
        return lockout.FailureHistory(count=count, last_failure_at=last)

    return lockout.decide_login_attempt(
        account=history(account_key),
        address=history(address_key),
        now=now,
        account_policy=state.account_policy,
        address_policy=state.address_policy,
    )


async def _check_own_password(
    ctx: Context, account: store.Account, password: str, *, field: str
) -> None:
    """The password an authenticated request must repeat (change of password or email):
    a wrong one is a failed attempt on the account, like a failed login, so a stolen
    session cannot be used to guess it; throttled or locked, the answer is 429."""
    account_key, address_key = f"account:{account.id}", f"address:{ctx.ip}"
    decision = await _throttle_decision(ctx, account_key, address_key)
    if not decision.allowed:
        raise _too_many_attempts(decision, "saisie du mot de passe")
    assert account.password_hash is not None
    if not await ctx.state.hasher.verify(account.password_hash, password):
        await _login_failed(
            ctx,
            account,
            account_key,
            address_key,
            account.email,
            utcnow(),
            action="password_check_failed",
            details={"field": field},
        )
        raise WrongPassword(errors=[{"field": field, "detail": WrongPassword.detail}])


@routes.post("/tenants/{tenant}/login")
@doc(
    "Log in with an email (or the part before the @) and a password",
    request=LoginIn,
    response=TokensOut,
    auth=False,
    tags=["tokens"],
    responses={
        401: "Wrong login or password (also for unknown or locked accounts)",
        403: "Account not activated yet (only said when the password is right)",
        429: "Too many failed attempts: wait Retry-After seconds",
    },
)
async def login(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, LoginIn())
    tenant = await ctx.tenant()
    state, login_text, password = ctx.state, data["login"].lower(), data["password"]
    account = await store.find_by_login(ctx.pool, ctx.slug, login_text)
    # Failures count per account when the login names one, else per typed identifier, so
    # unknown identifiers are throttled exactly like real ones.
    account_key = f"account:{account.id}" if account else f"login:{login_text}"
    address_key = f"address:{ctx.ip}"
    decision = await _throttle_decision(ctx, account_key, address_key)
    if not decision.allowed:
        if decision.locked:
            # Locked: the generic answer, after the usual work, even for the right password.
            await state.hasher.dummy_verify(password)
            await store.audit(
                ctx.pool,
                ctx.entry(
                    "login_refused_locked", account_id=account and account.id, login=login_text
                ),
            )
            raise InvalidCredentials()
        raise _too_many_attempts(decision)

    if account is None or account.password_hash is None or account.status == "disabled":
        await state.hasher.dummy_verify(password)
        ok = False
    else:
        ok = await state.hasher.verify(account.password_hash, password)
    now = utcnow()
    if not ok:
        await _login_failed(ctx, account, account_key, address_key, login_text, now)
        raise InvalidCredentials()
    assert account is not None and account.password_hash is not None
    if account.status == "pending":
        raise AccountNotActivated()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.clear_failures(conn, ctx.slug, [account_key, f"login:{login_text}"])
        if state.hasher.needs_rehash(account.password_hash):
            # Parameters were raised since this hash was made: upgrade it now we know it.
            new_hash = await state.hasher.hash(password)
            await store.rehash_password(conn, account.id, account.password_hash, new_hash)
        body = await issue_tokens(conn, state, tenant, account, now=now)
        await store.audit(
            conn, ctx.entry("login_succeeded", account_id=account.id, login=login_text)
        )
    return no_store(json_response(TokensOut(), body))


async def _login_failed(
    ctx: Context,
    account: store.Account | None,
    account_key: str,
    address_key: str,
    login_text: str,
    now: datetime,
    *,
    action: str = "login_failed",
    details: dict[str, Any] | None = None,
) -> None:
    """Count a wrong password on the account and the address; lock and tell the owner once
    the account reaches the lock threshold."""
    state = ctx.state
    policy = state.account_policy
    async with ctx.pool.acquire() as conn, conn.transaction():
        failures = await store.record_failure(
            conn, ctx.slug, account_key, now=now, window=policy.failure_window
        )
        await store.record_failure(
            conn, ctx.slug, address_key, now=now, window=state.address_policy.failure_window
        )
        entries = [
            ctx.entry(
                action,
                account_id=account.id if account else None,
                login=login_text,
                details={**(details or {}), "failures": failures},
            )
        ]
        locked = lockout.is_locked(
            lockout.FailureHistory(count=failures, last_failure_at=now), now=now, policy=policy
        )
        if (
            locked
            and account is not None
            and await store.claim_lock_notification(
                conn,
                ctx.slug,
                account_key,
                lock_after=policy.lock_after or failures,
                now=now,
                lock=policy.lock_duration,
            )
        ):
            until = now + policy.lock_duration
            await outbox.record(
                conn,
                ctx.event(
                    "identity.AccountLocked",
                    account_payload(account, locked_until=until, failed_attempts=failures),
                ),
            )
            entries.append(
                ctx.entry(
                    "account_locked",
                    account_id=account.id,
                    login=login_text,
                    details={"locked_until": until.isoformat(), "failures": failures},
                )
            )
        await store.audit(conn, *entries)


@routes.post("/tenants/{tenant}/token/refresh")
@doc(
    "Exchange a refresh token for new tokens (the old one stops working)",
    request=RefreshIn,
    response=TokensOut,
    auth=False,
    tags=["tokens"],
    responses={401: "Unknown, expired, revoked or reused refresh token"},
)
async def refresh(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, RefreshIn())
    value = data["refresh_token"]
    if not looks_like_token(value):
        raise InvalidRefreshToken()
    now = utcnow()
    body: dict[str, Any] | None = None
    async with ctx.pool.acquire() as conn, conn.transaction():
        digest = token_digest(TokenPurpose.REFRESH, value)
        token = await store.get_refresh_for_update(conn, digest)
        if token is None or token.tenant != ctx.slug or token.revoked_at is not None:
            raise InvalidRefreshToken()
        if token.used_at is not None:
            # A rotated token came back: it was stolen (or the thief already used the new
            # one). End the whole session; the revocation must commit, so no raise here.
            await store.revoke_family(conn, token.family_id, now=now)
            await store.audit(
                conn,
                ctx.entry(
                    "refresh_token_reused",
                    account_id=token.account_id,
                    details={"session": str(token.family_id)},
                ),
            )
        elif token.expires_at > now:
            account = await store.get_account(conn, ctx.slug, token.account_id)
            tenant = await store.get_tenant(conn, ctx.slug)
            if account is None or tenant is None or account.status != "active":
                await store.revoke_family(conn, token.family_id, now=now)
            else:
                await store.mark_refresh_used(conn, digest, now=now)
                body = await issue_tokens(
                    conn, ctx.state, tenant, account, now=now, family_id=token.family_id
                )
    if body is None:
        raise InvalidRefreshToken()
    return no_store(json_response(TokensOut(), body))


@routes.post("/tenants/{tenant}/logout")
@doc(
    "Log out: the refresh token and its session end",
    request=RefreshIn,
    status=204,
    auth=False,
    tags=["tokens"],
)
async def logout(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, RefreshIn())
    value = data["refresh_token"]
    if looks_like_token(value):
        now = utcnow()
        async with ctx.pool.acquire() as conn, conn.transaction():
            token = await store.get_refresh_for_update(
                conn, token_digest(TokenPurpose.REFRESH, value)
            )
            if token is not None and token.tenant == ctx.slug and token.revoked_at is None:
                await store.revoke_family(conn, token.family_id, now=now)
                await store.audit(conn, ctx.entry("logout", account_id=token.account_id))
    # Same answer for an unknown token: logging out twice is not an error.
    return no_store(web.Response(status=204))


# --- staff-created accounts and invitations ---------------------------------------------


def _account_body(account: store.Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "roles": account.roles,
        "status": account.status,
        "household_id": account.household_id,
        "must_change_password": account.must_change_password,
        "terms_accepted_version": account.terms_accepted_version,
        "created_at": account.created_at,
    }


@routes.post("/tenants/{tenant}/accounts")
@doc(
    "Create an account for a family (staff) or a colleague (admin)",
    request=CreateAccountIn,
    response=CreatedAccountOut,
    status=201,
    tags=["accounts"],
    description=(
        "mode=invitation emails a 'choose your password' link (event identity.AccountInvited); "
        "mode=temporary_password returns a password ONCE, which must be changed at first login."
    ),
    responses={403: "Role not allowed", 409: "Email already used in this municipality"},
)
async def create_account(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    ctx = Context.of(request)
    data = await read_json(request, CreateAccountIn())
    if set(data["roles"]) - {"family"} and "admin" not in caller.roles:
        raise RoleNotAllowed()
    await ctx.tenant()
    now = utcnow()
    temporary: str | None = None
    password_hash: str | None = None
    if data["mode"] == "temporary_password":
        temporary = temporary_password()
        password_hash = await ctx.state.hasher.hash(temporary)
    email = data["email"].lower()
    expires_at: datetime | None = None
    async with ctx.pool.acquire() as conn, conn.transaction():
        account = await store.insert_account(
            conn,
            tenant=ctx.slug,
            email=email,
            display_name=data["display_name"],
            roles=data["roles"],
            status="active" if temporary else "invited",
            password_hash=password_hash,
            must_change_password=temporary is not None,
            now=now,
        )
        if account is None:
            raise AccountExists()
        invitation_url = None
        if temporary is None:
            token, expires_at = await new_link(
                conn,
                ctx,
                account,
                "invitation",
                timedelta(hours=ctx.settings.invitation_link_hours),
                now=now,
            )
            invitation_url = ctx.link("invitation", token)
        await outbox.record(
            conn,
            ctx.event(
                "identity.AccountInvited",
                account_payload(
                    account,
                    roles=account.roles,
                    invitation_url=invitation_url,
                    expires_at=expires_at,
                    invited_by=uuid.UUID(caller.account_id),
                ),
            ),
        )
        await store.audit(
            conn,
            ctx.entry(
                "account_created",
                account_id=account.id,
                actor_id=uuid.UUID(caller.account_id),
                login=email,
                details={"roles": account.roles, "mode": data["mode"]},
            ),
        )
    body = {
        "account": _account_body(account),
        "mode": data["mode"],
        "temporary_password": temporary,
        "invitation_expires_at": expires_at,
    }
    return no_store(json_response(CreatedAccountOut(), body, status=201))


async def _password_for_link(
    ctx: Context,
    tenant: store.Tenant,
    purpose: str,
    token: str,
    password: str,
    field: str,
    now: datetime,
) -> tuple[store.Account, str]:
    """The link's account and the new password's hash, checked against the policy.

    Hashing happens before the transaction: argon2 must not hold a connection."""
    _, link = await open_link(ctx.pool, ctx, purpose, token, now)
    account = await store.get_account(ctx.pool, ctx.slug, link.account_id)
    if account is None:
        raise InvalidLink()
    check_password(tenant, password, email=account.email, names=[account.display_name], field=field)
    return account, await ctx.state.hasher.hash(password)


async def _use_link_for_password(
    conn: asyncpg.Connection,
    ctx: Context,
    purpose: str,
    token: str,
    account: store.Account,
    password_hash: str,
    now: datetime,
) -> None:
    """Spend the link (checked again in the transaction) and set the password. The link
    proves the address: a pending or invited account becomes usable too."""
    digest, _ = await open_link(conn, ctx, purpose, token, now)
    await store.use_link(conn, digest, now=now)
    await store.set_password(conn, account.id, password_hash, now=now, activate=True)


@routes.post("/tenants/{tenant}/invitation/accept")
@doc(
    "Choose a password with an invitation link (and be logged in)",
    request=InvitationAcceptIn,
    response=TokensOut,
    auth=False,
    tags=["accounts"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def accept_invitation(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, InvitationAcceptIn())
    tenant = await ctx.tenant()
    now = utcnow()
    account, password_hash = await _password_for_link(
        ctx, tenant, "invitation", data["token"], data["password"], "password", now
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _use_link_for_password(
            conn, ctx, "invitation", data["token"], account, password_hash, now
        )
        account = await store.get_account(conn, ctx.slug, account.id)
        assert account is not None
        await outbox.record(
            conn,
            ctx.event("identity.AccountActivated", account_payload(account, roles=account.roles)),
        )
        await store.audit(conn, ctx.entry("invitation_accepted", account_id=account.id))
        body = await issue_tokens(conn, ctx.state, tenant, account, now=now)
    return no_store(json_response(TokensOut(), body))


# --- passwords --------------------------------------------------------------------------


async def _own_account(ctx: Context, caller: Caller) -> store.Account:
    account = await store.get_account(ctx.pool, ctx.slug, uuid.UUID(caller.account_id))
    if account is None or account.status != "active":
        raise AccountNotFound()
    return account


@routes.post("/tenants/{tenant}/me/password")
@doc(
    "Change my password (ends my other sessions; new tokens are returned)",
    request=ChangePasswordIn,
    response=TokensOut,
    tags=["passwords"],
    description=(
        "Also the only call a temporary-password token (scope password-change) may make. A "
        "wrong current password counts as a failed login on the account (delays, then lock)."
    ),
    responses={422: "Wrong current password or weak new one", 429: "Too many wrong passwords"},
)
async def change_password(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_password_change=True, allow_terms_pending=True)
    ctx = Context.of(request)
    data = await read_json(request, ChangePasswordIn())
    tenant = await ctx.tenant()
    account = await _own_account(ctx, caller)
    await _check_own_password(ctx, account, data["current_password"], field="current_password")
    check_password(
        tenant,
        data["new_password"],
        email=account.email,
        names=[account.display_name],
        field="new_password",
    )
    password_hash = await ctx.state.hasher.hash(data["new_password"])
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.set_password(conn, account.id, password_hash, now=now)
        await store.revoke_sessions(conn, account.id, now=now)
        await store.clear_failures(conn, ctx.slug, [f"account:{account.id}"])
        await outbox.record(
            conn,
            ctx.event(
                "identity.PasswordChanged",
                account_payload(account, reason="change", changed_at=now),
            ),
        )
        await store.audit(conn, ctx.entry("password_changed", account_id=account.id))
        account = await store.get_account(conn, ctx.slug, account.id)
        assert account is not None
        body = await issue_tokens(conn, ctx.state, tenant, account, now=now)
    return no_store(json_response(TokensOut(), body))


@routes.post("/tenants/{tenant}/password/forgot")
@doc(
    "Ask for a password reset link (same answer for every email)",
    request=EmailIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["passwords"],
)
async def forgot_password(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, EmailIn())
    await ctx.tenant()
    reset_ttl = timedelta(minutes=ctx.settings.reset_link_minutes)

    async def send(conn: asyncpg.Connection, account: store.Account, now: datetime) -> None:
        token, expires_at = await new_link(conn, ctx, account, "password-reset", reset_ttl, now=now)
        await outbox.record(
            conn,
            ctx.event(
                "identity.PasswordResetRequested",
                account_payload(
                    account, reset_url=ctx.link("password/reset", token), expires_at=expires_at
                ),
            ),
        )

    await _link_request(
        ctx,
        data["email"].lower(),
        "password-reset",
        # A locked account may still reset (that lifts the lock); a disabled one may not.
        eligible=lambda account: account.status != "disabled",
        send=send,
        sent_action="password_reset_requested",
    )
    return no_store(json_response(AcceptedOut(), ACCEPTED, status=202))


@routes.post("/tenants/{tenant}/password/reset")
@doc(
    "Choose a new password with a reset link (ends every session, lifts a lock)",
    request=ResetPasswordIn,
    response=DoneOut,
    auth=False,
    tags=["passwords"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def reset_password(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, ResetPasswordIn())
    tenant = await ctx.tenant()
    now = utcnow()
    account, password_hash = await _password_for_link(
        ctx, tenant, "password-reset", data["token"], data["new_password"], "new_password", now
    )
    async with ctx.pool.acquire() as conn, conn.transaction():
        await _use_link_for_password(
            conn, ctx, "password-reset", data["token"], account, password_hash, now
        )
        await store.revoke_sessions(conn, account.id, now=now)
        await store.clear_failures(conn, ctx.slug, [f"account:{account.id}"])
        await outbox.record(
            conn,
            ctx.event(
                "identity.PasswordChanged",
                account_payload(account, reason="reset", changed_at=now),
            ),
        )
        await store.audit(conn, ctx.entry("password_reset", account_id=account.id))
    body = {"detail": "Votre mot de passe a été modifié ; vous pouvez vous connecter."}
    return no_store(json_response(DoneOut(), body))


# --- email change -----------------------------------------------------------------------


@routes.post("/tenants/{tenant}/me/email")
@doc(
    "Ask to change my email: a link goes to the new address, the old one is told",
    request=ChangeEmailIn,
    response=AcceptedOut,
    status=202,
    tags=["profile"],
    description="A wrong password counts as a failed login on the account (delays, then lock).",
    responses={422: "Wrong password, or the same email", 429: "Too many wrong passwords"},
)
async def change_email(request: web.Request) -> web.Response:
    caller = require_caller(request)
    ctx = Context.of(request)
    data = await read_json(request, ChangeEmailIn())
    account = await _own_account(ctx, caller)
    new_email = data["new_email"].lower()
    await _check_own_password(ctx, account, data["password"], field="password")
    if new_email == account.email:
        raise SameEmail()
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        # A taken address is only refused when the link is used: the answer here does not
        # tell whether someone else has an account with it.
        token, expires_at = await new_link(
            conn,
            ctx,
            account,
            "email-change",
            timedelta(hours=ctx.settings.email_link_hours),
            now=now,
            new_email=new_email,
        )
        await outbox.record(
            conn,
            ctx.event(
                "identity.EmailChangeRequested",
                account_payload(
                    account,
                    new_email=new_email,
                    confirmation_url=ctx.link("email/confirm", token),
                    expires_at=expires_at,
                ),
            ),
        )
        await store.audit(
            conn,
            ctx.entry(
                "email_change_requested", account_id=account.id, details={"new_email": new_email}
            ),
        )
    body = {"detail": f"Un lien de confirmation a été envoyé à {new_email}."}
    return no_store(json_response(AcceptedOut(), body, status=202))


@routes.post("/tenants/{tenant}/email/confirm")
@doc(
    "Confirm a new email with the link sent to it",
    request=LinkIn,
    response=DoneOut,
    auth=False,
    tags=["profile"],
    responses={
        404: "Unknown link",
        409: "Link already used, or the address is now used by another account",
        410: "Link expired",
    },
)
async def confirm_email(request: web.Request) -> web.Response:
    ctx = Context.of(request)
    data = await read_json(request, LinkIn())
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        digest, link = await open_link(conn, ctx, "email-change", data["token"], now)
        account = await store.get_account(conn, ctx.slug, link.account_id, for_update=True)
        if account is None or link.new_email is None:
            raise InvalidLink()
        if not await store.set_email(conn, account.id, link.new_email, now=now):
            raise EmailTaken()
        await store.use_link(conn, digest, now=now)
        await outbox.record(
            conn,
            ctx.event(
                "identity.EmailChanged",
                {
                    "account_id": account.id,
                    "email": link.new_email,
                    "display_name": account.display_name,
                    "old_email": account.email,
                },
            ),
        )
        await store.audit(
            conn,
            ctx.entry(
                "email_changed",
                account_id=account.id,
                details={"old_email": account.email, "new_email": link.new_email},
            ),
        )
    body = {"detail": f"Votre adresse e-mail est désormais {link.new_email}."}
    return no_store(json_response(DoneOut(), body))


# --- profile and terms ------------------------------------------------------------------


@routes.get("/tenants/{tenant}/me")
@doc("My account, with the terms-of-use status", response=ProfileOut, tags=["profile"])
async def me(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_terms_pending=True)
    ctx = Context.of(request)
    tenant = await ctx.tenant()
    account = await _own_account(ctx, caller)
    body = {
        "account_id": account.id,
        "tenant": account.tenant,
        "email": account.email,
        "display_name": account.display_name,
        "roles": account.roles,
        "household_id": account.household_id,
        "password_change_required": account.must_change_password,
        "terms": terms_status(tenant, account),
    }
    return no_store(json_response(ProfileOut(), body))


@routes.post("/tenants/{tenant}/me/terms")
@doc(
    "Accept the current terms of use (a fresh access token is returned)",
    request=AcceptTermsIn,
    response=TokensOut,
    tags=["profile"],
    description=(
        "Returns a new access token without terms_pending; the refresh token in hand stays "
        "valid and its next tokens are fresh too."
    ),
    responses={409: "Not the current version"},
)
async def accept_terms(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_terms_pending=True)
    ctx = Context.of(request)
    data = await read_json(request, AcceptTermsIn())
    tenant = await ctx.tenant()
    account = await _own_account(ctx, caller)
    if tenant.terms_version is None or data["version"] != tenant.terms_version:
        raise TermsVersionMismatch(current_version=tenant.terms_version)
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        await store.accept_terms(conn, account.id, data["version"], now=now)
        await store.audit(
            conn,
            ctx.entry(
                "terms_accepted", account_id=account.id, details={"version": data["version"]}
            ),
        )
        account = await store.get_account(conn, ctx.slug, account.id)
        assert account is not None
        body = await issue_tokens(conn, ctx.state, tenant, account, now=now, with_refresh=False)
    return no_store(json_response(TokensOut(), body))


# --- administration ---------------------------------------------------------------------


@routes.get("/tenants/{tenant}/accounts")
@doc(
    "Accounts of the municipality (staff), filtered and paginated",
    query=AccountsQuery,
    response=AccountsOut,
    tags=["accounts"],
)
async def list_accounts(request: web.Request) -> web.Response:
    require_caller(request, roles=("staff", "admin"))
    ctx = Context.of(request)
    query = read_query(request, AccountsQuery())
    accounts, total = await store.list_accounts(
        ctx.pool,
        ctx.slug,
        role=query.get("role"),
        email=query["email"].lower() if "email" in query else None,
        status=query.get("status"),
        limit=query["limit"],
        offset=query["offset"],
    )
    body = {
        "items": [_account_body(a) for a in accounts],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }
    return no_store(json_response(AccountsOut(), body))


@routes.get("/tenants/{tenant}/accounts/{account_id}")
@doc("One account of the municipality (staff)", response=AccountOut, tags=["accounts"])
async def get_account(request: web.Request) -> web.Response:
    require_caller(request, roles=("staff", "admin"))
    ctx = Context.of(request)
    account = await store.get_account(ctx.pool, ctx.slug, _account_id(request))
    if account is None:
        raise AccountNotFound()
    return no_store(json_response(AccountOut(), _account_body(account)))


class CannotDisableSelf(DomainError):
    code = "cannot-disable-self"
    kind = "conflict"
    title = "Cannot disable oneself"
    detail = "Vous ne pouvez pas désactiver votre propre compte."


def _account_id(request: web.Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.match_info["account_id"])
    except ValueError:
        raise AccountNotFound() from None


async def _set_disabled(request: web.Request, *, disabled: bool) -> web.Response:
    caller = require_caller(request, roles=("admin",))
    ctx = Context.of(request)
    account_id = _account_id(request)
    actor = uuid.UUID(caller.account_id)
    if disabled and account_id == actor:
        raise CannotDisableSelf()
    now = utcnow()
    async with ctx.pool.acquire() as conn, conn.transaction():
        before = await store.get_account(conn, ctx.slug, account_id, for_update=True)
        if before is None:
            raise AccountNotFound()
        account = await store.set_status(conn, ctx.slug, account_id, disabled=disabled, now=now)
        assert account is not None
        if account.status != before.status:  # asking twice changes nothing and logs nothing
            if disabled:
                # Its sessions and links end now; the access tokens already issued are
                # refused by every service once AccountDisabled reaches it (identity's own
                # endpoints refuse them at once).
                await store.revoke_sessions(conn, account.id, now=now)
                await store.revoke_all_links(conn, account.id, now=now)
            # Every service refuses the account's access tokens as soon as it hears this.
            await outbox.record(
                conn,
                ctx.event(
                    "identity.AccountDisabled" if disabled else "identity.AccountEnabled",
                    {
                        "account_id": account.id,
                        ("disabled_by" if disabled else "enabled_by"): actor,
                    },
                ),
            )
            await store.audit(
                conn,
                ctx.entry(
                    "account_disabled" if disabled else "account_enabled",
                    account_id=account.id,
                    actor_id=actor,
                    login=account.email,
                    details={"status_before": before.status, "status": account.status},
                ),
            )
    return no_store(json_response(AccountOut(), _account_body(account)))


@routes.post("/tenants/{tenant}/accounts/{account_id}/disable")
@doc(
    "Disable an account (admin): it can no longer log in or refresh its session",
    response=AccountOut,
    tags=["accounts"],
    description=(
        "Ends its sessions and unused links. Logins and refreshes then get the same generic "
        "401 as a wrong password. Idempotent."
    ),
    responses={404: "Account not found", 409: "An admin cannot disable their own account"},
)
async def disable_account(request: web.Request) -> web.Response:
    return await _set_disabled(request, disabled=True)


@routes.post("/tenants/{tenant}/accounts/{account_id}/enable")
@doc(
    "Enable a disabled account again (admin)",
    response=AccountOut,
    tags=["accounts"],
    description="The account gets back its status (active, or still to be activated). Idempotent.",
    responses={404: "Account not found"},
)
async def enable_account(request: web.Request) -> web.Response:
    return await _set_disabled(request, disabled=False)


@routes.get("/tenants/{tenant}/audit")
@doc(
    "Audit log of the municipality (admin): who did what, when, from where",
    query=AuditQuery,
    response=AuditOut,
    tags=["accounts"],
)
async def audit_log(request: web.Request) -> web.Response:
    require_caller(request, roles=("admin",))
    ctx = Context.of(request)
    query = read_query(request, AuditQuery())
    rows, total = await store.audit_entries(
        ctx.pool,
        ctx.slug,
        action=query.get("action"),
        account_id=query.get("account_id"),
        limit=query["limit"],
        offset=query["offset"],
    )
    body = {
        "items": [dict(row) for row in rows],
        "total": total,
        "limit": query["limit"],
        "offset": query["offset"],
    }
    return no_store(json_response(AuditOut(), body))
