"""The background sender of reminders: at start, then every `REMINDER_SWEEP_SECONDS` (0: by
the command or by staff only), it sends the reminders due today to every tenant's invoices
(`usecases.reminders.send_reminders`). Several processes may run it: each reminder is
recorded once per invoice and level, and a chunk's invoices another process holds are
skipped (it is reminding them)."""

from __future__ import annotations

from aiohttp import web

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import reminders
from shared.keys import POOL
from shared.periodic import Job, periodic_jobs
from shared.uow import unit_of_work


async def _send_reminders(app: web.Application) -> int:
    run = await reminders.send_reminders(
        lambda: unit_of_work(app),
        app[POOL],
        now=app[CLOCK].now(),
        batch_size=app[SETTINGS].reminder_batch_size,
    )
    return len(run.reminders)


reminder_sweeper_context = periodic_jobs(
    "reminder-sweeper",
    [Job("reminders_sent", _send_reminders)],
    lambda app: app[SETTINGS].reminder_sweep_seconds,
)
