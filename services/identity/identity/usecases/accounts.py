"""Accounts as staff see them: created (by invitation), listed, read, disabled, enabled;
announced again to services deployed after them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from identity import store
from identity.domain.accounts import Account, check_may_create
from identity.domain.errors import AccountNotFound, CannotDisableSelf
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.invitations import Invitation, invite, temporary_password_hash
from identity.usecases.tenants import require_tenant
from shared.uow import UnitOfWork


async def create_account(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    *,
    creator: uuid.UUID,
    creator_roles: frozenset[str],
    email: str,
    display_name: str,
    roles: list[str],
    mode: str,
    origin: Origin,
) -> Invitation:
    """An account for a family (staff) or a colleague (admin): an invitation link, or a
    temporary password (mode "temporary_password") returned once."""
    check_may_create(creator_roles, roles)
    await require_tenant(pool, slug)
    now = utcnow()
    password, password_hash = await temporary_password_hash(state, mode == "temporary_password")
    async with uow:
        invitation = await invite(
            uow,
            state.settings,
            slug,
            email=email,
            display_name=display_name,
            roles=roles,
            temporary_password=password,
            password_hash=password_hash,
            invited_by=creator,
            now=now,
        )
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "account_created",
                account_id=invitation.account.id,
                actor_id=creator,
                login=email,
                details={"roles": invitation.account.roles, "mode": mode},
            ),
        )
    return invitation


async def list_accounts(
    pool: asyncpg.Pool,
    slug: str,
    *,
    role: str | None,
    email: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Account], int]:
    return await store.list_accounts(
        pool, slug, role=role, email=email, status=status, limit=limit, offset=offset
    )


async def get_account(pool: asyncpg.Pool, slug: str, account_id: uuid.UUID) -> Account:
    account = await store.get_account(pool, slug, account_id)
    if account is None:
        raise AccountNotFound()
    return account


async def set_disabled(
    uow: UnitOfWork,
    slug: str,
    account_id: uuid.UUID,
    *,
    disabled: bool,
    actor: uuid.UUID,
    origin: Origin,
) -> Account:
    """Disable an account (its sessions and unused links end), or enable it again with the
    status it had. Every service refuses its access tokens as soon as it hears
    AccountDisabled. Asking twice changes nothing and logs nothing."""
    if disabled and account_id == actor:
        raise CannotDisableSelf()
    now = utcnow()
    async with uow:
        before = await store.get_account(uow.conn, slug, account_id, for_update=True)
        if before is None:
            raise AccountNotFound()
        account = await store.set_status(uow.conn, slug, account_id, disabled=disabled, now=now)
        assert account is not None
        if account.status == before.status:
            return account
        if disabled:
            # Its sessions and links end now; the access tokens already issued are refused by
            # every service once AccountDisabled reaches it (identity's own endpoints refuse
            # them at once).
            await store.revoke_sessions(uow.conn, account.id, now=now)
            await store.revoke_all_links(uow.conn, account.id, now=now)
        uow.emit(
            "identity.AccountDisabled" if disabled else "identity.AccountEnabled",
            {"account_id": account.id, ("disabled_by" if disabled else "enabled_by"): actor},
        )
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "account_disabled" if disabled else "account_enabled",
                account_id=account.id,
                actor_id=actor,
                login=account.email,
                details={"status_before": before.status, "status": account.status},
            ),
        )
    return account


ANNOUNCE_BATCH = 1000


async def announce_accounts(
    new_uow: Callable[[], UnitOfWork], slug: str | None, *, batch: int = ANNOUNCE_BATCH
) -> int:
    """An AccountAnnounced per account (of `slug`, or all), a thousand per unit of work: a
    service deployed after the accounts existed (notify's address book, every service's
    disabled accounts) learns them as they are now. Consumers are idempotent and keep the
    newest state, so announcing twice is harmless. How many were announced."""
    announced, after = 0, None
    while True:
        async with new_uow() as uow:
            accounts = await store.accounts_after(uow.conn, slug, after, limit=batch)
            for account in accounts:
                uow.emit(
                    "identity.AccountAnnounced",
                    {
                        "account_id": account.id,
                        "email": account.email,
                        "display_name": account.display_name,
                        "roles": list(account.roles),
                        "status": account.status,
                    },
                    tenant=account.tenant,
                )
        if not accounts:
            return announced
        announced += len(accounts)
        after = (accounts[-1].tenant, accounts[-1].id)
