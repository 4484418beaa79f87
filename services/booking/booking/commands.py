"""Operator commands of the booking service (besides the shared ones of `shared.cli`).

python -m booking release-expired-holds   # once: release the held days whose time ran out

The running service's sweeper does the same every BOOKING_HOLD_SWEEP_SECONDS; the command is
for an operator who stopped it, or wants it done now. Prints the count as JSON (exit 0), or
`error: ...` (exit 1). The events it raises leave through the outbox (the service's relay).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

import asyncpg

from booking.settings import BookingSettings
from booking.usecases import holds
from shared import db
from shared.http.app import Command
from shared.uow import UnitOfWork


async def _release_expired(settings: BookingSettings) -> int:
    pool = await db.create_pool(settings)
    try:
        return await holds.release_expired(
            lambda: UnitOfWork.on(pool, producer=settings.service), now=datetime.now(UTC)
        )
    finally:
        await pool.close()


def release_expired_holds(settings: BookingSettings, _: argparse.Namespace) -> int:
    try:
        released = asyncio.run(_release_expired(settings))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"released": released}))
    return 0


COMMANDS: dict[str, Command] = {
    "release-expired-holds": Command(
        help="release now the days held for a payment at booking whose time ran out (the"
        " waiting list moves up); the service's sweeper does it every"
        " BOOKING_HOLD_SWEEP_SECONDS",
        run=release_expired_holds,
    ),
}
