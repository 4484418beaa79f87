"""The unit of work: one connection, one transaction, and the events the change raised.

Every state change of every service goes through one. A use case enters it, works through
`uow.conn` (the store's functions), raises the events that announce the change with
`uow.emit(...)`, and leaves: the events are written to the outbox in the same transaction,
just before the commit, so they are published if and only if the change commits. An
exception leaves nothing: the transaction rolls back and the events are dropped.

    async def cancel_reservation(uow: UnitOfWork, tenant: str, booking_id: UUID) -> Booking:
        async with uow:
            row = await store.lock_booking(uow.conn, tenant, booking_id)
            ...
            uow.emit("booking.ReservationCancelled", {...}, tenant=tenant)
        return ...

Where the unit of work comes from decides its transaction, not the use case:
- `UnitOfWork.on(pool, producer=...)` (HTTP handlers and commands, through
  `unit_of_work(app)`) takes a connection from the pool and opens a transaction;
- `UnitOfWork.for_event(ctx)` (event handlers) works inside the consumer's open transaction,
  which also holds the event's inbox row: the change, its events and the inbox row commit
  together.
A unit of work is entered once; entering it again (a use case calling another) is refused,
so nobody commits half of somebody else's change. A use case that calls another passes its
open `uow` on to a function that does not enter it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import asyncpg
from aiohttp import web

from shared.events import outbox
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event, new_event
from shared.keys import POOL, SETTINGS

AfterCommit = Callable[[], Awaitable[None] | None]


class UnitOfWork:
    def __init__(
        self,
        *,
        producer: str,
        pool: asyncpg.Pool | None = None,
        conn: asyncpg.Connection | None = None,
        tenant: str | None = None,
        deferred: list[AfterCommit] | None = None,
    ) -> None:
        if (pool is None) == (conn is None):
            raise TypeError("a unit of work needs a pool or an open connection, not both")
        self.producer = producer
        self.tenant = tenant
        self.events: list[Event] = []
        self._pool = pool
        self._joined = conn
        self._conn: asyncpg.Connection | None = None
        self._transaction: Any = None
        # Joined: the owner of the transaction runs these after its own commit.
        self._after_commit: list[AfterCommit] = [] if deferred is None else deferred
        self._entered = False

    @classmethod
    def on(cls, pool: asyncpg.Pool, *, producer: str, tenant: str | None = None) -> Self:
        """A unit of work with its own connection and transaction."""
        return cls(pool=pool, producer=producer, tenant=tenant)

    @classmethod
    def joining(
        cls,
        conn: asyncpg.Connection,
        *,
        producer: str,
        tenant: str | None = None,
        deferred: list[AfterCommit] | None = None,
    ) -> Self:
        """A unit of work inside the caller's open transaction (an event handler's); its
        after-commit callbacks go to `deferred`, run by the transaction's owner."""
        return cls(conn=conn, producer=producer, tenant=tenant, deferred=deferred)

    @classmethod
    def for_event(cls, ctx: HandlerContext, *, tenant: str | None = None) -> Self:
        """The unit of work of an event handler: the consumer's transaction, which commits
        the change, its events and the event's inbox row together."""
        return cls.joining(
            ctx.conn, producer=ctx.producer, tenant=tenant, deferred=ctx.after_commit
        )

    @property
    def conn(self) -> asyncpg.Connection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open: use `async with uow:`")
        return self._conn

    def emit(self, type: str, payload: dict[str, Any], *, tenant: str | None = None) -> Event:
        """Raise an event announcing this change; it is checked against the contract now and
        written to the outbox at commit."""
        tenant_id = tenant or self.tenant
        if not tenant_id:
            raise ValueError(f"{type}: an event needs its tenant")
        event = new_event(type, payload, tenant_id=tenant_id, producer=self.producer)
        self.events.append(event)
        return event

    def after_commit(self, callback: AfterCommit) -> None:
        """Run `callback` once the change is committed (never on rollback): for what must not
        happen before the data is visible, such as waking a process in memory."""
        self._after_commit.append(callback)

    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("a unit of work is entered once; pass the open one on instead")
        self._entered = True
        if self._joined is not None:
            if not self._joined.is_in_transaction():
                raise RuntimeError("UnitOfWork.joining needs a connection in a transaction")
            self._conn = self._joined
            return self
        assert self._pool is not None
        conn = await self._pool.acquire()
        try:
            self._transaction = conn.transaction()
            await self._transaction.start()
        except BaseException:
            await self._pool.release(conn)
            raise
        self._conn = conn
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        assert conn is not None
        if self._joined is not None:
            # The caller's transaction commits or rolls back; the events go with it.
            if exc is None and self.events:
                await outbox.record(conn, *self.events)
            return
        assert self._pool is not None
        try:
            if exc is None:
                try:
                    if self.events:
                        await outbox.record(conn, *self.events)
                    await self._transaction.commit()
                except BaseException:
                    await self._roll_back_or_drop(conn)
                    raise
            else:
                await self._roll_back_or_drop(conn)
        finally:
            try:
                await self._pool.release(conn)
            except Exception:
                conn.terminate()
        if exc is None:
            await self._run_after_commit()

    async def _roll_back_or_drop(self, conn: asyncpg.Connection) -> None:
        """Roll back; when that fails (a cancelled query leaves the connection busy and
        asyncpg refuses the rollback; a second cancellation at shutdown interrupts it), the
        connection is dropped (the server rolls the transaction back) rather than handed back
        to the pool in a transaction. The original exception goes on either way."""
        rolled_back = False
        try:
            await self._transaction.rollback()
            rolled_back = True
        except Exception:
            pass
        finally:
            if not rolled_back:
                conn.terminate()

    async def _run_after_commit(self) -> None:
        await run_callbacks(self._after_commit)


async def run_callbacks(callbacks: list[AfterCommit]) -> None:
    for callback in callbacks:
        result = callback()
        if result is not None:
            await result


def unit_of_work(app: web.Application, tenant: str | None = None) -> UnitOfWork:
    """A new unit of work of this service (its pool, its name as the events' producer)."""
    return UnitOfWork.on(app[POOL], producer=app[SETTINGS].service, tenant=tenant)
