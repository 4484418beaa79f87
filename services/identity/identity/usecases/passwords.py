"""Passwords: changed (knowing the current one), forgotten (a reset link), chosen with a
link (reset, or an invitation accepted)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from identity import store
from identity.domain.accounts import Account, account_payload, check_new_password
from identity.domain.errors import InvalidLink
from identity.domain.tenants import Tenant
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.links import link_request, new_link, open_link
from identity.usecases.profile import own_account
from identity.usecases.sessions import check_own_password, failure_keys, issue_tokens
from identity.usecases.tenants import require_tenant
from shared.uow import UnitOfWork


async def change_password(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    account_id: uuid.UUID,
    *,
    current_password: str,
    new_password: str,
    origin: Origin,
) -> dict[str, Any]:
    """Ends the account's other sessions; new tokens (the only call a temporary-password
    token may make). A wrong current password counts as a failed login on the account."""
    tenant = await require_tenant(pool, slug)
    account = await own_account(pool, slug, account_id)
    await check_own_password(
        uow, pool, state, account, current_password, field="current_password", origin=origin
    )
    check_new_password(
        tenant,
        new_password,
        email=account.email,
        names=[account.display_name],
        field="new_password",
    )
    password_hash = await state.hasher.hash(new_password)
    now = utcnow()
    async with uow:
        await store.set_password(uow.conn, account.id, password_hash, now=now)
        await store.revoke_sessions(uow.conn, account.id, now=now)
        await store.clear_failures(uow.conn, slug, failure_keys(account))
        uow.emit(
            "identity.PasswordChanged", account_payload(account, reason="change", changed_at=now)
        )
        await store.audit(uow.conn, origin.entry(slug, "password_changed", account_id=account.id))
        account = await store.get_account(uow.conn, slug, account.id)
        assert account is not None
        return await issue_tokens(uow.conn, state, tenant, account, now=now)


async def forgot_password(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    login: str,
    *,
    origin: Origin,
) -> None:
    """A reset link (PasswordResetRequested) when the login (an email, or the identifier
    login accepts: the part before the @ when one account has it) names an account that may
    reset; the same answer, the same work and about the same time otherwise."""
    await require_tenant(pool, slug)

    async def send(uow: UnitOfWork, account: Account, now: datetime) -> None:
        url, expires_at = await new_link(
            uow.conn, state.settings, account, "password-reset", now=now
        )
        uow.emit(
            "identity.PasswordResetRequested",
            account_payload(account, reset_url=url, expires_at=expires_at),
        )

    await link_request(
        uow,
        state.settings,
        slug,
        login,
        "password-reset",
        # A locked account may still reset (that lifts the lock); a disabled one may not.
        eligible=lambda account: account.status != "disabled",
        send=send,
        sent_action="password_reset_requested",
        origin=origin,
        by_login=True,
    )


async def _password_for_link(
    pool: asyncpg.Pool,
    state: IdentityState,
    tenant: Tenant,
    purpose: str,
    token: str,
    password: str,
    field: str,
    now: datetime,
) -> tuple[Account, str]:
    """The link's account and the new password's hash, checked against the policy.

    Hashing happens before the unit of work: argon2 must not hold a connection."""
    _, link = await open_link(pool, tenant.slug, purpose, token, now=now, for_update=False)
    account = await store.get_account(pool, tenant.slug, link.account_id)
    if account is None:
        raise InvalidLink()
    check_new_password(
        tenant, password, email=account.email, names=[account.display_name], field=field
    )
    return account, await state.hasher.hash(password)


async def _use_link_for_password(
    uow: UnitOfWork, purpose: str, token: str, account: Account, password_hash: str, now: datetime
) -> None:
    """In the open unit of work: spend the link (checked again, locked) and set the
    password. The link proves the address: a pending or invited account becomes usable too."""
    digest, _ = await open_link(uow.conn, account.tenant, purpose, token, now=now, for_update=True)
    await store.use_link(uow.conn, digest, now=now)
    await store.set_password(uow.conn, account.id, password_hash, now=now, activate=True)


async def reset_password(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    *,
    token: str,
    new_password: str,
    origin: Origin,
) -> None:
    """A new password with a reset link: every session ends, a lock is lifted."""
    tenant = await require_tenant(pool, slug)
    now = utcnow()
    account, password_hash = await _password_for_link(
        pool, state, tenant, "password-reset", token, new_password, "new_password", now
    )
    async with uow:
        await _use_link_for_password(uow, "password-reset", token, account, password_hash, now)
        await store.revoke_sessions(uow.conn, account.id, now=now)
        await store.clear_failures(uow.conn, slug, failure_keys(account))
        uow.emit(
            "identity.PasswordChanged", account_payload(account, reason="reset", changed_at=now)
        )
        await store.audit(uow.conn, origin.entry(slug, "password_reset", account_id=account.id))


async def accept_invitation(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    *,
    token: str,
    password: str,
    origin: Origin,
) -> dict[str, Any]:
    """A password chosen with an invitation link: the account is active (AccountActivated)
    and logged in."""
    tenant = await require_tenant(pool, slug)
    now = utcnow()
    account, password_hash = await _password_for_link(
        pool, state, tenant, "invitation", token, password, "password", now
    )
    async with uow:
        await _use_link_for_password(uow, "invitation", token, account, password_hash, now)
        activated = await store.get_account(uow.conn, slug, account.id)
        assert activated is not None
        uow.emit("identity.AccountActivated", account_payload(activated, roles=activated.roles))
        await store.audit(
            uow.conn, origin.entry(slug, "invitation_accepted", account_id=activated.id)
        )
        return await issue_tokens(uow.conn, state, tenant, activated, now=now)
