"""A tenant's own booking settings: the school holidays zone its school-time activities
follow."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booking import store
from shared.uow import UnitOfWork


async def school_zone(conn: store.Conn, tenant: str, default: str) -> str:
    row = await store.tenant_settings(conn, tenant)
    return row["school_zone"] if row else default


async def tenant_settings(conn: store.Conn, tenant: str, default_zone: str) -> dict[str, Any]:
    row = await store.tenant_settings(conn, tenant)
    return {
        "tenant": tenant,
        "school_zone": row["school_zone"] if row else default_zone,
        "default": row is None,
    }


async def set_school_zone(
    uow: UnitOfWork, tenant: str, zone: str, actor: uuid.UUID, now: datetime
) -> dict[str, Any]:
    async with uow:
        row = await store.set_tenant_settings(uow.conn, tenant, zone, actor, now)
    return {**row, "default": False}
