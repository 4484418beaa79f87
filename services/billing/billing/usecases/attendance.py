"""Attendance as booking records it (pointage) and absences it accepts: what postpaid
campaigns from attendance bill, with each activity's rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from billing.store import bookings as bookings_store
from billing.store import catalog as catalog_store
from billing.store import families as families_store
from billing.usecases.documents import credit_days
from shared.uow import UnitOfWork


async def attendance_recorded(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], occurred_at: datetime
) -> None:
    """The latest mark of a day wins (events may come out of order)."""
    async with uow:
        names = {}
        for mark in payload["marks"]:
            if mark["child_id"] not in names:
                child = await families_store.get_child(uow.conn, tenant, mark["child_id"])
                names[mark["child_id"]] = child["first_name"] if child else "Enfant"
        marks = [
            {
                **mark,
                "child_name": names[mark["child_id"]],
                "activity_id": payload["activity_id"],
                "activity_name": payload["activity_name"],
                "day": payload["date"],
            }
            for mark in payload["marks"]
        ]
        for household_id in {m["household_id"] for m in marks}:
            await families_store.ensure_household(uow.conn, tenant, household_id)
        await bookings_store.record_attendance(uow.conn, tenant, marks, occurred_at)


async def absence_justified(
    uow: UnitOfWork, tenant: str, payload: dict[str, Any], *, now: datetime
) -> None:
    """Not billed (unless the activity's rules bill justified absences): a day already
    invoiced (prepaid, or a finalised campaign) is credited."""
    async with uow:
        await families_store.ensure_household(uow.conn, tenant, payload["household_id"])
        await bookings_store.record_justified(
            uow.conn,
            tenant,
            {
                "booking_id": payload["booking_id"],
                "household_id": payload["household_id"],
                "child_id": payload["child_id"],
                "child_name": payload["child_first_name"],
                "activity_id": payload["activity_id"],
                "activity_name": payload["activity_name"],
                "day": payload["date"],
                "late": payload["late"],
            },
        )
        activity = await catalog_store.get_activity(uow.conn, tenant, payload["activity_id"])
        if activity is not None and not activity["bill_absent_justified"]:
            await credit_days(
                uow, tenant, [payload["booking_id"]], reason="Absence justifiée", now=now
            )
