"""A municipality: created with its first admin (command line), read, its settings changed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from identity import store
from identity.domain.accounts import FIRST_ADMIN_ROLES
from identity.domain.errors import TenantExists, TenantNotFound
from identity.domain.tenants import Tenant, check_settings_change
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.invitations import Invitation, invite, temporary_password_hash
from shared.uow import UnitOfWork


async def require_tenant(conn: asyncpg.Connection | asyncpg.Pool, slug: str) -> Tenant:
    tenant = await store.get_tenant(conn, slug)
    if tenant is None:
        raise TenantNotFound()
    return tenant


async def change_settings(
    uow: UnitOfWork, slug: str, changes: dict[str, Any], *, actor: uuid.UUID, origin: Origin
) -> Tenant:
    async with uow:
        tenant = await store.get_tenant(uow.conn, slug, for_update=True)
        if tenant is None:
            raise TenantNotFound()
        check_settings_change(tenant, changes)
        updated = await store.update_tenant(uow.conn, slug, changes)
        assert updated is not None
        if updated.features() != tenant.features():
            # family, booking and billing keep the whole set, the latest winning.
            uow.emit(
                "identity.TenantFeaturesChanged",
                {**updated.features(), "changed_by": actor},
                tenant=slug,
            )
        await store.audit(
            uow.conn,
            origin.entry(
                slug, "tenant_settings_changed", actor_id=actor, details={"fields": sorted(changes)}
            ),
        )
    return updated


async def announce_features(new_uow: Callable[[], UnitOfWork], slug: str | None) -> int:
    """A TenantFeaturesChanged per municipality (of `slug`, or all), as its switches are now:
    a service deployed after a town turned a feature off learns it (consumers keep the
    latest, so announcing twice is harmless). How many were announced."""
    async with new_uow() as uow:
        found = await store.tenants(uow.conn, slug)
        for tenant in found:
            uow.emit(
                "identity.TenantFeaturesChanged",
                {**tenant.features(), "changed_by": None},
                tenant=tenant.slug,
            )
    return len(found)


@dataclass(frozen=True)
class CreatedTenant:
    tenant: Tenant
    admin: Invitation


async def create_tenant(
    uow: UnitOfWork,
    state: IdentityState,
    tenant: Tenant,
    *,
    admin_email: str,
    admin_name: str,
    temporary_password: bool,
    origin: Origin,
) -> CreatedTenant:
    """A new municipality and its first admin, invited like any staff account (a link, or a
    temporary password to change at first login). No person created it: the admin account
    invites itself."""
    now = utcnow()
    password, password_hash = await temporary_password_hash(state, temporary_password)
    async with uow:
        if not await store.insert_tenant(uow.conn, tenant):
            raise TenantExists(tenant.slug)
        admin = await invite(
            uow,
            state.settings,
            tenant.slug,
            email=admin_email,
            display_name=admin_name,
            roles=FIRST_ADMIN_ROLES,
            temporary_password=password,
            password_hash=password_hash,
            invited_by=None,
            now=now,
        )
        await store.audit(
            uow.conn,
            origin.entry(
                tenant.slug, "tenant_created", account_id=admin.account.id, login=admin_email
            ),
        )
    return CreatedTenant(tenant, admin)
