"""An activity as the rules see it, built from its stored row."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from booking.domain.days import Opening
from booking.domain.deadlines import Deadline, Deadlines
from booking.domain.rules import Eligibility


def who(
    activity: Activity, child: Mapping[str, Any], account_id: uuid.UUID | None
) -> dict[str, Any]:
    """Whose booking, of what: the part every booking event's payload shares. `child` is a
    child row (`id`, `first_name`) or a booking row (`child_id`, `child_first_name`)."""
    return {
        "household_id": child["household_id"],
        "account_id": account_id,
        # A booking row has its own `id` too: its `child_id` names the child.
        "child_id": child["child_id"] if "child_id" in child else child["id"],
        "child_first_name": child["first_name"]
        if "first_name" in child
        else child["child_first_name"],
        "activity_id": activity.id,
        "activity_name": activity.name,
        "activity_type": activity.type,
        "site": activity.site,
    }


def deadline_from(data: dict[str, Any]) -> Deadline:
    at = data.get("at", "00:00")
    if isinstance(at, str):
        hours, minutes = at.split(":")
        at = time(int(hours), int(minutes))
    weekday = data.get("weekday")
    return Deadline(
        int(data.get("days_before", 0)),
        at,
        bool(data.get("working_days", False)),
        int(weekday) if weekday is not None else None,
    )


def deadline_to(deadline: Deadline) -> dict[str, Any]:
    out: dict[str, Any] = {
        "days_before": deadline.days_before,
        "at": deadline.at.strftime("%H:%M"),
        "working_days": deadline.working_days,
    }
    if deadline.weekday is not None:
        out["weekday"] = deadline.weekday
    return out


@dataclass(frozen=True)
class Activity:
    id: uuid.UUID
    name: str
    type: str
    site: str
    opening: Opening
    deadlines: Deadlines
    eligibility: Eligibility
    requires_approval: bool
    capacity: int
    required_documents: tuple[str, ...] = ()
    booking_mode: str = "free"  # or "schedule": the days are set at enrollment
    # How its days are paid (billing.ActivityPaymentSet): "invoice", or held until paid:
    # "at_booking" (for `hold_minutes`), "wallet" (until the wallet's answer).
    payment: str = "invoice"
    hold_minutes: int = 30
    closed: bool = False  # closed by staff: no new baskets, bookings or enrollments
    # How a freed place goes to the waiting list: "automatic" (the next child is booked) or
    # "offer" (the next child is offered it for `offer_hours`, working hours aware).
    waiting_list_mode: str = "automatic"
    offer_hours: int = 24

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Activity:
        return cls(
            id=row["id"],
            name=row["name"],
            type=row["type"],
            site=row["site"],
            opening=Opening(
                row["period_from"],
                row["period_to"],
                frozenset(row["weekdays"]),
                frozenset(row["closed_dates"] or ()),
                row["skip_public_holidays"],
                row["school_zone"] if row["school_time"] else None,
                frozenset(row["extra_dates"] or ()),
            ),
            deadlines=Deadlines(
                booking=deadline_from(row["booking_deadline"]),
                cancellation=deadline_from(row["cancel_deadline"]),
                late_allowed=row["late_allowed"],
                late_until=deadline_from(row["late_deadline"]),
            ),
            eligibility=Eligibility(
                row["min_age"],
                row["max_age"],
                frozenset(row["grades"]) if row["grades"] is not None else None,
            ),
            requires_approval=row["requires_approval"],
            capacity=row["capacity"],
            required_documents=tuple(row.get("required_documents") or ()),
            booking_mode=row.get("booking_mode", "free"),
            payment=row.get("payment", "invoice"),
            hold_minutes=row.get("hold_minutes", 30),
            closed=row.get("closed_at") is not None,
            waiting_list_mode=row.get("waiting_list_mode", "automatic"),
            offer_hours=row.get("offer_hours", 24),
        )
