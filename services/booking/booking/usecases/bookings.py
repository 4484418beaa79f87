"""Cancellations: one booking (a family before the cancellation deadline, staff at any time),
or the cancellation lines of a basket being validated. A booked place given back goes to the
waiting list (`capacity.give_back_place`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from booking import store
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.baskets import Line, Validation
from booking.domain.errors import (
    BookingNotFound,
    CancellationLocked,
    ChildNotFound,
    NotCancellable,
)
from booking.usecases.capacity import give_back_place, withdraw_offer
from shared.uow import UnitOfWork


async def booking_for(
    conn: store.Conn, tenant: str, actor: Actor, booking_id: uuid.UUID
) -> dict[str, Any]:
    """The booking, when the actor may act on it (its family, or staff)."""
    booking = await store.get_booking(conn, tenant, booking_id)
    if booking is None or not actor.may_act_for(booking["household_id"]):
        raise BookingNotFound()
    return booking


async def cancel_booking(
    uow: UnitOfWork,
    tenant: str,
    booking_id: uuid.UUID,
    actor: Actor,
    *,
    reason: str | None,
    charged: bool,
    now: datetime,
) -> dict[str, Any]:
    """Cancel one booking. `charged` (staff only): billing keeps the day charged."""
    async with uow:
        booking = await booking_for(uow.conn, tenant, actor, booking_id)
        activity_row = await store.get_activity(uow.conn, tenant, booking["activity_id"])
        child = await store.get_child(uow.conn, tenant, booking["child_id"])
        if activity_row is None or child is None:
            raise ChildNotFound()
        activity = Activity.from_row(activity_row)
        if (
            not actor.staff
            and booking["status"] == "booked"
            and not activity.deadlines.cancellable(booking["day"], now)
        ):
            raise CancellationLocked()
        await store.lock_day(uow.conn, activity.id, booking["day"])
        row = await store.cancel_booking(
            uow.conn, booking["id"], by=actor.account_id, reason=reason, now=now
        )
        if row is None:
            raise NotCancellable()
        if row["previous_status"] == "booked":
            uow.emit(
                "booking.ReservationCancelled",
                {
                    **who(activity, child, actor.account_id),
                    "basket_id": None,
                    "dates": [{"booking_id": row["id"], "date": row["day"], "late": row["late"]}],
                    "cancelled_by": "staff" if actor.staff else "family",
                    "reason": reason,
                    "charged": charged if actor.staff else False,
                },
                tenant=tenant,
            )
            await give_back_place(uow, activity, row["day"], tenant=tenant, now=now)
        else:  # leaving the waiting list: an offer it had passes on
            await withdraw_offer(uow, activity, row, tenant=tenant, now=now)
    return row


async def cancel_lines(uow: UnitOfWork, validation: Validation, now: datetime) -> None:
    """The cancellation lines of a basket being validated (the caller holds their day rows):
    each booking still live is cancelled; a booked place goes to the waiting list."""
    for line in validation.cancellations:
        assert line.booking_id is not None
        row = await store.cancel_booking(
            uow.conn, line.booking_id, by=validation.basket.account_id, reason=None, now=now
        )
        if row is None:
            line.refuse("not_booked")
            continue
        line.outcome, line.late = "cancelled", row["late"]
        activity = validation.activities[line.activity_id]
        tenant = validation.basket.tenant
        if row["previous_status"] == "booked":
            await give_back_place(uow, activity, line.day, tenant=tenant, now=now)
        else:
            line.reason = "was_waiting"
            await withdraw_offer(uow, activity, row, tenant=tenant, now=now)


def emit_cancellations(uow: UnitOfWork, validation: Validation) -> None:
    """One ReservationCancelled per child and activity whose booked days were cancelled (the
    waiting list's events for the places given back were raised as they were given back,
    by `capacity.fill_free_places`)."""
    basket = validation.basket
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[Line]] = defaultdict(list)
    for line in validation.cancellations:
        groups[(line.child_id, line.activity_id)].append(line)
    for (child_id, activity_id), lines in groups.items():
        activity = validation.activities[activity_id]
        cancelled = [x for x in lines if x.outcome == "cancelled" and x.reason != "was_waiting"]
        if cancelled:
            uow.emit(
                "booking.ReservationCancelled",
                {
                    **who(activity, validation.children[child_id], basket.account_id),
                    "basket_id": basket.id,
                    "dates": [
                        {"booking_id": x.booking_id, "date": x.day, "late": x.late}
                        for x in cancelled
                    ],
                    "cancelled_by": "staff" if basket.by_staff else "family",
                    "reason": None,
                    "charged": False,
                },
                tenant=basket.tenant,
            )
