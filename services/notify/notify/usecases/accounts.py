"""The accounts: their latest address and name in the address book (every identity event
carries them), and the emails and notice about an account, one use case per identity event.

An account's address arriving makes its emails waiting for an address due again (the family
or booking event came before identity's)."""

from __future__ import annotations

from notify import store
from notify.domain import account_emails
from notify.domain.plans import Plan
from notify.usecases.emails import queue
from notify.usecases.notifications import add_notice
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def remember(uow: UnitOfWork, event: Event) -> None:
    """Keep the account's address and name from the event, in the open unit of work, unless
    a newer event already set them."""
    p = event.payload
    await store.record_account(
        uow.conn,
        tenant=event.tenant_id,
        account_id=p["account_id"],
        email=p["email"],
        display_name=p["display_name"],
        seen_at=event.occurred_at,
    )


async def _tell_account(uow: UnitOfWork, event: Event, plan: Plan) -> int:
    """Remember the account, queue the plan's emails, notify the account; emails queued."""
    async with uow:
        await remember(uow, event)
        queued = await queue(uow, event, plan.mails, grace=0)
        await add_notice(uow, event, [event.payload["account_id"]], plan.notice)
    return queued


async def account_announced(uow: UnitOfWork, event: Event) -> None:
    """An existing account told again: remembered, nobody emailed."""
    async with uow:
        await remember(uow, event)


async def account_registered(uow: UnitOfWork, event: Event) -> int:
    return await _tell_account(uow, event, account_emails.account_registered(event.payload))


async def account_activated(uow: UnitOfWork, event: Event) -> int:
    return await _tell_account(uow, event, account_emails.account_activated(event.payload))


async def account_invited(uow: UnitOfWork, event: Event) -> int:
    return await _tell_account(uow, event, account_emails.account_invited(event.payload))


async def password_reset_requested(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    plan = account_emails.password_reset_requested(event.payload, timezone)
    return await _tell_account(uow, event, plan)


async def password_changed(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    plan = account_emails.password_changed(event.payload, timezone)
    return await _tell_account(uow, event, plan)


async def email_change_requested(uow: UnitOfWork, event: Event) -> int:
    return await _tell_account(uow, event, account_emails.email_change_requested(event.payload))


async def email_changed(uow: UnitOfWork, event: Event) -> int:
    return await _tell_account(uow, event, account_emails.email_changed(event.payload))


async def account_locked(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    return await _tell_account(uow, event, account_emails.account_locked(event.payload, timezone))
