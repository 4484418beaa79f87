"""Group commit of basket validations: the place-taking statements of the baskets this
process validates while a group is being written wait, and are then written together as the
next group (one statement, one transaction, migration 0009).

On the opening morning every basket wants the same day row: one at a time, each holds that
row's lock through its own commit, and the others queue on it. In groups, the row is locked
once per group and a group costs one commit, so the more families arrive at once, the larger
the groups and the higher the throughput. A lone basket goes out at once, as a group of one.
The order of arrival here is the order of the waiting list.

If a group's statement fails, its baskets are written one by one, so that one basket's
error is that basket's answer alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from booking import store
from shared.http.keys import POOL
from shared.logging import get_logger

log = get_logger(__name__)

Outcomes = list[str] | None


class GroupCommit:
    def __init__(self, max_baskets: int = 200, max_lines: int = 2000) -> None:
        self.max_baskets = max_baskets
        self.max_lines = max_lines
        self._pool: asyncpg.Pool | None = None
        self._waiting: list[tuple[store.PlaceTaking, asyncio.Future[Outcomes]]] = []
        self._wake = asyncio.Event()
        self._writer: asyncio.Task[None] | None = None
        self.groups = 0  # groups written, and baskets in them (for the benchmark's figures)
        self.baskets = 0

    def start(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._writer = asyncio.create_task(self._write_groups(), name="group-commit")

    async def stop(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
            self._writer = None
        for _, future in self._waiting:
            if not future.done():
                future.set_exception(ConnectionError("service stopping"))
        self._waiting.clear()

    async def take_places(self, item: store.PlaceTaking) -> Outcomes:
        """The outcomes of `store.take_places` for this basket (closing it), written with
        whatever other baskets are waiting."""
        if self._writer is None:
            raise RuntimeError("group commit not started")
        future: asyncio.Future[Outcomes] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        self._wake.set()
        return await future

    def _next_group(self) -> list[tuple[store.PlaceTaking, asyncio.Future[Outcomes]]]:
        size, lines = 0, 0
        for item, _ in self._waiting:
            if size and (size == self.max_baskets or lines + len(item.lines) > self.max_lines):
                break
            size, lines = size + 1, lines + len(item.lines)
        group, self._waiting = self._waiting[:size], self._waiting[size:]
        return group

    async def _write_groups(self) -> None:
        assert self._pool is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._waiting:
                continue
            # The writer keeps one connection while there is work: under the rush, the pool's
            # other connections are all taken by the validations' reads, and the group must
            # not queue behind them.
            try:
                async with self._pool.acquire() as conn:
                    while self._waiting:
                        group = self._next_group()
                        try:
                            await self._write(conn, group)
                        except Exception as exc:  # never lose the writer: answer every basket
                            log.exception("group_commit_failed")
                            for _, future in group:
                                if not future.done():
                                    future.set_exception(exc)
                            if conn.is_closed():
                                break
            except Exception as exc:  # no connection: the baskets waiting get the error
                log.exception("group_commit_no_connection")
                waiting, self._waiting = self._waiting, []
                for _, future in waiting:
                    if not future.done():
                        future.set_exception(exc)

    async def _write(
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
                    result = await store.take_places(conn, [item])
                except Exception as one:
                    if not future.done():
                        future.set_exception(one)
                else:
                    if not future.done():
                        future.set_result(result[0])
            return
        self.groups += 1
        self.baskets += len(group)
        for (_, future), result in zip(group, results, strict=True):
            if not future.done():  # the request may have been cancelled meanwhile
                future.set_result(result)


GROUP_COMMIT: web.AppKey[GroupCommit] = web.AppKey("booking_group_commit", GroupCommit)


async def group_commit_context(app: web.Application) -> AsyncIterator[None]:
    """Starts the writer once the pool exists; stops it after the last request."""
    app[GROUP_COMMIT].start(app[POOL])
    yield
    await app[GROUP_COMMIT].stop()
