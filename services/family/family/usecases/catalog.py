"""The tenant's lists: document types and request topics, seeded with the defaults on first
use; staff add entries and rename them (a code never changes: what refers to it stays)."""

from __future__ import annotations

from typing import Any

import asyncpg

from family import store
from family.domain import catalog
from family.domain.errors import CatalogEntryExists, CatalogEntryNotFound
from shared.uow import UnitOfWork

DOCUMENT_TYPES = "document_types"
REQUEST_TOPICS = "request_topics"


async def entries(pool: asyncpg.Pool, tenant: str, table: str) -> list[dict[str, Any]]:
    """The list (`DOCUMENT_TYPES` or `REQUEST_TOPICS`), the defaults the first time."""
    return await store.catalog(pool, table, tenant, catalog.DEFAULTS[table])


async def add_entry(
    uow: UnitOfWork, tenant: str, table: str, label: str, code: str | None
) -> list[dict[str, Any]]:
    """Add an entry (its code derived from the label unless given); returns the list."""
    code = code or catalog.slug(label)
    async with uow:
        await store.catalog(uow.conn, table, tenant, catalog.DEFAULTS[table])  # seed first
        if not await store.add_catalog_entry(uow.conn, table, tenant, code, label):
            raise CatalogEntryExists(
                errors=[{"field": "code", "detail": CatalogEntryExists.detail}]
            )
        return await store.catalog(uow.conn, table, tenant, ())


async def rename_entry(
    uow: UnitOfWork, tenant: str, table: str, code: str, label: str
) -> list[dict[str, Any]]:
    """Change an entry's label; returns the list."""
    async with uow:
        await store.catalog(uow.conn, table, tenant, catalog.DEFAULTS[table])  # seed first
        if not await store.rename_catalog_entry(uow.conn, table, tenant, code, label):
            raise CatalogEntryNotFound()
        return await store.catalog(uow.conn, table, tenant, ())
