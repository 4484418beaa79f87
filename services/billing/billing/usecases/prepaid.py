"""Prepaid activities: the days of a validated basket are invoiced at once [002].

booking.ReservationValidated comes once per child and activity of a basket: their days
gather on one draft invoice per basket, régie and payer (a child's billing rule may send
some days to a separated parent), finalised (numbered, billing.InvoiceIssued)
when the basket's grace has passed (`BASKET_INVOICE_GRACE_SECONDS`; 0: at once). A day is
charged once ever: a redelivered or replayed event adds nothing. A day that cannot be priced
(no grid covers it) stays unbilled: the régie's next campaign reports or bills it.

Cancelling before the deadline (booking.ReservationCancelled, not `charged`) credits the
charged days with a credit note, deducted from the payer's next invoice of the régie; days
paid from the household's wallet are refunded to the wallet at once.

Days paid upfront (the event's `payment`, from billing.ActivityPaymentSet) are held by
booking until paid:
- `at_booking`: invoiced at once (no grace), due on the day the hold ends
  (`payment_due_at`); a card payment settling the invoice confirms them (booking);
- `wallet`: the saga's billing side [003]: the wallet pays at once (the days invoiced, the
  invoice paid from the wallet, billing.WalletDebited) or nothing happens
  (billing.WalletDebitRefused with the reason). Every such event gets exactly one answer;
  a replay (after a crash, from the archive) gets the same answer and debits nothing.
Days booking released (booking.BookingHoldReleased: not paid in time, payment refused,
wallet short) are credited if they were invoiced; the credit note settles their unpaid
invoice, so that a payment arriving afterwards stays the payer's credit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from billing import store
from billing.domain import wallet as wallet_rules
from billing.domain.documents import local_date
from billing.store import bookings as bookings_store
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import families as families_store
from billing.store import wallet as wallet_store
from billing.usecases import wallet
from billing.usecases.documents import credit_days, finalise_invoices
from billing.usecases.pricing import pricing_book
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


def _days(payload: dict[str, Any], dates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "booking_id": d["booking_id"],
            "household_id": payload["household_id"],
            "child_id": payload["child_id"],
            "child_name": payload["child_first_name"],
            "activity_id": payload["activity_id"],
            "activity_name": payload["activity_name"],
            "day": d["date"],
            "late": d["late"],
            "basket_id": payload.get("basket_id"),
        }
        for d in dates
    ]


async def _priced(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, days: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The activity's billing when it is prepaid, and the days priced: a charge per payer
    of each day (two parts for a day shared by percentage)."""
    activity = await catalog_store.get_activity(uow.conn, tenant, days[0]["activity_id"])
    if activity is None or activity["billing_mode"] != "prepaid":
        return None, []
    book = await pricing_book(uow.conn, tenant, [household_id], [activity["activity_id"]])
    # Events may come out of order: a day whose free cancellation came first is not charged.
    cancelled = await bookings_store.cancelled_bookings(uow.conn, [d["booking_id"] for d in days])
    charges = []
    for day in days:
        if day["booking_id"] in cancelled:
            continue
        parts, error = book.charges(household_id, day)
        if not parts:
            log.warning(
                "prepaid_day_not_priced",
                reason=error,
                activity_id=str(day["activity_id"]),
                day=str(day["day"]),
            )
            continue
        charges.extend(parts)
    return activity, charges


async def reservation_validated(
    uow: UnitOfWork,
    tenant: str,
    payload: dict[str, Any],
    *,
    now: datetime,
    grace_until: datetime | None,
) -> None:
    """`grace_until`: when the basket's invoice is finalised (None: at once)."""
    days = _days(payload, payload["dates"])
    household_id = payload["household_id"]
    payment = payload.get("payment") or "invoice"
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, household_id)
        if payment == "wallet":
            await _pay_from_wallet(uow, tenant, payload, days, now=now)
            return
        if not days:
            return
        await bookings_store.record_booked(uow.conn, tenant, days)
        activity, charges = await _priced(uow, tenant, household_id, days)
        if activity is None or not charges:
            return
        due_date = None
        if payment == "at_booking":  # paid by card before the hold ends: invoiced now
            grace_until = None
            if payload.get("payment_due_at") is not None:
                due_date = max(local_date(now), local_date(payload["payment_due_at"]))
        invoices = []
        for payer_id in sorted({c["payer_id"] for c in charges}, key=str):
            invoice = await store.basket_draft(
                uow.conn,
                tenant,
                payload["basket_id"],
                activity["regie_id"],
                household_id,
                payer_id,
                grace_until or now,
            )
            for charge in charges:
                if charge["payer_id"] == payer_id:
                    charge["invoice_id"] = invoice["id"]
            invoices.append(invoice)
        await store.insert_charges(uow.conn, tenant, charges)
        if grace_until is None:
            await finalise_invoices(uow, invoices, now=now, due_date=due_date)


async def _pay_from_wallet(
    uow: UnitOfWork,
    tenant: str,
    payload: dict[str, Any],
    days: list[dict[str, Any]],
    *,
    now: datetime,
) -> None:
    """The days paid from the household's wallet, or nothing at all. The wallet's row is
    locked first: the household's baskets are decided one at a time, each on the balance the
    previous one left."""
    household_id = payload["household_id"]
    held = await wallet.lock_in(uow, tenant, household_id)
    if await wallet.answered_again_in(uow, tenant, payload):
        return
    balance = held["balance_cents"] if held is not None else None
    activity, charges = await _priced(uow, tenant, household_id, days) if days else (None, [])
    due = await wallet.due_in(uow, tenant, activity["regie_id"], charges) if charges else 0
    refused = wallet_rules.refusal(balance, due)
    if refused is not None:
        await wallet.refuse_in(
            uow, tenant, payload, reason=refused, balance_cents=balance or 0, due_cents=due, now=now
        )
        return
    assert balance is not None
    if days:
        await bookings_store.record_booked(uow.conn, tenant, days)
    invoices: list[dict[str, Any]] = []
    if activity is not None and charges:
        # A draft of its own per payer, outside the basket's (which may gather days paid
        # otherwise), issued at once: the wallet pays exactly these days.
        drafts = {}
        for payer_id in sorted({c["payer_id"] for c in charges}, key=str):
            drafts[payer_id] = await store.new_draft(
                uow.conn, tenant, activity["regie_id"], household_id, "basket", payer_id
            )
        for charge in charges:
            charge["invoice_id"] = drafts[charge["payer_id"]]["id"]
        await store.insert_charges(uow.conn, tenant, charges)
        invoices = await finalise_invoices(uow, list(drafts.values()), now=now)
    await wallet.debit_in(uow, tenant, payload, invoices, balance_cents=balance, now=now)


async def waiting_list_promoted(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], *, now: datetime
) -> None:
    """A day booked from the waiting list: invoiced on its own, at once."""
    dates = [
        {"booking_id": payload["booking_id"], "date": payload["date"], "late": payload["late"]}
    ]
    days = _days({**payload, "basket_id": None}, dates)
    household_id = payload["household_id"]
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, household_id)
        await bookings_store.record_booked(uow.conn, tenant, days)
        activity, charges = await _priced(uow, tenant, household_id, days)
        if activity is None or not charges:
            return
        invoices = []
        for payer_id in sorted({c["payer_id"] for c in charges}, key=str):
            invoice = await store.new_draft(
                uow.conn, tenant, activity["regie_id"], household_id, "basket", payer_id
            )
            for charge in charges:
                if charge["payer_id"] == payer_id:
                    charge["invoice_id"] = invoice["id"]
            invoices.append(invoice)
        await store.insert_charges(uow.conn, tenant, charges)
        await finalise_invoices(uow, invoices, now=now)


async def reservation_cancelled(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], *, now: datetime
) -> list[dict[str, Any]]:
    """The days are no longer billable unless `charged`; charged days of issued invoices
    are credited (a credit note per régie and payer), days still on a draft leave it."""
    days = _days(payload, payload["dates"])
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, payload["household_id"])
        if not days:
            return []
        # The household's wallet before its days, as the saga takes them (no deadlock).
        await wallet.lock_in(uow, tenant, payload["household_id"])
        await bookings_store.record_cancelled(uow.conn, tenant, days, charged=payload["charged"])
        if payload["charged"]:
            return []
        who = "la famille" if payload["cancelled_by"] == "family" else "la collectivité"
        reason = f"Annulation par {who}" + (f" : {payload['reason']}" if payload["reason"] else "")
        booking_ids = [d["booking_id"] for d in days]
        refunded = await wallet.refund_days_in(
            uow, tenant, payload["household_id"], booking_ids, reason=reason, now=now
        )
        return refunded + await credit_days(uow, tenant, booking_ids, reason=reason, now=now)


async def hold_released(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], *, now: datetime
) -> list[dict[str, Any]]:
    """Days booking held for payment and released: no longer booked; what was invoiced for
    them is credited (nothing invoiced: nothing to do; released again: nothing more). Days
    the wallet paid go back to it; otherwise the credit note settles the unpaid invoice it
    credits, so that the invoice is not reminded, and a card payment arriving after the
    release becomes the payer's credit (apply_payment_in's rule)."""
    days = _days(payload, payload["dates"])
    household_id = payload["household_id"]
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, household_id)
        if not days:
            return []
        await wallet.lock_in(uow, tenant, household_id)  # as above: the wallet first
        await bookings_store.record_cancelled(uow.conn, tenant, days, charged=False)
        reason = wallet_rules.release_reason(payload["reason"])
        booking_ids = [d["booking_id"] for d in days]
        refunded = await wallet.refund_days_in(
            uow, tenant, household_id, booking_ids, reason=reason, now=now
        )
        notes = await credit_days(uow, tenant, booking_ids, reason=reason, now=now)
        for note in notes:
            await _settle_with_credit(uow, tenant, note, now=now)
    return refunded + notes


async def _settle_with_credit(
    uow: UnitOfWork, tenant: str, note: dict[str, Any], *, now: datetime
) -> None:
    """The credit note deducted from the invoices whose days it credits, up to what each
    still owes (the payer is locked by the credit note's issue): an `allocation` entry."""
    available = note["total_cents"]
    entries = []
    for credited in await wallet_store.credited_invoices(uow.conn, note["id"]):
        invoice = await store.get_invoice(uow.conn, tenant, credited["invoice_id"])
        assert invoice is not None
        take = min(available, credited["amount_cents"], invoice["remaining_cents"])
        if take <= 0:
            continue
        available -= take
        entries.append(
            {
                "tenant": tenant,
                "regie_id": note["regie_id"],
                "payer_id": note["payer_id"],
                "household_id": note["household_id"],
                "kind": "allocation",
                "document_id": invoice["id"],
                "related_id": note["id"],
                "amount_cents": take,
                "at": now,
            }
        )
    if entries:
        await credits_store.append_ledger(uow.conn, entries)


async def finalise_due(make_uow: Callable[[], UnitOfWork], *, now: datetime, wall: datetime) -> int:
    """Finalise the prepaid drafts whose grace ended before `wall` (real time); dates come
    from `now` (the service's clock). Returns how many drafts were handled."""
    uow = make_uow()
    async with uow:
        due = await store.due_basket_invoices(uow.conn, wall, 500)
        await finalise_invoices(uow, due, now=now)
    return len(due)
