"""The household's bills: the family-facing emails of billing's events, one use case per
event type, each to the household's guardians' accounts (`tell_guardians`: the accounts
the address book links to the household; billing's events name no account, so staff who
finalised a campaign or cancelled a day are never told in the family's place). A document
a separated parent pays alone (`payer_account_id`) goes to that parent's account only."""

from __future__ import annotations

from notify.domain import invoice_emails
from notify.domain.plans import Letter
from notify.usecases.households import tell_guardians
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def _tell_household(uow: UnitOfWork, event: Event, letter: Letter) -> int:
    async with uow:
        return await tell_guardians(uow, event, event.payload["household_id"], letter, bill=True)


async def invoice_issued(uow: UnitOfWork, event: Event) -> int:
    """A new invoice is available on the portal: amount to pay and due date."""
    return await _tell_household(uow, event, invoice_emails.invoice_issued(event.payload))


async def credit_note_issued(uow: UnitOfWork, event: Event) -> int:
    """A credit note, deducted from the household's next invoice of the régie."""
    return await _tell_household(uow, event, invoice_emails.credit_note_issued(event.payload))
