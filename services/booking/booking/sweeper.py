"""The background sweeper: every `BOOKING_HOLD_SWEEP_SECONDS` it runs each periodic job of
the service (`JOBS`), e.g. releasing the days held for a payment at booking whose time ran
out (`usecases.holds.release_expired`): their places go to the waiting list. Several
processes may run it (`shared.periodic`)."""

from __future__ import annotations

from aiohttp import web

from booking.settings import SETTINGS
from booking.state import CLOCK
from booking.usecases import holds, offers, reminders
from booking.usecases import windows as opening_windows
from shared.periodic import Job, periodic_jobs
from shared.uow import unit_of_work


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


hold_sweeper_context = periodic_jobs(
    "sweeper", JOBS, lambda app: float(app[SETTINGS].hold_sweep_seconds)
)
