"""Accounts as staff see them: created (by invitation), listed, read, disabled, enabled;
announced again to services deployed after them."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from identity import store
from identity.domain.accounts import (
    Account,
    account_payload,
    check_may_create,
    check_roles_change,
)
from identity.domain.errors import (
    AccountDisabled,
    AccountNotFound,
    CannotDisableSelf,
    CannotResetOwnPassword,
    TemporaryPasswordNotAllowed,
)
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.invitations import Invitation, invite, temporary_password_hash
from identity.usecases.sessions import failure_keys
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
    sites: list[str] | None = None,
) -> Invitation:
    """An account for a family (staff) or a colleague (admin): an invitation link, or a
    temporary password (mode "temporary_password") returned once. An animator's sites."""
    sites = list(dict.fromkeys(sites or []))
    check_may_create(creator_roles, roles, sites)
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
            sites=sites,
        )
        details = {"roles": invitation.account.roles, "mode": mode}
        if sites:
            details["sites"] = sites
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "account_created",
                account_id=invitation.account.id,
                actor_id=creator,
                login=email,
                details=details,
            ),
        )
    return invitation


async def update_account(
    uow: UnitOfWork,
    slug: str,
    account_id: uuid.UUID,
    *,
    actor: uuid.UUID,
    display_name: str | None,
    roles: list[str] | None,
    sites: list[str] | None,
    origin: Origin,
) -> Account:
    """An admin changes an account's name, roles or sites (the fields given). The next
    tokens (login, refresh) carry them; the other services learn them by AccountAnnounced.
    Leaving the animator role drops the sites; changing nothing logs nothing."""
    now = utcnow()
    async with uow:
        before = await store.get_account(uow.conn, slug, account_id, for_update=True)
        if before is None:
            raise AccountNotFound()
        new_roles = list(dict.fromkeys(roles)) if roles is not None else before.roles
        if sites is not None:
            new_sites = list(dict.fromkeys(sites))
        else:
            new_sites = before.sites if "animator" in new_roles else []
        check_roles_change(actor, before, new_roles, new_sites)
        new_name = display_name if display_name is not None else before.display_name
        if (new_name, new_roles, new_sites) == (before.display_name, before.roles, before.sites):
            return before
        account = await store.update_account(
            uow.conn,
            slug,
            account_id,
            display_name=new_name,
            roles=new_roles,
            sites=new_sites,
            now=now,
        )
        assert account is not None
        uow.emit(
            "identity.AccountAnnounced",
            account_payload(account, roles=list(account.roles), status=account.status),
        )
        changes = {
            name: {"before": old, "after": new}
            for name, old, new in (
                ("display_name", before.display_name, new_name),
                ("roles", before.roles, new_roles),
                ("sites", before.sites, new_sites),
            )
            if old != new
        }
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "account_updated",
                account_id=account.id,
                actor_id=actor,
                login=account.email,
                details=changes,
            ),
        )
    return account


async def give_temporary_password(
    uow: UnitOfWork,
    state: IdentityState,
    slug: str,
    account_id: uuid.UUID,
    *,
    actor: uuid.UUID,
    actor_roles: frozenset[str],
    origin: Origin,
) -> tuple[Account, str]:
    """A new temporary password for an account, handed over in person by staff (a family at
    the counter, a colleague who lost theirs): to change at the next login, the account's
    sessions and links end, and an account still to activate is activated (the staff saw the
    person). Staff give one to family accounts, an admin to any; never to oneself, nor to a
    disabled account. The password is returned once and never logged."""
    if account_id == actor:
        raise CannotResetOwnPassword()
    password, password_hash = await temporary_password_hash(state, True)
    assert password is not None and password_hash is not None
    now = utcnow()
    async with uow:
        account = await store.get_account(uow.conn, slug, account_id, for_update=True)
        if account is None:
            raise AccountNotFound()
        if set(account.roles) - {"family"} and "admin" not in actor_roles:
            raise TemporaryPasswordNotAllowed()
        if account.status == "disabled":
            raise AccountDisabled()
        await store.set_password(
            uow.conn, account.id, password_hash, now=now, must_change=True, activate=True
        )
        await store.revoke_sessions(uow.conn, account.id, now=now)
        await store.revoke_all_links(uow.conn, account.id, now=now)
        await store.clear_failures(uow.conn, slug, failure_keys(account))
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "temporary_password_given",
                account_id=account.id,
                actor_id=actor,
                login=account.email,
                details={"status_before": account.status},
            ),
        )
        updated = await store.get_account(uow.conn, slug, account.id)
        assert updated is not None
    return updated, password


async def list_accounts(
    pool: asyncpg.Pool,
    slug: str,
    *,
    role: str | None,
    email: str | None,
    status: str | None,
    limit: int,
    offset: int,
    search: str | None = None,
) -> tuple[list[Account], int]:
    return await store.list_accounts(
        pool,
        slug,
        role=role,
        email=email,
        status=status,
        search=search,
        limit=limit,
        offset=offset,
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
