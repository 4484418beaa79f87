"""My account: read it, accept the terms of use, change my email address."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from identity import store
from identity.domain.accounts import Account, account_payload
from identity.domain.errors import (
    AccountNotFound,
    EmailTaken,
    InvalidLink,
    SameEmail,
    TermsVersionMismatch,
)
from identity.domain.tenants import Tenant
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.links import new_link, open_link
from identity.usecases.sessions import check_own_password, issue_tokens
from identity.usecases.tenants import require_tenant
from shared.uow import UnitOfWork


async def own_account(pool: asyncpg.Pool, slug: str, account_id: uuid.UUID) -> Account:
    """The caller's own account, while it is active."""
    account = await store.get_account(pool, slug, account_id)
    if account is None or account.status != "active":
        raise AccountNotFound()
    return account


@dataclass(frozen=True)
class Profile:
    tenant: Tenant
    account: Account


async def my_profile(pool: asyncpg.Pool, slug: str, account_id: uuid.UUID) -> Profile:
    tenant = await require_tenant(pool, slug)
    return Profile(tenant, await own_account(pool, slug, account_id))


async def accept_terms(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    account_id: uuid.UUID,
    version: int,
    *,
    origin: Origin,
) -> dict[str, Any]:
    """Accept the current terms of use: a fresh access token without terms_pending (the
    refresh token in hand stays valid and its next tokens are fresh too)."""
    tenant = await require_tenant(pool, slug)
    account = await own_account(pool, slug, account_id)
    if tenant.terms_version is None or version != tenant.terms_version:
        raise TermsVersionMismatch(current_version=tenant.terms_version)
    now = utcnow()
    async with uow:
        await store.accept_terms(uow.conn, account.id, version, now=now)
        await store.audit(
            uow.conn,
            origin.entry(
                slug, "terms_accepted", account_id=account.id, details={"version": version}
            ),
        )
        account = await store.get_account(uow.conn, slug, account.id)
        assert account is not None
        return await issue_tokens(uow.conn, state, tenant, account, now=now, with_refresh=False)


async def change_email(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    account_id: uuid.UUID,
    *,
    new_email: str,
    password: str,
    origin: Origin,
) -> None:
    """A confirmation link goes to the new address (EmailChangeRequested); nothing changes
    until it is opened. A wrong password counts as a failed login on the account."""
    account = await own_account(pool, slug, account_id)
    await check_own_password(uow, pool, state, account, password, field="password", origin=origin)
    if new_email == account.email:
        raise SameEmail()
    now = utcnow()
    async with uow:
        # A taken address is only refused when the link is used: the answer here does not
        # tell whether someone else has an account with it.
        url, expires_at = await new_link(
            uow.conn, state.settings, account, "email-change", now=now, new_email=new_email
        )
        uow.emit(
            "identity.EmailChangeRequested",
            account_payload(
                account, new_email=new_email, confirmation_url=url, expires_at=expires_at
            ),
        )
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "email_change_requested",
                account_id=account.id,
                details={"new_email": new_email},
            ),
        )


async def confirm_email(uow: UnitOfWork, slug: str, token: str, *, origin: Origin) -> str:
    """Use the link sent to the new address: it becomes the account's (EmailChanged); the
    new address."""
    now = utcnow()
    async with uow:
        digest, link = await open_link(
            uow.conn, slug, "email-change", token, now=now, for_update=True
        )
        account = await store.get_account(uow.conn, slug, link.account_id, for_update=True)
        if account is None or link.new_email is None:
            raise InvalidLink()
        if not await store.set_email(uow.conn, account.id, link.new_email, now=now):
            raise EmailTaken()
        await store.use_link(uow.conn, digest, now=now)
        uow.emit(
            "identity.EmailChanged",
            {
                "account_id": account.id,
                "email": link.new_email,
                "display_name": account.display_name,
                "old_email": account.email,
            },
        )
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "email_changed",
                account_id=account.id,
                details={"old_email": account.email, "new_email": link.new_email},
            ),
        )
    return link.new_email
