"""The households: which accounts are their guardians' (the address book, from
family.HouseholdLinked), and the family-facing emails about the household's file, one use
case per family event. Every family-facing email goes to the household's guardians' accounts,
whoever acted (`notify.domain.recipients`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from notify import store
from notify.domain import household_emails, recipients
from notify.domain.plans import Letter
from notify.usecases.emails import queue
from notify.usecases.notifications import add_notice
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def tell_guardians(
    uow: UnitOfWork,
    event: Event,
    household_id: uuid.UUID,
    letter: Letter,
    *,
    listed: Iterable[uuid.UUID] = (),
    grace: float = 0,
    bill: bool = False,
    alone: uuid.UUID | str | None = None,
) -> int:
    """The letter to each of the household's guardians' accounts (email and notice), in the
    open unit of work; emails queued (or gathered into a recap). A `bill` (billing's
    documents, payments, debits, reminders) goes to its payer's account alone when a
    separated parent pays it; a letter about one guardian's own affair (`alone`: the guardian
    who signs a direct-debit mandate) to that guardian's account alone."""
    linked = await store.household_accounts(uow.conn, event.tenant_id, household_id)
    if bill:
        accounts = recipients.bill_payers(linked, event.payload.get("payer_account_id"))
    elif alone is not None:
        accounts = recipients.bill_payers(linked, alone)
    else:
        accounts = recipients.guardians(linked, listed)
    plan = letter.to(accounts)
    queued = await queue(uow, event, plan.mails, grace=grace)
    await add_notice(uow, event, accounts, plan.notice, household_id=household_id)
    return queued


async def _tell_household(uow: UnitOfWork, event: Event, letter: Letter) -> int:
    """A family event's letter to the household's guardians: those it lists (`account_ids`,
    family's view of the household's accounts) and those the address book links."""
    p = event.payload
    async with uow:
        return await tell_guardians(
            uow, event, p["household_id"], letter, listed=p.get("account_ids") or ()
        )


async def household_linked(uow: UnitOfWork, event: Event) -> None:
    p = event.payload
    async with uow:
        await store.link_household(
            uow.conn,
            tenant=event.tenant_id,
            household_id=p["household_id"],
            account_id=p["account_id"],
            linked_at=event.occurred_at,
        )


async def household_anonymised(uow: UnitOfWork, event: Event) -> None:
    """Its accounts are no longer linked (no more emails about it) and it no longer sees the
    news of its children's activities."""
    household_id = event.payload["household_id"]
    async with uow:
        await store.unlink_household(uow.conn, tenant=event.tenant_id, household_id=household_id)
        await store.forget_family_activities(uow.conn, event.tenant_id, household_id)


async def change_request_decided(uow: UnitOfWork, event: Event) -> int:
    letter = household_emails.change_request_decided(event.payload)
    return await _tell_household(uow, event, letter)


async def document_validated(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, household_emails.document_validated(event.payload))


async def document_rejected(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, household_emails.document_rejected(event.payload))


async def request_answered(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, household_emails.request_answered(event.payload))


async def household_creation_rejected(uow: UnitOfWork, event: Event) -> int:
    """No household yet: the account that asked for one is told."""
    p = event.payload
    plan = household_emails.household_creation_rejected(p).to([p["account_id"]])
    async with uow:
        queued = await queue(uow, event, plan.mails, grace=0)
        await add_notice(uow, event, [p["account_id"]], plan.notice)
    return queued
