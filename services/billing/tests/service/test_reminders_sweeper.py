"""The background sweeper sends the reminders due without anyone asking, once each."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from billing.settings import BillingSettings
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=0,
        basket_invoice_sweep_seconds=0.1,
        reminder_sweep_seconds=0.2,
    )


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    keys = ["billing.InvoiceIssued", "billing.InvoiceReminded"]
    async with EventTap(AMQP_URL, bus_namespace.name, keys) as tap:
        yield tap


async def test_the_sweeper_sends_reminders_on_its_own(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/reminder-schedule",
        billing.staff(),
        {"offsets_days": [10, 25]},
    )
    lea = await billing.kid(qf=900)
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 3)))
    (issued,) = await billing.events("billing.InvoiceIssued")
    await asyncio.sleep(0.5)  # sweeps on 1 September: not late yet
    assert billing.tap.of_type("billing.InvoiceReminded") == []
    billing.at(datetime(2026, 9, 11, 6, 0, tzinfo=UTC))
    (event,) = await billing.events("billing.InvoiceReminded")
    payload = event["payload"]
    assert (payload["invoice_id"], payload["level"], payload["last"]) == (
        issued["payload"]["invoice_id"],
        1,
        False,
    )
    await asyncio.sleep(0.6)  # a few more sweeps: nothing twice

    async def counted() -> int:
        return await billing.pool.fetchval("SELECT count(*) FROM invoice_reminders")

    assert await counted() == 1
    assert len(billing.tap.of_type("billing.InvoiceReminded")) == 1
    billing.at(datetime(2026, 9, 26, 6, 0, tzinfo=UTC))
    await eventually(lambda: _at_least(counted, 2))
    events = await billing.events("billing.InvoiceReminded", 2)
    assert [(e["payload"]["level"], e["payload"]["last"]) for e in events] == [
        (1, False),
        (2, True),
    ]


async def _at_least(count: Callable[[], Any], n: int) -> bool:
    return await count() >= n
