"""Sessions: the anonymous one (its CSRF token protects the login form), login (a new id),
the access token refreshed transparently, logout.

Tokens never leave the server: the browser holds only the session's random id. The access
token is refreshed with identity's refresh token when it is about to expire; identity
rotates refresh tokens and refuses a reused one, so the refreshes of one session are
serialised by a lock on its row (across the portal's processes): a request that waited finds
and uses the token the other one obtained.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from shared.logging import get_logger
from web import store
from web.apis import Apis
from web.domain import account, security
from web.domain.problems import FormErrors, form_errors

log = get_logger(__name__)

LOGIN_FIELDS = ("login", "password")


@dataclass(frozen=True)
class Session:
    id: str  # the cookie's value (never stored)
    tenant: str
    csrf_token: str
    created_at: datetime
    expires_at: datetime
    account_id: str | None = None
    email: str | None = None
    access_token: str | None = None
    access_expires: datetime | None = None
    refresh_token: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # what pages keep (remember())
    changed_id: bool = False  # a new id to send in the cookie

    @property
    def id_hash(self) -> bytes:
        return security.id_hash(self.id)

    @property
    def logged_in(self) -> bool:
        return self.refresh_token is not None or self.access_token is not None

    @classmethod
    def of(cls, session_id: str, row: dict[str, Any]) -> Session:
        return cls(
            id=session_id,
            tenant=row["tenant"],
            csrf_token=row["csrf_token"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            account_id=str(row["account_id"]) if row["account_id"] else None,
            email=row["email"],
            access_token=row["access_token"],
            access_expires=row["access_expires"],
            refresh_token=row["refresh_token"],
            data=dict(row.get("data") or {}),
        )


ROLES = "roles"  # the account's roles (identity's /me), in the session's data
STAFF_ROLES = frozenset({"staff", "admin"})


def _roles(session: Session | None) -> set[str]:
    return set(session.data.get(ROLES) or []) if session else set()


def is_staff(session: Session | None) -> bool:
    """A town's agent or administrator (their pages are the back-office's)."""
    return bool(STAFF_ROLES & _roles(session))


def is_admin(session: Session | None) -> bool:
    """The town's administrator: the settings too (an agent does the day's work only)."""
    return "admin" in _roles(session)


def is_animator(session: Session | None) -> bool:
    """A site animator who is not also staff: their sites' attendance and lists only."""
    return "animator" in _roles(session) and not is_staff(session)


async def remember(pool: asyncpg.Pool, session: Session, **values: Any) -> None:
    """Keeps small values in the session for the next requests (None forgets a key)."""
    kept = await store.remember(pool, session.id_hash, values)
    session.data.clear()
    session.data.update(kept)


async def load(
    pool: asyncpg.Pool,
    cookie: str | None,
    *,
    tenant: str,
    now: datetime,
    lifetime: security.Lifetime,
) -> Session | None:
    """The browser's session if it is alive (and of this portal's town); its idle expiry
    moves on."""
    if not security.well_formed(cookie):
        return None
    assert cookie is not None
    row = await store.session(pool, security.id_hash(cookie), now)
    if row is None or row["tenant"] != tenant:
        return None
    expires = lifetime.expires(row["created_at"], now)
    # Written at most once a minute per session (a page's several requests do not each).
    if expires - row["expires_at"] > timedelta(minutes=1):
        await store.touch(pool, row["id_hash"], now, expires)
        row = {**row, "expires_at": expires}
    return Session.of(cookie, row)


async def start(
    pool: asyncpg.Pool, *, tenant: str, now: datetime, lifetime: security.Lifetime
) -> Session:
    """A new anonymous session (before login): an id and a CSRF token."""
    session = Session(
        id=security.new_session_id(),
        tenant=tenant,
        csrf_token=security.new_csrf_token(),
        created_at=now,
        expires_at=lifetime.expires(now, now),
        changed_id=True,
    )
    await store.insert_session(
        pool,
        id_hash=session.id_hash,
        tenant=tenant,
        csrf_token=session.csrf_token,
        now=now,
        expires_at=session.expires_at,
    )
    return session


@dataclass(frozen=True)
class LoginResult:
    session: Session | None = None
    errors: FormErrors = field(default_factory=FormErrors)
    not_activated: bool = False  # the password was right: a new activation link may help


def _expiry(now: datetime, seconds: Any) -> datetime | None:
    return now + timedelta(seconds=int(seconds)) if seconds else None


async def login(
    pool: asyncpg.Pool,
    apis: Apis,
    session: Session,
    *,
    login: str,
    password: str,
    now: datetime,
    lifetime: security.Lifetime,
    forwarded_for: str | None = None,
    request_id: str | None = None,
) -> LoginResult:
    """identity's login; on success the session gets the tokens and a new id and CSRF token."""
    missing = {}
    if not login.strip():
        missing["login"] = "Saisissez votre adresse e-mail ou votre identifiant."
    if not password:
        missing["password"] = "Saisissez votre mot de passe."
    if missing:
        return LoginResult(errors=FormErrors(missing))
    answer = await apis.call(
        "identity",
        "POST",
        f"/tenants/{session.tenant}/login",
        json={"login": login.strip(), "password": password},
        request_id=request_id,
        forwarded_for=forwarded_for,
    )
    if not answer.ok:
        return LoginResult(
            errors=form_errors(answer.problem, LOGIN_FIELDS), not_activated=answer.status == 403
        )
    renewed = await logged_in(
        pool, apis, session, answer.body, now=now, lifetime=lifetime, login=login.strip()
    )
    return LoginResult(session=renewed)


async def logged_in(
    pool: asyncpg.Pool,
    apis: Apis,
    session: Session,
    tokens: dict[str, Any],
    *,
    now: datetime,
    lifetime: security.Lifetime,
    login: str = "",
) -> Session:
    """The session holds identity's `tokens` (a login, an accepted invitation) under a new id
    and CSRF token. A step left pending (a temporary password to change: its token has no
    refresh token and can only change the password; new terms to accept) is remembered:
    every page leads to it until it is done."""
    step = account.pending_step(tokens)
    profile: dict[str, Any] = {}
    if step != account.PASSWORD_STEP:  # a password-change token may read nothing else
        found = await apis.call(
            "identity", "GET", f"/tenants/{session.tenant}/me", token=tokens["access_token"]
        )
        profile = (found.body or {}) if found.ok else {}
    account_id = profile.get("account_id")
    renewed = replace(
        session,
        id=security.new_session_id(),
        csrf_token=security.new_csrf_token(),
        created_at=now,
        expires_at=lifetime.expires(now, now),
        account_id=str(account_id) if account_id else None,
        email=profile.get("email") or (login.lower() if "@" in login else None),
        access_token=tokens["access_token"],
        access_expires=_expiry(now, tokens.get("expires_in")),
        refresh_token=tokens.get("refresh_token") or None,
        changed_id=True,
    )
    async with pool.acquire() as conn, conn.transaction():
        await store.rotate(
            conn,
            session.id_hash,
            new_hash=renewed.id_hash,
            csrf_token=renewed.csrf_token,
            created_at=now,
            expires_at=renewed.expires_at,
        )
        await store.set_tokens(
            conn,
            renewed.id_hash,
            account_id=renewed.account_id,
            email=renewed.email,
            access_token=renewed.access_token,
            access_expires=renewed.access_expires,
            refresh_token=renewed.refresh_token,
        )
    # The roles say which portal the person sees: the family's pages or the staff's.
    await remember(pool, renewed, **{account.PENDING: step, ROLES: profile.get("roles") or None})
    log.info("portal_login", account_id=renewed.account_id, pending_step=step)
    return renewed


async def new_tokens(
    pool: asyncpg.Pool, apis: Apis, session: Session, tokens: dict[str, Any], *, now: datetime
) -> str | None:
    """identity gave the logged-in session new tokens (password changed, terms accepted):
    they replace the old ones (a refresh token is kept when none came); returns the step
    still pending, if any."""
    refresh = tokens.get("refresh_token") or session.refresh_token
    step = account.pending_step({**tokens, "refresh_token": refresh})
    account_id, email = session.account_id, session.email
    if account_id is None and step != account.PASSWORD_STEP:
        # Logged in with a temporary password, whose token could not read the account.
        found = await apis.call(
            "identity", "GET", f"/tenants/{session.tenant}/me", token=tokens["access_token"]
        )
        profile = (found.body or {}) if found.ok else {}
        account_id = str(profile["account_id"]) if profile.get("account_id") else None
        email = profile.get("email") or email
        if profile.get("roles"):
            await remember(pool, session, **{ROLES: profile["roles"]})
    async with pool.acquire() as conn:
        await store.set_tokens(
            conn,
            session.id_hash,
            account_id=account_id,
            email=email,
            access_token=tokens["access_token"],
            access_expires=_expiry(now, tokens.get("expires_in")),
            refresh_token=refresh,
        )
    await remember(pool, session, **{account.PENDING: step})
    log.info("portal_tokens_renewed", account_id=session.account_id, pending_step=step)
    return step


async def access_token(
    pool: asyncpg.Pool,
    apis: Apis,
    session: Session,
    *,
    now: datetime,
    force: bool = False,
    forwarded_for: str | None = None,
) -> str | None:
    """A valid access token for the session, refreshed when about to expire (or `force`,
    after a service refused it); None when the session can no longer get one (logged out,
    refresh token expired or revoked: its tokens are then forgotten)."""
    if not session.logged_in:
        return None
    if not force and security.access_token_fresh(session.access_expires, now):
        return session.access_token
    # The session's row locked while identity answers: a request of another process (or
    # of this one) refreshing the same session waits, then finds the new token.
    async with pool.acquire() as conn, conn.transaction():
        row = await store.session_for_update(conn, session.id_hash, now)
        if row is None or row["refresh_token"] is None:
            return None
        if row["access_token"] != session.access_token and security.access_token_fresh(
            row["access_expires"], now, margin=0
        ):
            return row["access_token"]  # another request refreshed it meanwhile
        answer = await apis.call(
            "identity",
            "POST",
            f"/tenants/{session.tenant}/token/refresh",
            json={"refresh_token": row["refresh_token"]},
            forwarded_for=forwarded_for,
        )
        if not answer.ok:
            log.info("portal_refresh_refused", status=answer.status)
            await store.set_tokens(
                conn,
                session.id_hash,
                account_id=None,
                email=None,
                access_token=None,
                access_expires=None,
                refresh_token=None,
            )
            return None
        tokens = answer.body
        await store.set_tokens(
            conn,
            session.id_hash,
            account_id=session.account_id,
            email=row["email"],
            access_token=tokens["access_token"],
            access_expires=_expiry(now, tokens.get("expires_in")),
            refresh_token=tokens.get("refresh_token") or row["refresh_token"],
        )
        return tokens["access_token"]


async def logout(
    pool: asyncpg.Pool, apis: Apis, session: Session, *, forwarded_for: str | None = None
) -> None:
    """identity ends the refresh token's session; ours is deleted."""
    row = await store.session(pool, session.id_hash, session.created_at)
    refresh = row["refresh_token"] if row else session.refresh_token
    if refresh:
        await apis.call(
            "identity",
            "POST",
            f"/tenants/{session.tenant}/logout",
            json={"refresh_token": refresh},
            forwarded_for=forwarded_for,
        )
    await store.delete_session(pool, session.id_hash)
    log.info("portal_logout", account_id=session.account_id)


async def sweep(pool: asyncpg.Pool, now: datetime) -> int:
    return await store.delete_expired(pool, now)
