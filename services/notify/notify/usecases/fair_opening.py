"""The fair opening's emails (issue 18), one use case per booking event: the draw's outcome,
places offered and lapsed offers go to the household's guardians' accounts; the week
reminder to those of them that did not turn reminders off; the basket reminder to the
account that filled the basket. Each once per (event, account), like every email."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from notify import store
from notify.domain import fair_opening_emails, recipients
from notify.domain.plans import Letter
from notify.usecases.emails import queue
from notify.usecases.households import tell_guardians
from notify.usecases.notifications import add_notice
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def _tell_household(uow: UnitOfWork, event: Event, letter: Letter) -> int:
    async with uow:
        return await tell_guardians(uow, event, event.payload["household_id"], letter)


async def _tell(
    uow: UnitOfWork, event: Event, accounts: Sequence[uuid.UUID], letter: Letter
) -> int:
    """The letter to these accounts (email and notice), in the open unit of work."""
    plan = letter.to(accounts)
    queued = await queue(uow, event, plan.mails, grace=0)
    await add_notice(uow, event, accounts, plan.notice)
    return queued


async def allocation_decided(uow: UnitOfWork, event: Event) -> int:
    """The outcome of an opening window's draw for the household (the days it gives also
    come as ReservationValidated events, which record that the household attends)."""
    letter = fair_opening_emails.allocation_decided(event.payload)
    return await _tell_household(uow, event, letter)


async def place_offered(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    letter = fair_opening_emails.place_offered(event.payload, timezone)
    return await _tell_household(uow, event, letter)


async def offer_lapsed(uow: UnitOfWork, event: Event) -> int:
    return await _tell_household(uow, event, fair_opening_emails.offer_lapsed(event.payload))


async def booking_reminder_due(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    """Next week not booked: to each guardian's account that did not opt out (no email, no
    notice for the others)."""
    p = event.payload
    letter = fair_opening_emails.booking_reminder(p, timezone)
    async with uow:
        linked = await store.household_accounts(uow.conn, event.tenant_id, p["household_id"])
        accounts = recipients.guardians(linked)
        refused = await store.reminders_refused(uow.conn, event.tenant_id, accounts)
        return await _tell(uow, event, [a for a in accounts if a not in refused], letter)


async def basket_reminder_due(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    """A basket not validated: to the account that filled it alone, when the address book
    links it to the household."""
    p = event.payload
    letter = fair_opening_emails.basket_reminder(p, timezone)
    async with uow:
        return await tell_guardians(uow, event, p["household_id"], letter, alone=p["account_id"])
