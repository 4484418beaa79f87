"""Town documents [000][002]: staff publish them (rules, forms, tariffs…) and show them on
activities and information pages; families read those published and in force today."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import asyncpg

from notify import store
from notify.domain import town_documents as rules
from notify.domain.errors import TownDocumentNotFound, UnknownPages
from notify.usecases.activities import check_activities
from shared.uow import UnitOfWork

if TYPE_CHECKING:  # a file read from a request: its name, type, content and hash
    from shared.http.uploads import Upload


def today(timezone: str) -> date:
    """The tenant's calendar day (validity dates are Europe/Paris days)."""
    return datetime.now(UTC).astimezone(ZoneInfo(timezone)).date()


def _with_state(document: dict[str, Any], day: date) -> dict[str, Any]:
    return {**document, "state": rules.state(document, day)}


async def _links(
    uow: UnitOfWork, tenant: str, document_id: uuid.UUID, data: Mapping[str, Any]
) -> None:
    await check_activities(uow.conn, tenant, data.get("activity_ids") or [], "activity_ids")
    slugs = data.get("page_slugs")
    if slugs and (missing := await store.missing_pages(uow.conn, tenant, list(slugs))):
        raise UnknownPages(missing)
    await store.set_town_document_links(
        uow.conn,
        tenant,
        document_id,
        activity_ids=data.get("activity_ids"),
        page_slugs=slugs,
    )


async def _current(
    uow: UnitOfWork, tenant: str, document_id: uuid.UUID, day: date
) -> dict[str, Any]:
    found = await store.get_town_document(uow.conn, tenant, document_id)
    if found is None:
        raise TownDocumentNotFound()
    return _with_state(found, day)


# --- staff --------------------------------------------------------------------------------
async def publish_document(
    uow: UnitOfWork,
    tenant: str,
    data: Mapping[str, Any],
    upload: Upload,
    *,
    created_by: uuid.UUID | None,
    timezone: str,
) -> dict[str, Any]:
    """A document with its file and its links, in one transaction."""
    rules.check_validity(data["valid_from"], data["valid_until"])
    async with uow:
        document_id = await store.create_town_document(
            uow.conn,
            tenant,
            dict(data),
            filename=upload.filename,
            content_type=upload.content_type,
            content=upload.content,
            sha256=upload.sha256,
            created_by=created_by,
        )
        await _links(uow, tenant, document_id, data)
        return await _current(uow, tenant, document_id, today(timezone))


async def change_document(
    uow: UnitOfWork,
    tenant: str,
    document_id: uuid.UUID,
    data: Mapping[str, Any],
    *,
    timezone: str,
) -> dict[str, Any]:
    """Only the fields given; a new validity bound is checked against the other one."""
    async with uow:
        current = await store.lock_town_document(uow.conn, tenant, document_id)
        if current is None:
            raise TownDocumentNotFound()
        rules.check_validity(
            data.get("valid_from", current["valid_from"]),
            data.get("valid_until", current["valid_until"]),
        )
        await store.update_town_document(uow.conn, tenant, document_id, dict(data))
        await _links(uow, tenant, document_id, data)
        return await _current(uow, tenant, document_id, today(timezone))


async def replace_file(
    uow: UnitOfWork, tenant: str, document_id: uuid.UUID, upload: Upload, *, timezone: str
) -> dict[str, Any]:
    """A new version of the document's file; its id, links and validity stay."""
    async with uow:
        replaced = await store.replace_town_document_file(
            uow.conn,
            tenant,
            document_id,
            filename=upload.filename,
            content_type=upload.content_type,
            content=upload.content,
            sha256=upload.sha256,
        )
        if not replaced:
            raise TownDocumentNotFound()
        return await _current(uow, tenant, document_id, today(timezone))


async def delete_document(uow: UnitOfWork, tenant: str, document_id: uuid.UUID) -> None:
    async with uow:
        if not await store.delete_town_document(uow.conn, tenant, document_id):
            raise TownDocumentNotFound()


async def document(
    pool: asyncpg.Pool, tenant: str, document_id: uuid.UUID, *, timezone: str
) -> dict[str, Any]:
    """One document whatever its state (staff)."""
    found = await store.get_town_document(pool, tenant, document_id)
    if found is None:
        raise TownDocumentNotFound()
    return _with_state(found, today(timezone))


# --- everyone of the tenant ----------------------------------------------------------------
async def documents(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    every: bool,
    timezone: str,
    activity_id: uuid.UUID | None = None,
    page_slug: str | None = None,
) -> list[dict[str, Any]]:
    """Those published and in force today (what families see); `every`: all of them."""
    day = today(timezone)
    found = await store.list_town_documents(
        pool,
        tenant,
        in_force_on=None if every else day,
        activity_id=activity_id,
        page_slug=page_slug,
    )
    return [_with_state(item, day) for item in found]


async def document_file(
    pool: asyncpg.Pool, tenant: str, document_id: uuid.UUID, *, every: bool, timezone: str
) -> dict[str, Any]:
    """A document's file; unless `every` (staff), only one published and in force today."""
    row = await store.town_document_file(
        pool, tenant, document_id, in_force_on=None if every else today(timezone)
    )
    if row is None:
        raise TownDocumentNotFound()
    return row
