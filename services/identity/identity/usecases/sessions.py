"""Sessions: login (throttled against brute force), refresh, logout, and the tokens a
session gets. Also the password an authenticated request must repeat, counted like a login."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from identity import store
from identity.domain import lockout
from identity.domain.accounts import Account, account_payload, terms_status
from identity.domain.errors import (
    AccountNotActivated,
    InvalidCredentials,
    InvalidRefreshToken,
    TooManyAttempts,
    WrongPassword,
)
from identity.domain.secret_tokens import (
    TokenPurpose,
    looks_like_token,
    new_secret_token,
    token_digest,
)
from identity.domain.tenants import Tenant
from identity.domain.tokens import AccessClaims, issue_access_token
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.tenants import require_tenant
from shared.uow import UnitOfWork

# --- tokens -----------------------------------------------------------------------------


def _access_token(state: IdentityState, tenant: Tenant, account: Account, *, now: datetime) -> str:
    settings = state.settings
    claims = AccessClaims(
        account_id=str(account.id),
        tenant=account.tenant,
        roles=tuple(account.roles),  # type: ignore[arg-type]
        household_id=str(account.household_id) if account.household_id else None,
        scope="password-change" if account.must_change_password else "full",
        terms_pending=terms_status(tenant, account)["must_accept"],
        sites=tuple(account.sites) if "animator" in account.roles else (),
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
    tenant: Tenant,
    account: Account,
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
        "access_token": _access_token(state, tenant, account, now=now),
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


# --- password attempts ------------------------------------------------------------------


def failure_keys(account: Account) -> list[str]:
    """Every key failures on this account are counted under: its own (wrong passwords typed
    in a session) and each name it logs in with (its email, the part before the @). A
    password reset or a new password clears them all, lifting a lock."""
    email = account.email.lower()
    return [f"account:{account.id}", f"login:{email}", f"login:{email.split('@', 1)[0]}"]


async def _throttle_decision(
    pool: asyncpg.Pool,
    state: IdentityState,
    tenant: str,
    account_key: str,
    address_key: str,
    *,
    also: Sequence[str] = (),
) -> lockout.ThrottleDecision:
    """May one more password attempt be made now for this account (or typed login, and
    the keys `also` counted like it) and client address?"""
    now = utcnow()
    window = max(state.account_policy.failure_window, state.address_policy.failure_window)
    histories = await store.failure_histories(
        pool, tenant, [account_key, address_key, *also], since=now - window
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
        also=[history(key) for key in also],
    )


async def _record_failure(
    uow: UnitOfWork,
    state: IdentityState,
    tenant: str,
    account: Account | None,
    keys: tuple[str, str],
    login_text: str,
    *,
    now: datetime,
    origin: Origin,
    action: str = "login_failed",
    details: dict[str, Any] | None = None,
) -> None:
    """Count a wrong password on the account and the address (committed: the caller raises
    afterwards); lock and tell the owner once the account reaches the lock threshold."""
    account_key, address_key = keys
    policy = state.account_policy
    async with uow:
        failures = await store.record_failure(
            uow.conn, tenant, account_key, now=now, window=policy.failure_window
        )
        await store.record_failure(
            uow.conn, tenant, address_key, now=now, window=state.address_policy.failure_window
        )
        entries = [
            origin.entry(
                tenant,
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
                uow.conn,
                tenant,
                account_key,
                lock_after=policy.lock_after or failures,
                now=now,
                lock=policy.lock_duration,
            )
        ):
            until = now + policy.lock_duration
            uow.emit(
                "identity.AccountLocked",
                account_payload(account, locked_until=until, failed_attempts=failures),
            )
            entries.append(
                origin.entry(
                    tenant,
                    "account_locked",
                    account_id=account.id,
                    login=login_text,
                    details={"locked_until": until.isoformat(), "failures": failures},
                )
            )
        await store.audit(uow.conn, *entries)


async def check_own_password(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    account: Account,
    password: str,
    *,
    field: str,
    origin: Origin,
) -> None:
    """The password an authenticated request must repeat (change of password or email):
    a wrong one is a failed attempt on the account, like a failed login, so a stolen
    session cannot be used to guess it; throttled or locked, TooManyAttempts.

    `uow` is entered only for a wrong password (to count it), and the caller's use case
    stops there; otherwise it is left to the caller's change."""
    keys = (f"account:{account.id}", f"address:{origin.ip}")
    decision = await _throttle_decision(pool, state, account.tenant, *keys)
    if not decision.allowed:
        raise TooManyAttempts(decision.retry_after_seconds, "saisie du mot de passe")
    assert account.password_hash is not None
    if not await state.hasher.verify(account.password_hash, password):
        await _record_failure(
            uow,
            state,
            account.tenant,
            account,
            keys,
            account.email,
            now=utcnow(),
            origin=origin,
            action="password_check_failed",
            details={"field": field},
        )
        raise WrongPassword(errors=[{"field": field, "detail": WrongPassword.detail}])


# --- login, refresh, logout -------------------------------------------------------------


async def login(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    *,
    login: str,
    password: str,
    origin: Origin,
) -> dict[str, Any]:
    """Tokens for the right password; one answer for an unknown login, a wrong password and
    a locked account (InvalidCredentials), said only after the usual hashing work."""
    tenant = await require_tenant(pool, slug)
    account = await store.find_by_login(pool, slug, login)
    # Failures count per typed login and per address, never per the account a login names:
    # counted per account, an account's second name (the part before the @) answered 429
    # after failures under its email while an unknown one kept answering 401. Now both
    # names of an account answer exactly as two unknown names would, whatever the sequence
    # (each name has its own budget: at most twice LOGIN_LOCK_AFTER guesses per account).
    # The account's own key is read too: only wrong passwords typed in a session of the
    # account (check_own_password) raise it, which no anonymous caller can do.
    login_key = f"login:{login}"
    address_key = f"address:{origin.ip}"
    own = [f"account:{account.id}"] if account else []
    decision = await _throttle_decision(pool, state, slug, login_key, address_key, also=own)
    if not decision.allowed:
        if decision.locked:
            # Locked: the generic answer, after the usual work, even for the right password.
            await state.hasher.dummy_verify(password)
            async with uow:
                await store.audit(
                    uow.conn,
                    origin.entry(
                        slug, "login_refused_locked", account_id=account and account.id, login=login
                    ),
                )
            raise InvalidCredentials()
        raise TooManyAttempts(decision.retry_after_seconds)

    if account is None or account.password_hash is None or account.status == "disabled":
        await state.hasher.dummy_verify(password)
        ok = False
    else:
        ok = await state.hasher.verify(account.password_hash, password)
    now = utcnow()
    if not ok:
        keys = (login_key, address_key)
        await _record_failure(uow, state, slug, account, keys, login, now=now, origin=origin)
        raise InvalidCredentials()
    assert account is not None and account.password_hash is not None
    if account.status == "pending":
        raise AccountNotActivated()
    async with uow:
        await store.clear_failures(uow.conn, slug, [login_key, *own])
        if state.hasher.needs_rehash(account.password_hash):
            # Parameters were raised since this hash was made: upgrade it now we know it.
            new_hash = await state.hasher.hash(password)
            await store.rehash_password(uow.conn, account.id, account.password_hash, new_hash)
        body = await issue_tokens(uow.conn, state, tenant, account, now=now)
        await store.audit(
            uow.conn, origin.entry(slug, "login_succeeded", account_id=account.id, login=login)
        )
    return body


async def refresh(
    uow: UnitOfWork, state: IdentityState, slug: str, value: str, *, origin: Origin
) -> dict[str, Any]:
    """New tokens for a refresh token, which stops working; a used one coming back ends its
    whole session (stolen)."""
    if not looks_like_token(value):
        raise InvalidRefreshToken()
    now = utcnow()
    body: dict[str, Any] | None = None
    async with uow:
        digest = token_digest(TokenPurpose.REFRESH, value)
        token = await store.get_refresh_for_update(uow.conn, digest)
        if token is None or token.tenant != slug or token.revoked_at is not None:
            raise InvalidRefreshToken()
        if token.used_at is not None:
            # A rotated token came back: it was stolen (or the thief already used the new
            # one). End the whole session; the revocation must commit, so no raise here.
            await store.revoke_family(uow.conn, token.family_id, now=now)
            await store.audit(
                uow.conn,
                origin.entry(
                    slug,
                    "refresh_token_reused",
                    account_id=token.account_id,
                    details={"session": str(token.family_id)},
                ),
            )
        elif token.expires_at > now:
            account = await store.get_account(uow.conn, slug, token.account_id)
            tenant = await store.get_tenant(uow.conn, slug)
            if account is None or tenant is None or account.status != "active":
                await store.revoke_family(uow.conn, token.family_id, now=now)
            else:
                await store.mark_refresh_used(uow.conn, digest, now=now)
                body = await issue_tokens(
                    uow.conn, state, tenant, account, now=now, family_id=token.family_id
                )
    if body is None:
        raise InvalidRefreshToken()
    return body


async def logout(uow: UnitOfWork, slug: str, value: str, *, origin: Origin) -> None:
    """End the refresh token's session; an unknown token is no error (logging out twice)."""
    if not looks_like_token(value):
        return
    now = utcnow()
    async with uow:
        token = await store.get_refresh_for_update(
            uow.conn, token_digest(TokenPurpose.REFRESH, value)
        )
        if token is not None and token.tenant == slug and token.revoked_at is None:
            await store.revoke_family(uow.conn, token.family_id, now=now)
            await store.audit(uow.conn, origin.entry(slug, "logout", account_id=token.account_id))
