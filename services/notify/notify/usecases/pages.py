"""Information pages: staff maintain them, every account of the tenant reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from notify import store
from notify.domain.errors import PageNotFound
from shared.uow import UnitOfWork


async def pages(pool: asyncpg.Pool, tenant: str) -> list[dict[str, Any]]:
    return await store.list_pages(pool, tenant)


async def page(pool: asyncpg.Pool, tenant: str, slug: str) -> dict[str, Any]:
    found = await store.get_page(pool, tenant, slug)
    if found is None:
        raise PageNotFound()
    return found


async def put_page(
    uow: UnitOfWork, tenant: str, slug: str, data: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Create or replace a page; (page, created)."""
    async with uow:
        return await store.put_page(uow.conn, tenant, slug, dict(data))


async def delete_page(uow: UnitOfWork, tenant: str, slug: str) -> None:
    async with uow:
        if not await store.delete_page(uow.conn, tenant, slug):
            raise PageNotFound()
