"""Grouping of the opening rush's database work: the baskets this process validates at the
same moment share one read (`GroupRead`) and one write (`GroupCommit`), behind the ledger
interface (`GroupedLedger`, see `ledger.py`).

On the opening morning every basket wants the same day row: one at a time, each holds that
row's lock through its own commit, and the others queue on it. In groups, the row is locked
once per group and a group costs one commit (`usecases/capacity.take_places`, migration
0010), so the more families arrive at once, the larger the groups and the higher the
throughput. Their reads are grouped the same way: one query and one round trip for all the
baskets whose validation starts while the previous read is out. A lone basket goes out at
once, as a group of one.

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
from collections.abc import Collection
from typing import Generic, TypeVar

import asyncpg
from prometheus_client import CollectorRegistry, Histogram

from booking import store
from booking.usecases import capacity
from booking.usecases.capacity import Placement, Taken
from shared.logging import get_logger

log = get_logger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


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


class GroupCommit(_Grouping[Placement, Taken | None]):
    """`capacity.take_places` for the baskets being validated, written together in one
    statement; at most `max_lines` additions per group (a basket alone may have more)."""

    name = "group_commit"
    what = "Baskets written"

    def __init__(self, max_lines: int = 2000) -> None:
        super().__init__(max_lines)

    async def take_places(self, item: Placement) -> Taken | None:
        """This basket's outcomes (or None: it was no longer open)."""
        return await self._submit(item)

    def _size(self, item: Placement) -> int:
        return max(1, len(item.additions))

    async def _write(self, conn: asyncpg.Connection, items: list[Placement]) -> list[Taken | None]:
        # One statement, its own transaction: a group costs one round trip and one commit.
        return await capacity.take_places(conn, items)

    async def _process(
        self,
        conn: asyncpg.Connection,
        group: list[tuple[Placement, asyncio.Future[Taken | None]]],
    ) -> None:
        try:
            results = await self._write(conn, [item for item, _ in group])
        except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            if len(group) == 1:
                raise
            log.warning("group_commit_split", baskets=len(group), error=repr(exc))
            for item, future in group:
                try:
                    (result,) = await self._write(conn, [item])
                except Exception as one:
                    self._fail([(item, future)], one)
                else:
                    self._answer(future, result)
            return
        for (_, future), result in zip(group, results, strict=True):
            self._answer(future, result)


class GroupedLedger:
    """The ledger of the opening rush (`ledger.Ledger`): the reads and the writes of the
    validations this process runs at the same moment go together."""

    def __init__(self, reads: GroupRead | None = None, commits: GroupCommit | None = None) -> None:
        self.reads = reads or GroupRead()
        self.commits = commits or GroupCommit()
        self._pool: asyncpg.Pool | None = None

    def start(self, pool: asyncpg.Pool, registry: CollectorRegistry | None = None) -> None:
        self._pool = pool
        self.reads.start(pool, registry)
        self.commits.start(pool, registry)

    async def stop(self) -> None:
        await self.commits.stop()
        await self.reads.stop()
        self._pool = None

    async def basket_facts(self, tenant: str, basket_id: uuid.UUID) -> list[store.Row]:
        return await self.reads.basket_facts(tenant, basket_id)

    async def activities(self, tenant: str, ids: Collection[uuid.UUID]) -> list[store.Row]:
        if self._pool is None:
            raise RuntimeError("ledger not started")
        return await store.activities(self._pool, tenant, ids=ids)

    async def wallet_active(self, tenant: str, household_id: uuid.UUID) -> bool:
        if self._pool is None:
            raise RuntimeError("ledger not started")
        return await store.wallet_active(self._pool, tenant, household_id)

    async def basket_answer(self, tenant: str, basket_id: uuid.UUID) -> store.Row | None:
        if self._pool is None:
            raise RuntimeError("ledger not started")
        return await store.basket_answer(self._pool, tenant, basket_id)

    async def take_places(self, placement: Placement) -> Taken | None:
        return await self.commits.take_places(placement)
