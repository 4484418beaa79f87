"""Staff change an activity after its creation: its description and rules (for the days to
come: today and the past keep theirs), or close it to new bookings and reopen it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain.activity import Activity, deadline_from, deadline_to
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    BookedDaysRemoved,
    CapacityUnderFutureBookings,
    IncoherentActivity,
    PeriodTooLong,
)
from booking.usecases.activities import activity_body, activity_row
from booking.usecases.capacity import fill_free_places
from booking.usecases.tenant_settings import school_zone
from shared.uow import UnitOfWork

# What changes the opening days (recomputed after today when one of them is given).
_OPENING = (
    "period_from",
    "period_to",
    "weekdays",
    "closed_dates",
    "extra_dates",
    "skip_public_holidays",
    "school_time",
)
_AS_GIVEN = (
    "name",
    "site",
    "period_from",
    "period_to",
    "skip_public_holidays",
    "capacity",
    "min_age",
    "max_age",
    "grades",
    "late_allowed",
    "requires_approval",
    "booking_mode",
    "waiting_list_mode",
    "offer_hours",
)


def _french(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _coherent(row: dict[str, Any]) -> None:
    """The checks of creation on the activity as it would become."""
    errors = []
    if row["period_to"] < row["period_from"]:
        errors.append({"field": "period_to", "detail": "La fin de la période précède son début."})
    low, high = row["min_age"], row["max_age"]
    if low is not None and high is not None and high < low:
        errors.append(
            {"field": "max_age", "detail": "L'âge maximum est inférieur à l'âge minimum."}
        )
    if errors:
        raise IncoherentActivity(errors=errors)


async def edit_activity(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
    max_days: int,
    default_zone: str,
) -> dict[str, Any]:
    """Change the fields given. New opening rules and a new capacity apply to the days after
    today; the bookings made are kept: a day dropped from the calendar while children are
    booked or waiting on it, or a capacity under what a day already has booked, is refused
    naming these days. More places move the waiting lists up."""
    today = now.astimezone(PARIS).date()
    async with uow:
        row = await activity_row(uow.conn, tenant, activity_id)
        values: dict[str, Any] = {k: data[k] for k in _AS_GIVEN if k in data}
        for key in ("weekdays", "closed_dates", "extra_dates"):
            if key in data:
                values[key] = sorted(set(data[key]))
        for key in ("booking_deadline", "cancel_deadline", "late_deadline"):
            if key in data:
                values[key] = deadline_to(deadline_from(data[key] or {}))
        if "required_documents" in data:
            values["required_documents"] = list(dict.fromkeys(data["required_documents"]))
        if "school_time" in data and data["school_time"] != row["school_time"]:
            values["school_time"] = data["school_time"]
            values["school_zone"] = (
                await school_zone(uow.conn, tenant, default_zone) if data["school_time"] else None
            )
        after = {**row, **values}
        _coherent(after)
        if (after["period_to"] - after["period_from"]).days >= max_days:
            raise PeriodTooLong()
        days = await store.lock_days_after(uow.conn, activity_id, today)
        if any(k in data for k in _OPENING):
            await _reopen_days(uow, Activity.from_row(after), days, today, after["capacity"])
        if "capacity" in data and data["capacity"] != row["capacity"]:
            await _set_capacity(uow, tenant, Activity.from_row(after), days, data["capacity"], now)
        if values:
            row = await store.update_activity(uow.conn, tenant, activity_id, values)
    return activity_body(row)


async def _reopen_days(
    uow: UnitOfWork,
    activity: Activity,
    days: list[dict[str, Any]],
    today: date,
    capacity: int,
) -> None:
    """The opening days after today become those of the new rules; a day to drop with
    children booked or waiting is refused."""
    wanted = {d for d in activity.opening.days() if d > today}
    existing = {d["day"]: d for d in days}
    dropped = sorted(d for d in existing if d not in wanted)
    held = [d for d in dropped if existing[d]["booked"] or existing[d]["waiting"]]
    if held:
        listed = ", ".join(_french(d) for d in held)
        raise BookedDaysRemoved(
            f"Ces jours ont déjà des enfants inscrits ou en attente : {listed}. Fermez "
            "chacun de ces jours avec son motif (« Fermer un jour » : les réservations sont "
            "annulées sans facturation et les familles prévenues) ou gardez-les ouverts.",
            errors=[{"field": "weekdays", "detail": f"Jours avec des enfants : {listed}."}],
            days=[d.isoformat() for d in held],
        )
    if dropped:
        await store.remove_days(uow.conn, activity.id, dropped)
    added = sorted(wanted - set(existing))
    if added:
        await store.add_days(uow.conn, activity.id, added, capacity)


async def _set_capacity(
    uow: UnitOfWork,
    tenant: str,
    activity: Activity,
    days: list[dict[str, Any]],
    capacity: int,
    now: datetime,
) -> None:
    today = now.astimezone(PARIS).date()
    over = [d for d in days if d["booked"] > capacity]
    if over:
        listed = ", ".join(f"{_french(d['day'])} ({d['booked']} inscrits)" for d in over)
        raise CapacityUnderFutureBookings(
            f"La capacité {capacity} est inférieure aux enfants déjà inscrits : {listed}.",
            errors=[
                {
                    "field": "capacity",
                    "detail": f"Inférieure aux enfants déjà inscrits : {listed}.",
                }
            ],
            days=[d["day"].isoformat() for d in over],
        )
    await store.set_capacity_after(uow.conn, activity.id, today, capacity)
    for d in days:
        if d["waiting"] and capacity > d["booked"]:
            counters = {**d, "capacity": capacity}
            await fill_free_places(uow, activity, d["day"], counters, tenant=tenant, now=now)


async def set_closed(
    uow: UnitOfWork, tenant: str, activity_id: uuid.UUID, *, closed: bool, now: datetime
) -> dict[str, Any]:
    """Close (no new baskets, bookings or enrollments; the bookings made are kept) or reopen;
    doing it twice changes nothing."""
    async with uow:
        await activity_row(uow.conn, tenant, activity_id)
        row = await store.set_activity_closed(
            uow.conn, tenant, activity_id, now if closed else None
        )
        assert row is not None
    return activity_body(row)


async def set_archived(
    uow: UnitOfWork, tenant: str, activity_id: uuid.UUID, *, archived: bool, now: datetime
) -> dict[str, Any]:
    """Archive (out of the catalogue and the staff's list, closed: no new basket, booking or
    enrollment; what was booked is kept) or bring back (still closed: staff reopen it if
    they mean to); doing it twice changes nothing."""
    async with uow:
        await activity_row(uow.conn, tenant, activity_id)
        row = await store.set_activity_archived(
            uow.conn, tenant, activity_id, now if archived else None
        )
        assert row is not None
    return activity_body(row)
