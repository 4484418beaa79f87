"""Régies: a tenant's collection offices (name, address, email, legal mentions), each
numbering its own documents."""

from __future__ import annotations

import uuid
from typing import Any

from billing.domain.errors import LogoNotFound, RegieCodeTaken, RegieNotFound
from billing.store import Conn
from billing.store import catalog as catalog_store
from shared.uow import UnitOfWork


async def create_regie(uow: UnitOfWork, tenant: str, data: dict[str, Any]) -> dict[str, Any]:
    async with uow:
        row = await catalog_store.insert_regie(uow.conn, tenant, data)
        if row is None:
            raise RegieCodeTaken()
    return row


async def update_regie(
    uow: UnitOfWork, tenant: str, regie_id: uuid.UUID, data: dict[str, Any]
) -> dict[str, Any]:
    """Issued documents keep the copy they were issued with."""
    async with uow:
        if await catalog_store.lock_regie(uow.conn, tenant, regie_id) is None:
            raise RegieNotFound()
        if await catalog_store.code_taken(uow.conn, tenant, data["code"], regie_id):
            raise RegieCodeTaken()
        row = await catalog_store.update_regie(uow.conn, tenant, regie_id, data)
        assert row is not None
    return row


async def regie(conn: Conn, tenant: str, regie_id: uuid.UUID) -> dict[str, Any]:
    row = await catalog_store.get_regie(conn, tenant, regie_id)
    if row is None:
        raise RegieNotFound()
    return row


async def regies(conn: Conn, tenant: str) -> list[dict[str, Any]]:
    return await catalog_store.list_regies(conn, tenant)


async def set_logo(
    uow: UnitOfWork,
    tenant: str,
    regie_id: uuid.UUID,
    content: bytes | None,
    content_type: str | None,
) -> dict[str, Any]:
    """The logo printed on the régie's documents from now on (None: no logo)."""
    async with uow:
        if not await catalog_store.set_regie_logo(
            uow.conn, tenant, regie_id, content, content_type
        ):
            raise RegieNotFound()
        row = await catalog_store.get_regie(uow.conn, tenant, regie_id)
        assert row is not None
    return row


async def logo(conn: Conn, tenant: str, regie_id: uuid.UUID) -> tuple[bytes, str]:
    row = await catalog_store.regie_logo(conn, tenant, regie_id)
    if row is None:
        raise RegieNotFound()
    if row["logo"] is None:
        raise LogoNotFound()
    return row["logo"], row["logo_type"]
