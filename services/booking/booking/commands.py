"""Operator commands of the booking service (besides the shared ones of `shared.cli`).

python -m booking release-expired-holds   # once: release the held days whose time ran out
python -m booking emit-reminders          # once: emit the deadline reminders due now
python -m booking expire-offers           # once: lapse the waiting-list offers past expiry
python -m booking allocate-windows        # once: allocate the opening windows closed

The running service's sweeper does the same every BOOKING_HOLD_SWEEP_SECONDS; the commands
are for an operator who stopped it, or wants it done now. Prints the count as JSON (exit 0), or
`error: ...` (exit 1). The events it raises leave through the outbox (the service's relay).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg

from booking.settings import BookingSettings
from booking.usecases import holds, offers, reminders
from booking.usecases import windows as opening_windows
from booking.usecases.capacity import OFFER_LINKS
from shared import db
from shared.http.app import Command
from shared.uow import UnitOfWork

Round = Callable[[Callable[[], UnitOfWork], BookingSettings, datetime], Awaitable[dict[str, int]]]


def _once(round_: Round) -> Callable[[BookingSettings, argparse.Namespace], int]:
    """A command that runs one round of a sweeper job on its own pool, now, and prints its
    counts as JSON (exit 0), or `error: ...` (exit 1)."""

    async def run(settings: BookingSettings) -> dict[str, int]:
        # The accept links of offers made in the round (a place passed on) point to this portal.
        OFFER_LINKS.portal_url = settings.portal_url
        pool = await db.create_pool(settings)
        try:
            return await round_(
                lambda: UnitOfWork.on(pool, producer=settings.service),
                settings,
                datetime.now(UTC),
            )
        finally:
            await pool.close()

    def command(settings: BookingSettings, _: argparse.Namespace) -> int:
        try:
            counts = asyncio.run(run(settings))
        except (OSError, asyncpg.PostgresError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(json.dumps(counts))
        return 0

    return command


async def _released(
    make_uow: Callable[[], UnitOfWork], _: BookingSettings, now: datetime
) -> dict[str, int]:
    return {"released": await holds.release_expired(make_uow, now=now)}


async def _reminded(
    make_uow: Callable[[], UnitOfWork], settings: BookingSettings, now: datetime
) -> dict[str, int]:
    week = await reminders.emit_week_reminders(make_uow, now=now, hours=settings.reminder_hours)
    basket = await reminders.emit_basket_reminders(
        make_uow, now=now, hours=settings.basket_reminder_hours
    )
    return {"week": week, "basket": basket}


async def _expired(
    make_uow: Callable[[], UnitOfWork], _: BookingSettings, now: datetime
) -> dict[str, int]:
    return {"expired": await offers.expire_offers(make_uow, now=now)}


async def _allocated(
    make_uow: Callable[[], UnitOfWork], _: BookingSettings, now: datetime
) -> dict[str, int]:
    return {"allocated": await opening_windows.allocate_due(make_uow, now=now)}


release_expired_holds = _once(_released)
emit_reminders = _once(_reminded)
expire_offers = _once(_expired)
allocate_windows = _once(_allocated)


COMMANDS: dict[str, Command] = {
    "allocate-windows": Command(
        help="allocate now the opening windows closed and not allocated yet (issue 18);"
        " the service's sweeper does it every BOOKING_HOLD_SWEEP_SECONDS",
        run=allocate_windows,
    ),
    "expire-offers": Command(
        help="expire now the waiting-list offers not accepted in time (each place passes to"
        " the next waiting child, or is freed); the service's sweeper does it every"
        " BOOKING_HOLD_SWEEP_SECONDS",
        run=expire_offers,
    ),
    "release-expired-holds": Command(
        help="release now the days held for a payment at booking whose time ran out (the"
        " waiting list moves up); the service's sweeper does it every"
        " BOOKING_HOLD_SWEEP_SECONDS",
        run=release_expired_holds,
    ),
    "emit-reminders": Command(
        help="emit now the deadline reminders due (next week's school days not booked,"
        " open baskets not validated), each once; the service's sweeper does it every"
        " BOOKING_HOLD_SWEEP_SECONDS",
        run=emit_reminders,
    ),
}
