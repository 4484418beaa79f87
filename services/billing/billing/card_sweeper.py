"""The background poller of card payments the bank never answered: every
`CARD_PAYMENT_POLL_SECONDS` it looks at the transactions pending for more than
`CARD_PAYMENT_POLL_AFTER_MINUTES` (`usecases.card.poll_pending`): PayFIP is asked for their
status; other backends' transactions expire after `CARD_PAYMENT_EXPIRY_MINUTES`. Several
processes may run it: each transaction is settled under its row lock, once."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from aiohttp import web

from billing.settings import SETTINGS
from billing.state import CLOCK
from billing.usecases import card
from shared.keys import POOL
from shared.logging import get_logger
from shared.periodic import Job, periodic_jobs
from shared.uow import unit_of_work

log = get_logger(__name__)


async def _poll(app: web.Application) -> int:
    settings = app[SETTINGS]
    settled = await card.poll_pending(
        lambda: unit_of_work(app),
        app[POOL],
        now=app[CLOCK].now(),
        older_than=timedelta(minutes=settings.card_payment_poll_after_minutes),
        urls=card.Urls.of(settings),
    )
    if any(settled.values()):
        log.info("card_payments_settled", **settled)  # by outcome, for the operators
    return sum(settled.values())


_poller = contextlib.asynccontextmanager(
    periodic_jobs(
        "card-payment-sweeper",
        [Job("card_payments_polled", _poll)],
        lambda app: app[SETTINGS].card_payment_poll_seconds,
    )
)


async def card_sweeper_context(app: web.Application) -> AsyncIterator[None]:
    card.install(app[SETTINGS])  # a top-up started from a unit of work alone uses them
    async with _poller(app):
        yield
