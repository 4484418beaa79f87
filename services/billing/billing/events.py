"""Handlers of the events billing consumes, one per type, each calling a use case in the
consumer's transaction (`UnitOfWork.for_event`): family's households, linked accounts,
children and quotients; booking's reservations, cancellations, promotions, released holds,
attendance and absences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import activities, attendance, households, payers, prepaid
from shared import tenant_features
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event
from shared.uow import UnitOfWork


def _uow(ctx: HandlerContext, event: Event) -> UnitOfWork:
    return UnitOfWork.for_event(ctx, tenant=event.tenant_id)


async def on_household_created(ctx: HandlerContext, event: Event) -> None:
    await households.household_created(_uow(ctx, event), event.tenant_id, event.payload)


async def on_household_linked(ctx: HandlerContext, event: Event) -> None:
    await payers.household_linked(_uow(ctx, event), event.tenant_id, event.payload)


async def on_child_registered(ctx: HandlerContext, event: Event) -> None:
    await households.child_changed(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_child_updated(ctx: HandlerContext, event: Event) -> None:
    await households.child_changed(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_quotient_changed(ctx: HandlerContext, event: Event) -> None:
    await households.quotient_changed(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_billed_guardian_changed(ctx: HandlerContext, event: Event) -> None:
    await households.billed_guardian_changed(_uow(ctx, event), event.tenant_id, event.payload)


async def on_household_anonymised(ctx: HandlerContext, event: Event) -> None:
    await households.household_anonymised(
        _uow(ctx, event), event.tenant_id, event.payload["household_id"]
    )


async def on_reservation_validated(ctx: HandlerContext, event: Event) -> None:
    grace = ctx.app[SETTINGS].basket_invoice_grace_seconds
    await prepaid.reservation_validated(
        _uow(ctx, event),
        event.tenant_id,
        event.payload,
        now=ctx.app[CLOCK].now(),
        grace_until=datetime.now(UTC) + timedelta(seconds=grace) if grace > 0 else None,
    )


async def on_waiting_list_promoted(ctx: HandlerContext, event: Event) -> None:
    await prepaid.waiting_list_promoted(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_reservation_cancelled(ctx: HandlerContext, event: Event) -> None:
    await prepaid.reservation_cancelled(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_booking_hold_released(ctx: HandlerContext, event: Event) -> None:
    await prepaid.hold_released(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_attendance_recorded(ctx: HandlerContext, event: Event) -> None:
    await attendance.attendance_recorded(
        _uow(ctx, event), event.tenant_id, event.payload, event.occurred_at
    )


async def on_absence_justified(ctx: HandlerContext, event: Event) -> None:
    await attendance.absence_justified(
        _uow(ctx, event), event.tenant_id, event.payload, now=ctx.app[CLOCK].now()
    )


async def on_tenant_features_changed(ctx: HandlerContext, event: Event) -> None:
    """The town's switches kept (the shared rule); when the wallet was turned off or on,
    booking is told how the wallet's activities are paid from now on."""
    before = await tenant_features.features_of(ctx.conn, event.tenant_id)
    await tenant_features.on_tenant_features_changed(ctx, event)
    after = await tenant_features.features_of(ctx.conn, event.tenant_id)
    if before["wallet"] != after["wallet"]:
        await activities.wallet_offered_changed(
            _uow(ctx, event), event.tenant_id, offered=after["wallet"]
        )


HANDLERS: dict[str, EventHandler] = {
    "family.HouseholdCreated": on_household_created,
    "family.HouseholdLinked": on_household_linked,
    "family.ChildRegistered": on_child_registered,
    "family.ChildUpdated": on_child_updated,
    "family.QuotientChanged": on_quotient_changed,
    "family.BilledGuardianChanged": on_billed_guardian_changed,
    "family.HouseholdAnonymised": on_household_anonymised,
    "booking.ReservationValidated": on_reservation_validated,
    "booking.WaitingListPromoted": on_waiting_list_promoted,
    "booking.ReservationCancelled": on_reservation_cancelled,
    "booking.BookingHoldReleased": on_booking_hold_released,
    "booking.AttendanceRecorded": on_attendance_recorded,
    "booking.AbsenceJustified": on_absence_justified,
    "identity.TenantFeaturesChanged": on_tenant_features_changed,
}
