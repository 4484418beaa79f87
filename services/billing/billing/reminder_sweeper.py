"""The background sender of reminders: at start, then every `REMINDER_SWEEP_SECONDS`, it
sends the reminders due today to every tenant's invoices (`usecases.reminders.send_reminders`).
Several processes may run it: each reminder is recorded once per invoice and level, and a
chunk's invoices another process holds are skipped (it is reminding them)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import reminders
from shared.keys import POOL
from shared.logging import get_logger
from shared.uow import unit_of_work

log = get_logger(__name__)


async def _run(app: web.Application, stop: asyncio.Event) -> None:
    settings = app[SETTINGS]
    while not stop.is_set():
        try:
            await reminders.send_reminders(
                lambda: unit_of_work(app),
                app[POOL],
                now=app[CLOCK].now(),
                batch_size=settings.reminder_batch_size,
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if stop.is_set():
                break
            log.warning("reminders_not_sent", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), settings.reminder_sweep_seconds)


async def reminder_sweeper_context(app: web.Application) -> AsyncIterator[None]:
    if app[SETTINGS].reminder_sweep_seconds <= 0:
        yield  # sent by the command or by staff only
        return
    stop = asyncio.Event()
    task = asyncio.create_task(_run(app, stop), name="reminder-sweeper")
    yield
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
