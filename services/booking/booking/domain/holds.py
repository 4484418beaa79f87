"""Places held until paid: which days are held, until when, and what releasing them announces.

An activity paid `at_booking` or from the `wallet` (billing.ActivityPaymentSet) has the days
that get a place held: the place is taken and counted like any booking, and billing's answer
settles it. Confirmed (paid), the booking is an ordinary one; released (not paid in time,
payment refused, the wallet could not pay), it is cancelled and its place goes to the
waiting list. A child promoted from the waiting list into a place is booked as any promoted
child is (not held): billing invoices it as usual."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from booking.domain.activity import Activity, who

# The ways of paying whose days are held until paid.
HELD_PAYMENTS = ("at_booking", "wallet")

# Why held days were released (booking.BookingHoldReleased's `reason`).
RELEASE_REASONS = ("payment_expired", "payment_refused", "insufficient_balance", "wallet_inactive")


def holds(activity: Activity) -> bool:
    """Whether the days of `activity` that get a place are held until paid."""
    return activity.payment in HELD_PAYMENTS


def due_at(activity: Activity, now: datetime) -> datetime | None:
    """When an unpaid hold of `activity` taken at `now` ends: `hold_minutes` later for
    at_booking; None for the wallet (held until the wallet's answer, which always comes)."""
    if activity.payment != "at_booking":
        return None
    return now + timedelta(minutes=activity.hold_minutes)


def released(
    rows: Iterable[Mapping[str, Any]],
    activities: Mapping[tuple[str, uuid.UUID], Activity],
    reason: str,
) -> list[tuple[str, dict[str, Any]]]:
    """The BookingHoldReleased of released bookings (as `store.release_holds` returns them):
    one per basket, child and activity, with its dates in order, and the tenant it goes to.
    The recap goes to the account that filled the basket, or to the household's accounts
    when staff filled it (`account_id` None), as for ReservationValidated."""
    if reason not in RELEASE_REASONS:
        raise ValueError(f"unknown release reason {reason!r}")
    groups: dict[tuple[str, uuid.UUID, uuid.UUID, uuid.UUID], list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (r["tenant"], r["basket_id"], r["child_id"], r["day"])):
        key = (row["tenant"], row["basket_id"], row["child_id"], row["activity_id"])
        groups.setdefault(key, []).append(row)
    out = []
    for (tenant, basket_id, _, activity_id), days in groups.items():
        first = days[0]
        account = None if first["by_staff"] else first["booked_by"]
        child = {k: first[k] for k in ("household_id", "child_id", "child_first_name")}
        out.append(
            (
                tenant,
                {
                    **who(activities[(tenant, activity_id)], child, account),
                    "basket_id": basket_id,
                    "dates": [
                        {"booking_id": d["id"], "date": d["day"], "late": d["late"]} for d in days
                    ],
                    "reason": reason,
                },
            )
        )
    return out
