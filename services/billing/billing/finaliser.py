"""The background finaliser of prepaid baskets' invoices: every few tenths of a second it
finalises the drafts whose grace has passed (`usecases.prepaid.finalise_due`). Several
processes may run it: each takes the drafts the others do not hold (SKIP LOCKED)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from aiohttp import web

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import prepaid
from shared.logging import get_logger
from shared.uow import unit_of_work

log = get_logger(__name__)


async def _run(app: web.Application) -> None:
    pause = app[SETTINGS].basket_invoice_sweep_seconds
    while True:
        try:
            done = await prepaid.finalise_due(
                lambda: unit_of_work(app), now=app[CLOCK].now(), wall=datetime.now(UTC)
            )
            if done:
                log.info("basket_invoices_finalised", count=done)
                continue
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("basket_invoices_not_finalised", error=repr(exc))
        await asyncio.sleep(pause)


async def finaliser_context(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_run(app), name="basket-invoice-finaliser")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
