"""Paying the household's bills: the family-facing emails of billing's payment, wallet and
reminder events, one use case per event type. Receipts, refused payments and reminders are
bills (`tell_guardians(bill=True)`): to the payer's account alone when a separated parent
pays, else to every guardian; the wallet is the household's: every guardian is told.

Some events are consumed without a word to the family (the domain returns no letter: a
payment from the wallet, an abandoned card payment; see `notify.domain.payment_emails`):
the event is still recorded in the inbox, so a redelivery changes nothing either."""

from __future__ import annotations

from notify.domain import payment_emails
from notify.domain.plans import Letter
from notify.usecases.households import tell_guardians
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def _tell(uow: UnitOfWork, event: Event, letter: Letter | None, *, bill: bool) -> int:
    if letter is None:
        return 0
    async with uow:
        return await tell_guardians(uow, event, event.payload["household_id"], letter, bill=bill)


async def payment_received(uow: UnitOfWork, event: Event) -> int:
    """The receipt of a payment (none for a payment from the wallet)."""
    letter = payment_emails.payment_received(event.payload)
    return await _tell(uow, event, letter, bill=True)


async def payment_refused(uow: UnitOfWork, event: Event) -> int:
    """A card payment the bank refused (nothing for one the family abandoned)."""
    letter = payment_emails.payment_refused(event.payload)
    return await _tell(uow, event, letter, bill=True)


async def wallet_credited(uow: UnitOfWork, event: Event) -> int:
    """Money added to the household's wallet, with its new balance."""
    letter = payment_emails.wallet_credited(event.payload)
    return await _tell(uow, event, letter, bill=False)


async def invoice_reminded(uow: UnitOfWork, event: Event) -> int:
    """A reminder of an unpaid invoice past its due date."""
    letter = payment_emails.invoice_reminded(event.payload)
    return await _tell(uow, event, letter, bill=True)
