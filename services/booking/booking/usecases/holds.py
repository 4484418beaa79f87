"""Places held until paid (`domain.holds`): what billing says about activities and wallets,
the holds written with a basket's places, and billing's answers that confirm or release them.

Every answer is idempotent and tolerates any order: a confirmation only confirms days still
held, a release only releases days still held (a released day is never booked again by a
late payment: billing keeps that money as the payer's credit), and an answer that changes
nothing is logged. Releasing goes through the capacity-safe path: the day rows locked in the
common order (activity, day), then the bookings (in id order, as confirming does), the place
given back (`capacity.give_back_place`: the waiting list moves up)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from booking import store
from booking.domain import holds
from booking.domain.activity import Activity
from booking.domain.baskets import Line
from booking.usecases.capacity import give_back_place
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)

# --- what billing says (read models) --------------------------------------------------------


async def activity_payment_set(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], occurred_at: datetime
) -> None:
    """How an activity is paid (billing.ActivityPaymentSet): kept, and applied to the
    activity (now, or when it is created here); an older word arriving late changes
    nothing. Baskets validated from now on follow it; days already booked stay as they are."""
    async with uow:
        kept = await store.set_activity_payment(
            uow.conn,
            tenant,
            payload["activity_id"],
            payload["payment"],
            payload["hold_minutes"],
            occurred_at,
        )
    if not kept:
        log.info("activity_payment_outdated", activity_id=str(payload["activity_id"]))


async def wallet_activated(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, occurred_at: datetime
) -> None:
    """The household may now book activities paid from its wallet."""
    async with uow:
        await store.activate_wallet(uow.conn, tenant, household_id, occurred_at)


# --- holding (inside a validation's transaction) -------------------------------------------


async def hold_in(uow: UnitOfWork, lines: Sequence[Line]) -> None:
    """The places just taken by `lines` (in the caller's open unit of work) are held until
    paid: their bookings say how, and until when for at_booking."""
    if lines:
        await store.hold_bookings(
            uow.conn,
            [x.booking_id for x in lines if x.booking_id is not None],
            [x.payment for x in lines if x.booking_id is not None],
            [x.payment_due_at for x in lines if x.booking_id is not None],
        )


# --- billing's answers ----------------------------------------------------------------------


async def wallet_debited(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], *, now: datetime
) -> list[uuid.UUID]:
    """billing.WalletDebited: the wallet paid these held days; they are confirmed."""
    async with uow:
        held = await store.held_bookings(
            uow.conn, tenant, booking_ids=payload["booking_ids"], payment="wallet"
        )
        confirmed = await store.confirm_holds(uow.conn, [x["id"] for x in held], now)
        await _log_unsettled(uow, "wallet_debited", payload["booking_ids"], confirmed)
    return confirmed


async def wallet_debit_refused(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], *, now: datetime
) -> list[dict[str, Any]]:
    """billing.WalletDebitRefused: the wallet cannot pay these held days; they are
    released with billing's reason (insufficient balance, wallet inactive)."""
    async with uow:
        held = await store.held_bookings(
            uow.conn, tenant, booking_ids=payload["booking_ids"], payment="wallet"
        )
        released = await release_in(uow, held, reason=payload["reason"], now=now)
        await _log_unsettled(
            uow, "wallet_debit_refused", payload["booking_ids"], [x["id"] for x in released]
        )
    return released


async def payment_received(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], *, now: datetime
) -> list[uuid.UUID]:
    """billing.PaymentReceived: each invoice of a basket it settles (nothing left to pay)
    confirms that basket's days held at booking. A payment for a basket whose days were
    released already books nothing again (billing keeps the money as credit)."""
    baskets = {
        x["basket_id"]
        for x in payload["allocations"]
        if x["basket_id"] is not None and x["remaining_cents"] == 0
    }
    return await _confirm_paid(uow, tenant, baskets, now=now, cause=str(payload["payment_id"]))


async def invoice_issued(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], *, now: datetime
) -> list[uuid.UUID]:
    """billing.InvoiceIssued: a basket's invoice issued with nothing to pay (the payer's
    credit notes or earlier overpayment covered it) will see no payment: its days held at
    booking are confirmed now instead of expiring."""
    if payload["basket_id"] is None or payload["amount_due_cents"] > 0:
        return []
    return await _confirm_paid(
        uow, tenant, {payload["basket_id"]}, now=now, cause=str(payload["invoice_id"])
    )


async def _confirm_paid(
    uow: UnitOfWork, tenant: str, baskets: set[uuid.UUID], *, now: datetime, cause: str
) -> list[uuid.UUID]:
    if not baskets:
        return []
    async with uow:
        held = await store.held_bookings(
            uow.conn, tenant, basket_ids=sorted(baskets), payment="at_booking"
        )
        confirmed = await store.confirm_holds(uow.conn, [x["id"] for x in held], now)
        if not confirmed:
            log.info(
                "payment_confirms_nothing", cause=cause, baskets=[str(x) for x in sorted(baskets)]
            )
    return confirmed


async def payment_refused(
    uow: UnitOfWork, tenant: str, payload: Mapping[str, Any], *, now: datetime
) -> list[dict[str, Any]]:
    """billing.PaymentRefused: the days its baskets held at booking are released."""
    if not payload["basket_ids"]:
        return []
    async with uow:
        held = await store.held_bookings(
            uow.conn, tenant, basket_ids=payload["basket_ids"], payment="at_booking"
        )
        released = await release_in(uow, held, reason="payment_refused", now=now)
        if not released:
            log.info(
                "payment_refusal_releases_nothing",
                transaction_id=str(payload["transaction_id"]),
                baskets=[str(x) for x in payload["basket_ids"]],
            )
    return released


async def release_expired(
    make_uow: Callable[[], UnitOfWork], *, now: datetime, batch: int = 200
) -> int:
    """The sweeper's work: at_booking holds not paid by their end are released
    (`payment_expired`), `batch` bookings per transaction, every tenant. How many."""
    total = 0
    while True:
        async with make_uow() as uow:
            expired = await store.expired_holds(uow.conn, now, batch)
            if not expired:
                return total
            held = await store.held_bookings(
                uow.conn, None, booking_ids=expired, payment="at_booking"
            )
            released = await release_in(uow, held, reason="payment_expired", now=now)
        total += len(released)
        if len(expired) < batch:
            return total


# --- releasing: the capacity-safe path ------------------------------------------------------


async def release_in(
    uow: UnitOfWork, held: Sequence[Mapping[str, Any]], *, reason: str, now: datetime
) -> list[dict[str, Any]]:
    """Release bookings found held (`store.held_bookings`; in the caller's open unit of
    work): their day rows locked in the common order, those still held cancelled with the
    reason, each place given back to the waiting list; one BookingHoldReleased per basket,
    child and activity, then the waiting list's events for the places given back
    (`capacity.fill_free_places`). The bookings released."""
    if not held:
        return []
    await store.lock_days(uow.conn, [(x["activity_id"], x["day"]) for x in held])
    released = await store.release_holds(uow.conn, [x["id"] for x in held], reason, now)
    activities: dict[tuple[str, uuid.UUID], Activity] = {}
    for row in released:
        key = (row["tenant"], row["activity_id"])
        if key not in activities:
            found = await store.get_activity(uow.conn, *key)
            assert found is not None  # a booking's activity is never deleted while booked
            activities[key] = Activity.from_row(found)
    for tenant, payload in holds.released(released, activities, reason):
        uow.emit("booking.BookingHoldReleased", payload, tenant=tenant)
    for row in released:
        activity = activities[(row["tenant"], row["activity_id"])]
        await give_back_place(uow, activity, row["day"], tenant=row["tenant"], now=now)
    if released:
        log.info("holds_released", reason=reason, bookings=len(released))
    return released


async def _log_unsettled(
    uow: UnitOfWork, answer: str, asked: Sequence[uuid.UUID], settled: Sequence[uuid.UUID]
) -> None:
    """An answer about days no longer held (already confirmed or released, cancelled,
    unknown) changes nothing: said in the log, with where they stand."""
    rest = sorted(set(asked) - set(settled))
    if rest:
        states = await store.hold_states(uow.conn, rest)
        log.info(
            "hold_answer_changes_nothing",
            answer=answer,
            bookings={str(x): states.get(x, "unknown") for x in rest},
        )


# --- reads ----------------------------------------------------------------------------------


async def basket_holds(conn: store.Conn, basket_id: uuid.UUID) -> list[dict[str, Any]]:
    """The basket's days taken while their payment was pending: held (by when, for
    at_booking), confirmed, or released (and why)."""
    return await store.basket_holds(conn, basket_id)
