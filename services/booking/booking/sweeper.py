"""The background sweeper: every `BOOKING_HOLD_SWEEP_SECONDS` it runs each periodic job of
the service (`JOBS`), e.g. releasing the days held for a payment at booking whose time ran
out (`usecases.holds.release_expired`): their places go to the waiting list. Several
processes may run it: every job is written so that what one process did is no longer to do
for the others (each re-reads, under lock, the rows it changes)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from booking.settings import SETTINGS
from booking.state import CLOCK
from booking.usecases import holds, offers, reminders
from booking.usecases import windows as opening_windows
from shared.logging import get_logger
from shared.uow import unit_of_work

log = get_logger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: `run(app)` does one round and says how many things it did."""

    name: str
    run: Callable[[web.Application], Awaitable[int]]


async def _release_expired_holds(app: web.Application) -> int:
    return await holds.release_expired(lambda: unit_of_work(app), now=app[CLOCK].now())


async def _expire_offers(app: web.Application) -> int:
    return await offers.expire_offers(lambda: unit_of_work(app), now=app[CLOCK].now())


async def _emit_reminders(app: web.Application) -> int:
    settings = app[SETTINGS]
    return await reminders.emit_reminders(
        lambda: unit_of_work(app),
        now=app[CLOCK].now(),
        week_hours=settings.reminder_hours,
        basket_hours=settings.basket_reminder_hours,
    )


async def _allocate_windows(app: web.Application) -> int:
    return await opening_windows.allocate_due(lambda: unit_of_work(app), now=app[CLOCK].now())


JOBS: list[Job] = [
    Job("expired_holds_released", _release_expired_holds),
    Job("offers_expired", _expire_offers),
    Job("reminders_emitted", _emit_reminders),
    Job("windows_allocated", _allocate_windows),
]


async def _run(app: web.Application, stop: asyncio.Event) -> None:
    pause = app[SETTINGS].hold_sweep_seconds
    while not stop.is_set():
        for job in JOBS:
            if stop.is_set():
                break
            try:
                done = await job.run(app)
                if done:
                    log.info(job.name, count=done)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A cancellation landing mid-query may come back as another error (the
                # rollback of a busy connection): `stop` ends the loop all the same.
                if stop.is_set():
                    break
                log.warning("sweep_failed", job=job.name, error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)


async def hold_sweeper_context(app: web.Application) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(_run(app, stop), name="sweeper")
    yield
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
