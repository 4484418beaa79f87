"""In-app notifications: written with the event's emails, read and marked read by their
account."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import asyncpg

from notify import store
from notify.domain.errors import NotificationNotFound
from notify.domain.paging import page
from notify.domain.plans import Notice
from notify.usecases.emails import household_of
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def add_notice(
    uow: UnitOfWork,
    event: Event,
    accounts: Iterable[uuid.UUID],
    notice: Notice | None,
    *,
    household_id: uuid.UUID | str | None = None,
) -> None:
    """The event's notice to each account, in the open unit of work (once per event, account
    and kind), kept with the household it is about (the event's, unless named) so that an
    account linked to two households sees each one's notices in that household only."""
    if notice is None:
        return
    about = household_id or household_of(event)
    for account_id in accounts:
        await store.add_notification(
            uow.conn,
            tenant=event.tenant_id,
            account_id=account_id,
            event_id=event.id,
            kind=notice.kind,
            title=notice.title,
            body=notice.body,
            household_id=uuid.UUID(str(about)) if about else None,
        )


async def notification_page(
    pool: asyncpg.Pool,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID | None,
    *,
    unread_only: bool,
    limit: int,
    offset: int,
) -> dict[str, Any]:
    items, unread = await store.list_notifications(
        pool, tenant, account_id, household_id, unread_only=unread_only, limit=limit, offset=offset
    )
    return page(items, limit=limit, offset=offset, unread_count=unread)


async def mark_read(
    uow: UnitOfWork,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID | None,
    notification_id: uuid.UUID,
) -> dict[str, Any]:
    async with uow:
        row = await store.mark_read(uow.conn, tenant, account_id, household_id, notification_id)
        if row is None:
            raise NotificationNotFound()
    return row


async def mark_all_read(
    uow: UnitOfWork, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID | None
) -> int:
    """How many were marked (the current household's and the account's own)."""
    async with uow:
        return await store.mark_all_read(uow.conn, tenant, account_id, household_id)
