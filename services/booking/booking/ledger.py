"""The ledger: where basket validations read their baskets and take their places.

One interface, two ways, chosen once at app setup (`BOOKING_GROUP_COMMIT`): `DirectLedger`
gives each validation its own read and its own transaction; `GroupedLedger`
(`group_commit.py`) puts it together with the other validations this process runs at the
same moment, one read and one statement per group. The validation use case
(`usecases/baskets.py`) reads the same with either; what they write is the same
(`usecases/capacity.take_places`, one statement that is its own transaction) for one
basket or for a group.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from typing import Any, Protocol

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from booking import store
from booking.state import LEDGER
from booking.usecases import capacity
from booking.usecases.capacity import Placement
from shared.keys import METRICS, POOL


class Ledger(Protocol):
    """What the validation use case reads and writes through, whichever way is installed."""

    def start(self, pool: asyncpg.Pool, registry: CollectorRegistry | None = None) -> None: ...

    async def stop(self) -> None: ...

    async def basket_facts(self, tenant: str, basket_id: uuid.UUID) -> list[store.Row]:
        """`store.basket_facts`: the basket and its lines with what validating needs."""
        ...

    async def activities(self, tenant: str, ids: Collection[uuid.UUID]) -> list[store.Row]:
        """`store.activities`: the rows of the tenant's activities among `ids`."""
        ...

    async def wallet_active(self, tenant: str, household_id: uuid.UUID) -> bool:
        """`store.wallet_active`: read only for a basket with days paid from the wallet."""
        ...

    async def basket_answer(self, tenant: str, basket_id: uuid.UUID) -> store.Row | None:
        """`store.basket_answer`: read only when a validation finds its basket validated."""
        ...

    async def take_places(self, placement: Placement) -> capacity.Taken | None:
        """`capacity.take_places` for this basket, committed: its outcomes (one per
        addition) and counts, or None when it was no longer open (nothing written)."""
        ...


class DirectLedger:
    """Each validation reads on its own and takes its places in its own transaction."""

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("ledger not started")
        return self._pool

    def start(self, pool: asyncpg.Pool, registry: CollectorRegistry | None = None) -> None:
        self._pool = pool

    async def stop(self) -> None:
        self._pool = None

    async def basket_facts(self, tenant: str, basket_id: uuid.UUID) -> list[store.Row]:
        return await store.basket_facts(self.pool, tenant, basket_id)

    async def activities(self, tenant: str, ids: Collection[uuid.UUID]) -> list[store.Row]:
        return await store.activities(self.pool, tenant, ids=ids)

    async def wallet_active(self, tenant: str, household_id: uuid.UUID) -> bool:
        return await store.wallet_active(self.pool, tenant, household_id)

    async def basket_answer(self, tenant: str, basket_id: uuid.UUID) -> store.Row | None:
        return await store.basket_answer(self.pool, tenant, basket_id)

    async def take_places(self, placement: Placement) -> capacity.Taken | None:
        (taken,) = await capacity.take_places(self.pool, [placement])
        return taken


async def ledger_context(app: web.Application) -> AsyncIterator[Any]:
    """Starts the ledger once the pool exists; stops it after the last request."""
    app[LEDGER].start(app[POOL], app[METRICS].registry)
    yield
    await app[LEDGER].stop()
