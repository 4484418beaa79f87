"""Handlers of the events booking consumes, one per event type, each calling its use case in
the consumer's transaction (which also holds the event's inbox row): the children and
documents read models from the family service, and its households' anonymisation; from
billing, how activities are paid, the active wallets, and the answers that confirm or release
the days held until paid."""

from __future__ import annotations

from booking.state import CLOCK
from booking.usecases import children, holds
from shared import tenant_features
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event
from shared.uow import UnitOfWork


def _uow(ctx: HandlerContext, event: Event) -> UnitOfWork:
    return UnitOfWork.for_event(ctx, tenant=event.tenant_id)


async def on_child_registered(ctx: HandlerContext, event: Event) -> None:
    await children.child_changed(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_child_updated(ctx: HandlerContext, event: Event) -> None:
    await children.child_changed(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_document_uploaded(ctx: HandlerContext, event: Event) -> None:
    await children.document_decided(
        _uow(ctx, event), event.tenant_id, event.payload, "waiting", event.occurred_at
    )


async def on_document_validated(ctx: HandlerContext, event: Event) -> None:
    await children.document_decided(
        _uow(ctx, event), event.tenant_id, event.payload, "valid", event.occurred_at
    )


async def on_document_rejected(ctx: HandlerContext, event: Event) -> None:
    await children.document_decided(
        _uow(ctx, event), event.tenant_id, event.payload, "rejected", event.occurred_at
    )


async def on_household_anonymised(ctx: HandlerContext, event: Event) -> None:
    await children.household_anonymised(
        _uow(ctx, event), event.tenant_id, event.payload["household_id"], event.occurred_at
    )


async def on_activity_payment_set(ctx: HandlerContext, event: Event) -> None:
    await holds.activity_payment_set(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_wallet_activated(ctx: HandlerContext, event: Event) -> None:
    await holds.wallet_activated(
        _uow(ctx, event), event.tenant_id, event.payload["household_id"], event.occurred_at
    )


async def on_wallet_debited(ctx: HandlerContext, event: Event) -> None:
    await holds.wallet_debited(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_wallet_debit_refused(ctx: HandlerContext, event: Event) -> None:
    await holds.wallet_debit_refused(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_payment_received(ctx: HandlerContext, event: Event) -> None:
    await holds.payment_received(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_invoice_issued(ctx: HandlerContext, event: Event) -> None:
    await holds.invoice_issued(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_payment_refused(ctx: HandlerContext, event: Event) -> None:
    await holds.payment_refused(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


HANDLERS: dict[str, EventHandler] = {
    "family.ChildRegistered": on_child_registered,
    "family.ChildUpdated": on_child_updated,
    "family.DocumentUploaded": on_document_uploaded,
    "family.DocumentValidated": on_document_validated,
    "family.DocumentRejected": on_document_rejected,
    "family.HouseholdAnonymised": on_household_anonymised,
    "billing.ActivityPaymentSet": on_activity_payment_set,
    "billing.WalletActivated": on_wallet_activated,
    "billing.WalletDebited": on_wallet_debited,
    "billing.WalletDebitRefused": on_wallet_debit_refused,
    "billing.PaymentReceived": on_payment_received,
    "billing.PaymentRefused": on_payment_refused,
    "billing.InvoiceIssued": on_invoice_issued,
    "identity.TenantFeaturesChanged": tenant_features.on_tenant_features_changed,
}
