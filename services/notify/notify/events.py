"""The events notify consumes, one handler per event type, each calling its use case inside
the consumer's transaction (which also holds the event's inbox row: applied once).

- identity's events carry the account's address: the address book keeps it, and the emails
  about the account go to the address the event carries (`usecases.accounts`);
- family's events keep the household address book (which accounts are a household's
  guardians) and tell the guardians of what happened to their file (`usecases.households`);
- booking's events tell the guardians of their children's activities, a basket's events
  gathered into one recap (`usecases.activities`); of the fair opening's draws, offered
  places and deadline reminders (`usecases.fair_opening`);
- billing's events tell the guardians of a new invoice (amount to pay, due date) and of a
  credit note deducted from the next one (`usecases.invoices`); of payments (receipts,
  refused card payments), wallet credits and reminders (`usecases.payments`); of
  direct-debit mandates and debits (`usecases.direct_debit`). billing's WalletActivated,
  WalletDebited, WalletDebitRefused and ActivityPaymentSet are booking's business: what
  the family must hear of them reaches it through booking's BookingHoldReleased.
Family-facing emails go to the household's guardians' accounts, whoever acted.
"""

from __future__ import annotations

from notify.settings import SETTINGS, NotifySettings
from notify.usecases import (
    accounts,
    activities,
    direct_debit,
    fair_opening,
    households,
    invoices,
    payments,
)
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event
from shared.uow import UnitOfWork


def _uow(ctx: HandlerContext, event: Event) -> UnitOfWork:
    return UnitOfWork.for_event(ctx, tenant=event.tenant_id)


def _settings(ctx: HandlerContext) -> NotifySettings:
    return ctx.app[SETTINGS]


# --- identity -----------------------------------------------------------------------------
async def on_account_registered(ctx: HandlerContext, event: Event) -> None:
    await accounts.account_registered(_uow(ctx, event), event)


async def on_account_activated(ctx: HandlerContext, event: Event) -> None:
    await accounts.account_activated(_uow(ctx, event), event)


async def on_account_invited(ctx: HandlerContext, event: Event) -> None:
    await accounts.account_invited(_uow(ctx, event), event)


async def on_account_announced(ctx: HandlerContext, event: Event) -> None:
    await accounts.account_announced(_uow(ctx, event), event)


async def on_password_reset_requested(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await accounts.password_reset_requested(_uow(ctx, event), event, timezone=timezone)


async def on_password_changed(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await accounts.password_changed(_uow(ctx, event), event, timezone=timezone)


async def on_email_change_requested(ctx: HandlerContext, event: Event) -> None:
    await accounts.email_change_requested(_uow(ctx, event), event)


async def on_email_changed(ctx: HandlerContext, event: Event) -> None:
    await accounts.email_changed(_uow(ctx, event), event)


async def on_account_locked(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await accounts.account_locked(_uow(ctx, event), event, timezone=timezone)


# --- family -------------------------------------------------------------------------------
async def on_household_linked(ctx: HandlerContext, event: Event) -> None:
    await households.household_linked(_uow(ctx, event), event)


async def on_household_anonymised(ctx: HandlerContext, event: Event) -> None:
    await households.household_anonymised(_uow(ctx, event), event)


async def on_change_request_decided(ctx: HandlerContext, event: Event) -> None:
    await households.change_request_decided(_uow(ctx, event), event)


async def on_document_validated(ctx: HandlerContext, event: Event) -> None:
    await households.document_validated(_uow(ctx, event), event)


async def on_document_rejected(ctx: HandlerContext, event: Event) -> None:
    await households.document_rejected(_uow(ctx, event), event)


async def on_request_answered(ctx: HandlerContext, event: Event) -> None:
    await households.request_answered(_uow(ctx, event), event)


async def on_household_creation_rejected(ctx: HandlerContext, event: Event) -> None:
    await households.household_creation_rejected(_uow(ctx, event), event)


# --- booking ------------------------------------------------------------------------------
async def on_reservation_validated(ctx: HandlerContext, event: Event) -> None:
    settings = _settings(ctx)
    await activities.reservation_validated(
        _uow(ctx, event),
        event,
        basket_grace=settings.mail_basket_grace_seconds,
        timezone=settings.timezone,
    )


async def on_reservation_cancelled(ctx: HandlerContext, event: Event) -> None:
    grace = _settings(ctx).mail_basket_grace_seconds
    await activities.reservation_cancelled(_uow(ctx, event), event, basket_grace=grace)


async def on_waiting_list_promoted(ctx: HandlerContext, event: Event) -> None:
    await activities.waiting_list_promoted(_uow(ctx, event), event)


async def on_waiting_list_cancelled(ctx: HandlerContext, event: Event) -> None:
    await activities.waiting_list_cancelled(_uow(ctx, event), event)


async def on_enrollment_decided(ctx: HandlerContext, event: Event) -> None:
    await activities.enrollment_decided(_uow(ctx, event), event)


async def on_absence_justified(ctx: HandlerContext, event: Event) -> None:
    await activities.absence_justified(_uow(ctx, event), event)


async def on_absence_refused(ctx: HandlerContext, event: Event) -> None:
    await activities.absence_refused(_uow(ctx, event), event)


async def on_booking_hold_released(ctx: HandlerContext, event: Event) -> None:
    grace = _settings(ctx).mail_basket_grace_seconds
    await activities.booking_hold_released(_uow(ctx, event), event, basket_grace=grace)


async def on_renewals_proposed(ctx: HandlerContext, event: Event) -> None:
    await activities.renewals_proposed(_uow(ctx, event), event)


# --- booking: fair opening (issue 18) -----------------------------------------------------
async def on_allocation_decided(ctx: HandlerContext, event: Event) -> None:
    await fair_opening.allocation_decided(_uow(ctx, event), event)


async def on_place_offered(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await fair_opening.place_offered(_uow(ctx, event), event, timezone=timezone)


async def on_offer_lapsed(ctx: HandlerContext, event: Event) -> None:
    await fair_opening.offer_lapsed(_uow(ctx, event), event)


async def on_booking_reminder_due(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await fair_opening.booking_reminder_due(_uow(ctx, event), event, timezone=timezone)


async def on_basket_reminder_due(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await fair_opening.basket_reminder_due(_uow(ctx, event), event, timezone=timezone)


# --- billing ------------------------------------------------------------------------------
async def on_invoice_issued(ctx: HandlerContext, event: Event) -> None:
    await invoices.invoice_issued(_uow(ctx, event), event)


async def on_credit_note_issued(ctx: HandlerContext, event: Event) -> None:
    await invoices.credit_note_issued(_uow(ctx, event), event)


async def on_payment_received(ctx: HandlerContext, event: Event) -> None:
    await payments.payment_received(_uow(ctx, event), event)


async def on_payment_refused(ctx: HandlerContext, event: Event) -> None:
    await payments.payment_refused(_uow(ctx, event), event)


async def on_wallet_credited(ctx: HandlerContext, event: Event) -> None:
    await payments.wallet_credited(_uow(ctx, event), event)


async def on_invoice_reminded(ctx: HandlerContext, event: Event) -> None:
    await payments.invoice_reminded(_uow(ctx, event), event)


async def on_mandate_requested(ctx: HandlerContext, event: Event) -> None:
    timezone = _settings(ctx).timezone
    await direct_debit.mandate_requested(_uow(ctx, event), event, timezone=timezone)


async def on_mandate_activated(ctx: HandlerContext, event: Event) -> None:
    await direct_debit.mandate_activated(_uow(ctx, event), event)


async def on_mandate_suspended(ctx: HandlerContext, event: Event) -> None:
    await direct_debit.mandate_suspended(_uow(ctx, event), event)


async def on_mandate_revoked(ctx: HandlerContext, event: Event) -> None:
    await direct_debit.mandate_revoked(_uow(ctx, event), event)


async def on_direct_debit_announced(ctx: HandlerContext, event: Event) -> None:
    await direct_debit.direct_debit_announced(_uow(ctx, event), event)


async def on_direct_debit_rejected(ctx: HandlerContext, event: Event) -> None:
    await direct_debit.direct_debit_rejected(_uow(ctx, event), event)


HANDLERS: dict[str, EventHandler] = {
    "identity.AccountRegistered": on_account_registered,
    "identity.AccountActivated": on_account_activated,
    "identity.AccountInvited": on_account_invited,
    "identity.AccountAnnounced": on_account_announced,
    "identity.PasswordResetRequested": on_password_reset_requested,
    "identity.PasswordChanged": on_password_changed,
    "identity.EmailChangeRequested": on_email_change_requested,
    "identity.EmailChanged": on_email_changed,
    "identity.AccountLocked": on_account_locked,
    "family.HouseholdLinked": on_household_linked,
    "family.HouseholdAnonymised": on_household_anonymised,
    "family.ChangeRequestDecided": on_change_request_decided,
    "family.DocumentValidated": on_document_validated,
    "family.DocumentRejected": on_document_rejected,
    "family.RequestAnswered": on_request_answered,
    "family.HouseholdCreationRejected": on_household_creation_rejected,
    "booking.ReservationValidated": on_reservation_validated,
    "booking.ReservationCancelled": on_reservation_cancelled,
    "booking.WaitingListPromoted": on_waiting_list_promoted,
    "booking.WaitingListCancelled": on_waiting_list_cancelled,
    "booking.EnrollmentDecided": on_enrollment_decided,
    "booking.AbsenceJustified": on_absence_justified,
    "booking.AbsenceRefused": on_absence_refused,
    "booking.BookingHoldReleased": on_booking_hold_released,
    "booking.RenewalsProposed": on_renewals_proposed,
    "booking.AllocationDecided": on_allocation_decided,
    "booking.PlaceOffered": on_place_offered,
    "booking.OfferLapsed": on_offer_lapsed,
    "booking.BookingReminderDue": on_booking_reminder_due,
    "booking.BasketReminderDue": on_basket_reminder_due,
    "billing.InvoiceIssued": on_invoice_issued,
    "billing.CreditNoteIssued": on_credit_note_issued,
    "billing.PaymentReceived": on_payment_received,
    "billing.PaymentRefused": on_payment_refused,
    "billing.WalletCredited": on_wallet_credited,
    "billing.InvoiceReminded": on_invoice_reminded,
    "billing.MandateRequested": on_mandate_requested,
    "billing.MandateActivated": on_mandate_activated,
    "billing.MandateSuspended": on_mandate_suspended,
    "billing.MandateRevoked": on_mandate_revoked,
    "billing.DirectDebitAnnounced": on_direct_debit_announced,
    "billing.DirectDebitRejected": on_direct_debit_rejected,
}
