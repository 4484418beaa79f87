"""Prepaid activities: the days of a validated basket are invoiced at once [002].

booking.ReservationValidated comes once per child and activity of a basket: their days
gather on one draft invoice per basket, régie and payer (a child's billing rule may send
some days to a separated parent), finalised (numbered, billing.InvoiceIssued)
when the basket's grace has passed (`BASKET_INVOICE_GRACE_SECONDS`; 0: at once). A day is
charged once ever: a redelivered or replayed event adds nothing. A day that cannot be priced
(no grid covers it) stays unbilled: the régie's next campaign reports or bills it.

Cancelling before the deadline (booking.ReservationCancelled, not `charged`) credits the
charged days with a credit note, deducted from the payer's next invoice of the régie.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from billing import store
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
    activity = await store.get_activity(uow.conn, tenant, days[0]["activity_id"])
    if activity is None or activity["billing_mode"] != "prepaid":
        return None, []
    book = await pricing_book(uow.conn, tenant, [household_id], [activity["activity_id"]])
    # Events may come out of order: a day whose free cancellation came first is not charged.
    cancelled = await store.cancelled_bookings(uow.conn, [d["booking_id"] for d in days])
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
    async with uow:
        await store.ensure_household(uow.conn, tenant, household_id)
        if not days:
            return
        await store.record_booked(uow.conn, tenant, days)
        activity, charges = await _priced(uow, tenant, household_id, days)
        if activity is None or not charges:
            return
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
            await finalise_invoices(uow, invoices, now=now)


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
        await store.ensure_household(uow.conn, tenant, household_id)
        await store.record_booked(uow.conn, tenant, days)
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
        await store.ensure_household(uow.conn, tenant, payload["household_id"])
        if not days:
            return []
        await store.record_cancelled(uow.conn, tenant, days, charged=payload["charged"])
        if payload["charged"]:
            return []
        who = "la famille" if payload["cancelled_by"] == "family" else "la collectivité"
        reason = f"Annulation par {who}" + (f" : {payload['reason']}" if payload["reason"] else "")
        return await credit_days(
            uow, tenant, [d["booking_id"] for d in days], reason=reason, now=now
        )


async def finalise_due(make_uow: Callable[[], UnitOfWork], *, now: datetime, wall: datetime) -> int:
    """Finalise the prepaid drafts whose grace ended before `wall` (real time); dates come
    from `now` (the service's clock). Returns how many drafts were handled."""
    uow = make_uow()
    async with uow:
        due = await store.due_basket_invoices(uow.conn, wall, 500)
        await finalise_invoices(uow, due, now=now)
    return len(due)
