"""Emails: queued for the dispatcher (exactly once per event and address, or event and
account), and listed for staff."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from notify import store
from notify.domain.errors import EmailNotFound
from notify.domain.paging import page
from notify.domain.plans import Mail
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def queue(uow: UnitOfWork, event: Event, mails: Sequence[Mail], *, grace: float) -> int:
    """Queue an event's emails in the open unit of work; how many were new. A mail of a
    `group` is gathered into the account's open email of that group, due `grace` seconds after
    its last part."""
    queued, household_id = 0, household_of(event)
    for mail in mails:
        if mail.group is not None:
            assert mail.account_id is not None
            queued += await store.gather_email(
                uow.conn,
                tenant=event.tenant_id,
                event_id=event.id,
                event_type=event.type,
                account_id=mail.account_id,
                template=mail.template,
                group_key=mail.group,
                context=mail.context,
                grace=grace,
                household_id=household_id,
            )
        else:
            queued += await store.queue_email(
                uow.conn,
                tenant=event.tenant_id,
                event_id=event.id,
                event_type=event.type,
                recipient=mail.recipient,
                account_id=mail.account_id,
                template=mail.template,
                context=mail.context,
                household_id=household_id,
            )
    return queued


def household_of(event: Event) -> uuid.UUID | None:
    """The household an event is about (its payload's `household_id`), if any: its emails and
    notices are kept with it."""
    about = event.payload.get("household_id")
    return uuid.UUID(str(about)) if about else None


async def email_page(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    recipient: str | None,
    account_id: uuid.UUID | Sequence[uuid.UUID] | None,
    status: str | None,
    limit: int,
    offset: int,
    household_id: uuid.UUID | None = None,
    event_type: str | None = None,
) -> dict[str, Any]:
    items = await store.list_emails(
        pool,
        tenant,
        recipient=recipient,
        account_id=account_id,
        household_id=household_id,
        status=status,
        event_type=event_type,
        limit=limit,
        offset=offset,
    )
    return page(items, limit=limit, offset=offset)


async def email(pool: asyncpg.Pool, tenant: str, email_id: uuid.UUID) -> dict[str, Any]:
    """One email of the tenant (its body is not kept: rendered when sent)."""
    found = await store.get_email(pool, tenant, email_id)
    if found is None:
        raise EmailNotFound()
    return found
