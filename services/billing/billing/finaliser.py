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


async def _run(app: web.Application, stop: asyncio.Event) -> None:
    pause = app[SETTINGS].basket_invoice_sweep_seconds
    while not stop.is_set():
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
            # A cancellation landing mid-query may come back as another error (the
            # rollback of a busy connection): `stop` ends the loop all the same.
            if stop.is_set():
                break
            log.warning("basket_invoices_not_finalised", error=repr(exc))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)


async def finaliser_context(app: web.Application) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(_run(app, stop), name="basket-invoice-finaliser")
    yield
    stop.set()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
