"""SEPA direct debit: the family-facing emails of billing's mandate and debit events, one use
case per event type. A mandate's letters go to the guardian who signs it (`account_id`) if
the address book links that account to the household, or to every guardian when the
mandate names none (a paper one staff recorded); a debit's letters are bills, to the payer's
account alone when a separated parent pays the invoice (`payer_account_id`), else to every
guardian."""

from __future__ import annotations

from notify.domain import direct_debit_emails
from notify.domain.plans import Letter
from notify.usecases.households import tell_guardians
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def _tell_signer(uow: UnitOfWork, event: Event, letter: Letter) -> int:
    p = event.payload
    async with uow:
        return await tell_guardians(
            uow, event, p["household_id"], letter, alone=p.get("account_id")
        )


async def _tell_payer(uow: UnitOfWork, event: Event, letter: Letter) -> int:
    async with uow:
        return await tell_guardians(uow, event, event.payload["household_id"], letter, bill=True)


async def mandate_requested(uow: UnitOfWork, event: Event, *, timezone: str) -> int:
    """The mandate to sign online, before its link expires [000]."""
    letter = direct_debit_emails.mandate_requested(event.payload, timezone)
    return await _tell_signer(uow, event, letter)


async def mandate_activated(uow: UnitOfWork, event: Event) -> int:
    return await _tell_signer(uow, event, direct_debit_emails.mandate_activated(event.payload))


async def mandate_suspended(uow: UnitOfWork, event: Event) -> int:
    return await _tell_signer(uow, event, direct_debit_emails.mandate_suspended(event.payload))


async def mandate_revoked(uow: UnitOfWork, event: Event) -> int:
    return await _tell_signer(uow, event, direct_debit_emails.mandate_revoked(event.payload))


async def direct_debit_announced(uow: UnitOfWork, event: Event) -> int:
    """The pre-notification of a debit."""
    letter = direct_debit_emails.direct_debit_announced(event.payload)
    return await _tell_payer(uow, event, letter)


async def direct_debit_rejected(uow: UnitOfWork, event: Event) -> int:
    letter = direct_debit_emails.direct_debit_rejected(event.payload)
    return await _tell_payer(uow, event, letter)
