"""Grouping of the opening rush's database work: the baskets this process validates at the
same moment share one read (`GroupRead`) and one write (`GroupCommit`).

On the opening morning every basket wants the same day row: one at a time, each holds that
row's lock through its own commit, and the others queue on it. In groups, the row is locked
once per group and a group costs one commit (migration 0009), so the more families arrive at
once, the larger the groups and the higher the throughput. Their reads are grouped the same
way: one query and one round trip for all the baskets whose validation starts while the
previous read is out. A lone basket goes out at once, as a group of one.

The order of arrival at the writer is the order of the waiting list. If a group's write
fails, its baskets are written one by one, so that one basket's error is its answer alone.
Each grouping keeps one connection while it has work: under the rush the pool's other
connections are busy, and the groups must not queue behind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from typing import Generic, TypeVar

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Histogram

from booking import store
from shared.keys import METRICS, POOL
from shared.logging import get_logger

log = get_logger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")
Outcomes = list[str] | None


class _Grouping(Generic[Item, Result]):
    """Items submitted while a group is out wait, and go together as the next group."""

    name = "grouping"
    what = "Items"

    def __init__(self, max_items: int) -> None:
        self.max_items = max_items
        self._pool: asyncpg.Pool | None = None
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self.groups = 0  # groups done, and items in them
        self.items = 0
        self._sizes: Histogram | None = None
        self._seconds: Histogram | None = None

    def start(self, pool: asyncpg.Pool, registry: CollectorRegistry | None = None) -> None:
        self._pool = pool
        if registry is not None:  # an operator sees the groups grow with the rush
            self._sizes = Histogram(
                f"booking_{self.name}_size",
                f"{self.what} per group",
                buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
                registry=registry,
            )
            self._seconds = Histogram(
                f"booking_{self.name}_seconds",
                "Time to read or write a group",
                buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
                registry=registry,
            )
        self._worker = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        self._fail(self._waiting, ConnectionError("service stopping"))
        self._waiting = []

    async def _submit(self, item: Item) -> Result:
        if self._worker is None:
            raise RuntimeError(f"{self.name} not started")
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._wake.set()
        return await future

    def _size(self, item: Item) -> int:
        """What an item weighs against `max_items`."""
        return 1

    def _next_group(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        count, weight = 0, 0
        for item, _ in self._waiting:
            if count and weight + self._size(item) > self.max_items:
                break
            count, weight = count + 1, weight + self._size(item)
        group, self._waiting = self._waiting[:count], self._waiting[count:]
        return group

    async def _run(self) -> None:
        assert self._pool is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._waiting:
                continue
            try:
                async with self._pool.acquire() as conn:
                    while self._waiting:
                        group = self._next_group()
                        started = time.perf_counter()
                        try:
                            await self._process(conn, group)
                        except Exception as exc:  # never lose the worker: answer every item
                            log.exception(f"{self.name}_failed")
                            self._fail(group, exc)
                            if conn.is_closed():
                                break
                        else:
                            self.groups += 1
                            self.items += len(group)
                            if self._sizes is not None and self._seconds is not None:
                                self._sizes.observe(len(group))
                                self._seconds.observe(time.perf_counter() - started)
            except Exception as exc:  # no connection: the items waiting get the error
                log.exception(f"{self.name}_no_connection")
                waiting, self._waiting = self._waiting, []
                self._fail(waiting, exc)
            if self._waiting:  # its connection broke mid-way: go on with a new one
                self._wake.set()

    async def _process(
        self, conn: asyncpg.Connection, group: list[tuple[Item, asyncio.Future[Result]]]
    ) -> None:
        raise NotImplementedError

    @staticmethod
    def _fail(group: list[tuple[Item, asyncio.Future[Result]]], exc: BaseException) -> None:
        for _, future in group:
            if not future.done():
                future.set_exception(exc)

    @staticmethod
    def _answer(future: asyncio.Future[Result], result: Result) -> None:
        if not future.done():  # the request may have been cancelled meanwhile
            future.set_result(result)


class GroupRead(_Grouping[tuple[str, uuid.UUID], list[store.Row]]):
    """`store.basket_facts` for the baskets being validated, read together."""

    name = "group_read"
    what = "Baskets read"

    def __init__(self, max_baskets: int = 200) -> None:
        super().__init__(max_baskets)

    async def basket_facts(self, tenant: str, basket_id: uuid.UUID) -> list[store.Row]:
        return await self._submit((tenant, basket_id))

    async def _process(
        self,
        conn: asyncpg.Connection,
        group: list[tuple[tuple[str, uuid.UUID], asyncio.Future[list[store.Row]]]],
    ) -> None:
        found = await store.baskets_facts(conn, [key for key, _ in group])
        for key, future in group:
            self._answer(future, found.get(key, []))


class GroupCommit(_Grouping[store.PlaceTaking, Outcomes]):
    """`store.take_places` (closing the baskets) for the baskets being validated, written
    together; at most `max_lines` lines per group (a basket alone may have more)."""

    name = "group_commit"
    what = "Baskets written"

    def __init__(self, max_lines: int = 2000) -> None:
        super().__init__(max_lines)

    async def take_places(self, item: store.PlaceTaking) -> Outcomes:
        """This basket's outcomes (or None: it was no longer open)."""
        return await self._submit(item)

    def _size(self, item: store.PlaceTaking) -> int:
        return max(1, len(item.lines))

    async def _process(
        self,
        conn: asyncpg.Connection,
        group: list[tuple[store.PlaceTaking, asyncio.Future[Outcomes]]],
    ) -> None:
        try:
            results = await store.take_places(conn, [item for item, _ in group])
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if len(group) == 1:
                raise
            log.warning("group_commit_split", baskets=len(group), error=repr(exc))
            for item, future in group:
                try:
                    (result,) = await store.take_places(conn, [item])
                except Exception as one:
                    self._fail([(item, future)], one)
                else:
                    self._answer(future, result)
            return
        for (_, future), result in zip(group, results, strict=True):
            self._answer(future, result)


GROUP_READ: web.AppKey[GroupRead] = web.AppKey("booking_group_read", GroupRead)
GROUP_COMMIT: web.AppKey[GroupCommit] = web.AppKey("booking_group_commit", GroupCommit)


async def grouping_context(app: web.Application) -> AsyncIterator[None]:
    """Starts the read and write groupings once the pool exists; stops them after the last
    request."""
    app[GROUP_READ].start(app[POOL], app[METRICS].registry)
    app[GROUP_COMMIT].start(app[POOL], app[METRICS].registry)
    yield
    await app[GROUP_COMMIT].stop()
    await app[GROUP_READ].stop()
