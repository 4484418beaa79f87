"""The background finaliser stops when the service stops, even when the cancellation lands
in the middle of a query and comes back as another error (asyncpg's rollback of a busy
connection does that)."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from billing import finaliser
from billing.settings import SETTINGS, BillingSettings
from billing.state import CLOCK, Clock
from billing.usecases import prepaid


async def test_the_finaliser_stops_even_when_a_cancelled_query_fails_otherwise(monkeypatch):
    started = asyncio.Event()

    async def busy_query(*_, **__):
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            raise RuntimeError(
                "cannot perform operation: another operation is in progress"
            ) from None
        return 0

    monkeypatch.setattr(prepaid, "finalise_due", busy_query)
    app = web.Application()
    app[SETTINGS] = BillingSettings.from_env({}, basket_invoice_sweep_seconds=0.05)
    app[CLOCK] = Clock()
    context = finaliser.finaliser_context(app)
    await anext(context)
    await asyncio.wait_for(started.wait(), 5)
    with contextlib.suppress(StopAsyncIteration):
        await asyncio.wait_for(anext(context), 5)
