"""News: staff publish them (with attachments) for a window of time, optionally for the
families of one activity; families read those visible to their household."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from notify import store
from notify.domain import calendar
from notify.domain.errors import AttachmentNotFound, NewsNotFound, TooManyAttachments
from notify.domain.paging import page
from notify.usecases.activities import check_activities
from shared.uow import UnitOfWork

if TYPE_CHECKING:  # files read from a request: only their name, type, content and hash
    from shared.http.uploads import Upload


async def _store_uploads(
    uow: UnitOfWork, tenant: str, news_id: uuid.UUID, uploads: Sequence[Upload]
) -> list[dict[str, Any]]:
    return [
        await store.add_attachment(
            uow.conn,
            tenant,
            news_id,
            filename=u.filename,
            content_type=u.content_type,
            content=u.content,
            sha256=u.sha256,
        )
        for u in uploads
    ]


async def _current(uow: UnitOfWork, tenant: str, news_id: uuid.UUID) -> dict[str, Any]:
    news = await store.get_news(uow.conn, tenant, news_id)
    if news is None:
        raise NewsNotFound()
    return news


# --- staff --------------------------------------------------------------------------------
async def publish_news(
    uow: UnitOfWork,
    tenant: str,
    data: Mapping[str, Any],
    uploads: Sequence[Upload],
    *,
    created_by: uuid.UUID | None,
    timezone: str,
) -> dict[str, Any]:
    """A news with its attachments; its window from the dates given (`timezone`'s days)."""
    start, until = calendar.window(
        data["publish_from"], data["publish_until"], timezone, datetime.now(UTC)
    )
    async with uow:
        await check_activities(uow.conn, tenant, [data["activity_id"]], "activity_id")
        news_id = await store.create_news(
            uow.conn,
            tenant,
            title=data["title"],
            body=data["body"],
            publish_from=start,
            publish_until=until,
            activity_id=data["activity_id"],
            created_by=created_by,
        )
        await _store_uploads(uow, tenant, news_id, uploads)
        return await _current(uow, tenant, news_id)


async def change_news(
    uow: UnitOfWork, tenant: str, news_id: uuid.UUID, data: Mapping[str, Any], *, timezone: str
) -> dict[str, Any]:
    """Only the fields given; a new boundary of the window is checked against the other."""
    async with uow:
        await store.lock_news(uow.conn, tenant, news_id)
        current = await _current(uow, tenant, news_id)
        await check_activities(uow.conn, tenant, [data.get("activity_id")], "activity_id")
        changes = dict(data)
        if "publish_from" in data or "publish_until" in data:
            changes["publish_from"], changes["publish_until"] = calendar.changed_window(
                current["publish_from"],
                current["publish_until"],
                data,
                timezone,
                datetime.now(UTC),
            )
        await store.update_news(uow.conn, tenant, news_id, changes)
        return await _current(uow, tenant, news_id)


async def set_unpublished(
    uow: UnitOfWork, tenant: str, news_id: uuid.UUID, unpublished: bool
) -> dict[str, Any]:
    """Withdraw a news (families no longer see it) or publish it again."""
    async with uow:
        if not await store.set_unpublished(uow.conn, tenant, news_id, unpublished):
            raise NewsNotFound()
        return await _current(uow, tenant, news_id)


async def delete_news(uow: UnitOfWork, tenant: str, news_id: uuid.UUID) -> None:
    async with uow:
        if not await store.delete_news(uow.conn, tenant, news_id):
            raise NewsNotFound()


async def add_attachments(
    uow: UnitOfWork,
    tenant: str,
    news_id: uuid.UUID,
    uploads: Sequence[Upload],
    *,
    max_attachments: int,
) -> list[dict[str, Any]]:
    async with uow:
        count = await store.lock_news(uow.conn, tenant, news_id)
        if count is None:
            raise NewsNotFound()
        if count + len(uploads) > max_attachments:
            raise TooManyAttachments(limit=max_attachments, count=count, field=uploads[0].field)
        return await _store_uploads(uow, tenant, news_id, uploads)


async def delete_attachment(
    uow: UnitOfWork, tenant: str, news_id: uuid.UUID, attachment_id: uuid.UUID
) -> None:
    async with uow:
        if not await store.delete_attachment(uow.conn, tenant, news_id, attachment_id):
            raise AttachmentNotFound()


async def news_page(
    pool: asyncpg.Pool, tenant: str, *, state: str | None, limit: int, offset: int
) -> dict[str, Any]:
    items = await store.list_news(pool, tenant, state=state, limit=limit, offset=offset)
    return page(items, limit=limit, offset=offset)


async def news_item(pool: asyncpg.Pool, tenant: str, news_id: uuid.UUID) -> dict[str, Any]:
    news = await store.get_news(pool, tenant, news_id)
    if news is None:
        raise NewsNotFound()
    return news


async def attachment(
    pool: asyncpg.Pool, tenant: str, news_id: uuid.UUID, attachment_id: uuid.UUID
) -> dict[str, Any]:
    """An attachment with its content, whatever its news' state (staff)."""
    row = await store.attachment(pool, tenant, news_id, attachment_id)
    if row is None:
        raise AttachmentNotFound()
    return row


# --- families -----------------------------------------------------------------------------
# What a family sees: published, inside its window, and untargeted or targeted to an activity
# one of the household's children attends; anything else is as if it did not exist.
async def visible_news_page(
    pool: asyncpg.Pool, tenant: str, household_id: uuid.UUID | None, *, limit: int, offset: int
) -> dict[str, Any]:
    items = await store.visible_news(pool, tenant, household_id, limit=limit, offset=offset)
    return page(items, limit=limit, offset=offset)


async def visible_news_item(
    pool: asyncpg.Pool, tenant: str, household_id: uuid.UUID | None, news_id: uuid.UUID
) -> dict[str, Any]:
    news = await store.visible_news_item(pool, tenant, household_id, news_id)
    if news is None:
        raise NewsNotFound()
    return news


async def visible_attachment(
    pool: asyncpg.Pool,
    tenant: str,
    household_id: uuid.UUID | None,
    news_id: uuid.UUID,
    attachment_id: uuid.UUID,
) -> dict[str, Any]:
    row = await store.visible_attachment(pool, tenant, household_id, news_id, attachment_id)
    if row is None:
        raise AttachmentNotFound()
    return row
