"""The background sweeper of held days: every `BOOKING_HOLD_SWEEP_SECONDS` it releases the
days held for a payment at booking whose time ran out (`usecases.holds.release_expired`):
their places go to the waiting list. Several processes may run it: a day released by one is
no longer held for the others (each release re-reads the bookings it locks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from booking.settings import SETTINGS
from booking.state import CLOCK
from booking.usecases import holds
from shared.logging import get_logger
from shared.uow import unit_of_work

log = get_logger(__name__)


async def _run(app: web.Application, stop: asyncio.Event) -> None:
    pause = app[SETTINGS].hold_sweep_seconds
    while not stop.is_set():
        try:
            released = await holds.release_expired(lambda: unit_of_work(app), now=app[CLOCK].now())
            if released:
                log.info("expired_holds_released", count=released)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # A cancellation landing mid-query may come back as another error (the
            # rollback of a busy connection): `stop` ends the loop all the same.
            if stop.is_set():
                break
            log.warning("expired_holds_not_released", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)


async def hold_sweeper_context(app: web.Application) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(_run(app, stop), name="hold-sweeper")
    yield
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
