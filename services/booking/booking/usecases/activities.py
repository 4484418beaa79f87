"""The catalogue: activities with their opening days, capacity, eligibility and deadlines."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from booking import store
from booking.domain.activity import Activity, deadline_from, deadline_to
from booking.domain.actors import Actor
from booking.domain.days import SCHOOL_TIME_TYPES, Opening
from booking.domain.errors import ActivityNotFound, PeriodTooLong
from booking.usecases.children import child_for
from booking.usecases.tenant_settings import school_zone
from shared.errors import Forbidden
from shared.uow import UnitOfWork

# Columns copied as given from a new activity's description.
_AS_GIVEN = (
    "skip_public_holidays",
    "capacity",
    "min_age",
    "max_age",
    "grades",
    "booking_deadline",
    "cancel_deadline",
    "late_allowed",
    "requires_approval",
    "booking_mode",
    "waiting_list_mode",
    "offer_hours",
)


async def activity_row(conn: store.Conn, tenant: str, activity_id: uuid.UUID) -> dict[str, Any]:
    row = await store.get_activity(conn, tenant, activity_id)
    if row is None:
        raise ActivityNotFound()
    return row


async def activity(conn: store.Conn, tenant: str, activity_id: uuid.UUID) -> Activity:
    return Activity.from_row(await activity_row(conn, tenant, activity_id))


def activity_body(row: dict[str, Any], child: dict[str, Any] | None = None) -> dict[str, Any]:
    """An activity as the API shows it; for a child, whether it may enroll and why not."""
    parsed = Activity.from_row(row)
    body = {
        **row,
        "weekdays": sorted(row["weekdays"]),
        "closed_dates": sorted(row["closed_dates"] or []),
        "extra_dates": sorted(row["extra_dates"] or []),
        "late_deadline": row["late_deadline"],
        "opening_days": len(parsed.opening.days()),
        "closed": parsed.closed,
        "closed_at": row.get("closed_at"),
        "archived": row.get("archived_at") is not None,
        "archived_at": row.get("archived_at"),
    }
    if child is not None:
        reason = parsed.eligibility.refusal_for_period(
            child["birth_date"], child["grade"], row["period_from"], row["period_to"]
        )
        body["eligible"], body["ineligibility_reason"] = reason is None, reason
    return body


async def create_activity(
    uow: UnitOfWork,
    tenant: str,
    data: dict[str, Any],
    *,
    actor: uuid.UUID,
    max_days: int,
    default_zone: str,
) -> dict[str, Any]:
    """A school-time activity (by default those of `SCHOOL_TIME_TYPES`) closes in the school
    holidays of the tenant's zone, as it is when the activity is created."""
    if (data["period_to"] - data["period_from"]).days >= max_days:
        raise PeriodTooLong()
    school_time = data["school_time"]
    if school_time is None:
        school_time = data["type"] in SCHOOL_TIME_TYPES
    async with uow:
        zone = await school_zone(uow.conn, tenant, default_zone) if school_time else None
        opening = Opening(
            data["period_from"],
            data["period_to"],
            frozenset(data["weekdays"]),
            frozenset(data["closed_dates"]),
            data["skip_public_holidays"],
            zone,
            frozenset(data["extra_dates"]),
        )
        values = {
            "id": uuid.uuid4(),
            "tenant": tenant,
            **{k: data[k] for k in ("name", "type", "site", "period_from", "period_to")},
            "weekdays": sorted(set(data["weekdays"])),
            "closed_dates": sorted(set(data["closed_dates"])),
            "extra_dates": sorted(set(data["extra_dates"])),
            "school_time": school_time,
            "school_zone": zone,
            **{k: data[k] for k in _AS_GIVEN},
            "required_documents": list(dict.fromkeys(data["required_documents"])),
            "late_deadline": deadline_to(deadline_from(data["late_deadline"] or {})),
            "created_by": actor,
        }
        row = await store.insert_activity(uow.conn, values, opening.days())
    return activity_body(row)


async def list_activities(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    type: str | None = None,
    child_id: uuid.UUID | None = None,
    archived: bool = False,
) -> list[dict[str, Any]]:
    """The catalogue; for a child, each activity says whether the child may enroll. Archived
    activities are left out (staff may ask for them alone)."""
    child = await child_for(conn, tenant, actor, child_id) if child_id is not None else None
    rows = await store.activities(conn, tenant, type=type, archived=archived and actor.staff)
    return [activity_body(r, child) for r in rows]


async def get_activity(conn: store.Conn, tenant: str, activity_id: uuid.UUID) -> dict[str, Any]:
    return activity_body(await activity_row(conn, tenant, activity_id))


async def activity_days(
    conn: store.Conn,
    tenant: str,
    activity_id: uuid.UUID,
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Occupancy of each opening day: capacity, booked, waiting."""
    await activity_row(conn, tenant, activity_id)
    return {
        "activity_id": activity_id,
        "days": await store.occupancy(conn, activity_id, start, end),
    }


async def waiting_list(
    conn: store.Conn,
    tenant: str,
    activity_id: uuid.UUID,
    caller_may_see: Callable[[str], bool],
    start: date | None = None,
    end: date | None = None,
) -> dict[str, Any]:
    """Per opening day, the children waiting in their order (the one who gets the next
    freed place first), for staff or an animator of the activity's site."""
    row = await activity_row(conn, tenant, activity_id)
    if not caller_may_see(row["site"]):
        raise Forbidden("Cette activité n'est pas sur l'un de vos sites.")
    days: dict[date, dict[str, Any]] = {}
    for r in await store.waiting_lists(conn, activity_id, start, end):
        day = days.setdefault(
            r["day"],
            {"date": r["day"], "capacity": r["capacity"], "booked": r["booked"], "children": []},
        )
        if r["booking_id"] is not None:
            day["children"].append(
                {
                    "position": len(day["children"]) + 1,
                    **{
                        k: r[k]
                        for k in (
                            "booking_id",
                            "child_id",
                            "child_first_name",
                            "child_last_name",
                            "household_id",
                            "since",
                        )
                    },
                }
            )
    return {"activity_id": activity_id, "site": row["site"], "days": list(days.values())}
