"""An account's email preferences: whether it gets the week reminders before the booking
deadline (booking.BookingReminderDue). On until the account turns them off."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from notify import store
from shared.uow import UnitOfWork


async def preferences(conn: store.Conn, tenant: str, account_id: uuid.UUID) -> dict[str, Any]:
    return {"booking_reminders": await store.booking_reminders(conn, tenant, account_id)}


async def set_preferences(
    uow: UnitOfWork, tenant: str, account_id: uuid.UUID, data: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    async with uow:
        wanted = await store.set_booking_reminders(
            uow.conn, tenant, account_id, data["booking_reminders"], now
        )
    return {"booking_reminders": wanted}
