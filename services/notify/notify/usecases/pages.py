"""Information pages: staff maintain them, every account of the tenant reads them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from notify import store
from notify.domain.errors import PageNotFound
from notify.usecases import town_documents
from shared.uow import UnitOfWork


async def pages(pool: asyncpg.Pool, tenant: str) -> list[dict[str, Any]]:
    return await store.list_pages(pool, tenant)


async def page(pool: asyncpg.Pool, tenant: str, slug: str, *, timezone: str) -> dict[str, Any]:
    """A page with the town documents shown on it, those in force today."""
    found = await store.get_page(pool, tenant, slug)
    if found is None:
        raise PageNotFound()
    shown = await town_documents.documents(
        pool, tenant, every=False, timezone=timezone, page_slug=slug
    )
    return {**found, "documents": shown}


async def put_page(
    uow: UnitOfWork, tenant: str, slug: str, data: Mapping[str, Any]
) -> tuple[dict[str, Any], bool]:
    """Create or replace a page; (page, created)."""
    async with uow:
        return await store.put_page(uow.conn, tenant, slug, dict(data))


async def delete_page(uow: UnitOfWork, tenant: str, slug: str) -> None:
    """The page, and the town documents' links to it (a new page at its address starts bare)."""
    async with uow:
        if not await store.delete_page(uow.conn, tenant, slug):
            raise PageNotFound()
        await store.forget_page_links(uow.conn, tenant, slug)
