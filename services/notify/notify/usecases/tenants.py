"""The tenants' mail settings (sender, reply-to, footer contact, colours), kept here because
notify cannot read identity's schema: staff maintain them; defaults stand for what is not
set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from notify import store
from notify.domain.tenants import Tenant
from shared.uow import UnitOfWork


async def mail_settings(
    pool: asyncpg.Pool, tenant: str, *, default_sender: str, default_portal_url: str
) -> Tenant:
    row = await store.tenant_row(pool, tenant)
    return Tenant.build(
        tenant, row, default_sender=default_sender, default_portal_url=default_portal_url
    )


async def set_mail_settings(
    uow: UnitOfWork,
    tenant: str,
    data: Mapping[str, Any],
    *,
    default_sender: str,
    default_portal_url: str,
) -> Tenant:
    async with uow:
        row = await store.upsert_tenant(uow.conn, tenant, dict(data))
    return Tenant.build(
        tenant, row, default_sender=default_sender, default_portal_url=default_portal_url
    )
