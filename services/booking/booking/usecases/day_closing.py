"""Staff close one day of an activity (a strike, a closed school...): the day leaves the
calendar and its bookings are cancelled, each booked one with its ReservationCancelled
(`cancelled_by` "day_closed", never charged: billing credits what was paid, notify tells the
family with the staff's reason); the children waiting that day leave the list, each with its
WaitingListCancelled (notify tells the family its waiting request is void). Closing a day
already closed changes nothing and tells no one again."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import DayNotOpen, PastDayNotClosable
from booking.usecases.activities import activity_row
from shared.uow import UnitOfWork

DAY_CLOSED = "day_closed"


async def close_day(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    actor: Actor,
    *,
    reason: str,
    now: datetime,
) -> dict[str, Any]:
    """Close `day` (today or later) of the activity, cancelling its live bookings."""
    if day < now.astimezone(PARIS).date():
        raise PastDayNotClosable()
    async with uow:
        row = await activity_row(uow.conn, tenant, activity_id)
        activity = Activity.from_row(row)
        counters = await store.lock_day(uow.conn, activity_id, day)
        if counters is None:
            if day in activity.opening.closed_dates:
                return _body(activity_id, day, reason, 0, 0, already_closed=True)
            raise DayNotOpen()
        cancelled = waiting = 0
        for booking in await store.live_bookings_of_day(uow.conn, activity_id, day):
            gone = await store.cancel_booking(
                uow.conn, booking["id"], by=actor.account_id, reason=reason, now=now
            )
            if gone is None:  # not live any more (cannot happen: the rows are locked)
                continue
            if gone["previous_status"] != "booked":
                waiting += 1
                # Nothing booked nor billed: only the family is told its request is void.
                uow.emit(
                    "booking.WaitingListCancelled",
                    {
                        **who(activity, booking, actor.account_id),
                        "booking_id": gone["id"],
                        "date": day,
                        "cancelled_by": DAY_CLOSED,
                        "reason": reason,
                    },
                    tenant=tenant,
                )
                continue
            cancelled += 1
            uow.emit(
                "booking.ReservationCancelled",
                {
                    **who(activity, booking, actor.account_id),
                    "basket_id": None,
                    "dates": [{"booking_id": gone["id"], "date": day, "late": gone["late"]}],
                    "cancelled_by": DAY_CLOSED,
                    "reason": reason,
                    "charged": False,
                },
                tenant=tenant,
            )
        # Its open offers go with the day (each waiting child is told by WaitingListCancelled).
        await store.void_day_offers(uow.conn, activity_id, day, now)
        await store.remove_days(uow.conn, activity_id, [day])
        closed = sorted(set(row["closed_dates"] or ()) | {day})
        await store.update_activity(uow.conn, tenant, activity_id, {"closed_dates": closed})
    return _body(activity_id, day, reason, cancelled, waiting, already_closed=False)


def _body(
    activity_id: uuid.UUID,
    day: date,
    reason: str,
    cancelled: int,
    waiting: int,
    *,
    already_closed: bool,
) -> dict[str, Any]:
    return {
        "activity_id": activity_id,
        "date": day,
        "reason": reason,
        "cancelled": cancelled,
        "waiting_removed": waiting,
        "already_closed": already_closed,
    }
