"""The background finaliser of prepaid baskets' invoices: every few tenths of a second it
finalises the drafts whose grace has passed (`usecases.prepaid.finalise_due`), at once again
while there are some. Several processes may run it: each takes the drafts the others do not
hold (SKIP LOCKED)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import prepaid
from shared.periodic import Job, periodic_jobs
from shared.uow import unit_of_work


async def _finalise(app: web.Application) -> int:
    return await prepaid.finalise_due(
        lambda: unit_of_work(app), now=app[CLOCK].now(), wall=datetime.now(UTC)
    )


finaliser_context = periodic_jobs(
    "basket-invoice-finaliser",
    [Job("basket_invoices_finalised", _finalise)],
    lambda app: app[SETTINGS].basket_invoice_sweep_seconds,
    busy_again=True,
)
