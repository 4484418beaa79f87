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
- inside a `SharedTransaction` (an HTTP request under `@idempotent`, see
  `shared.http.idempotency`), `unit_of_work(app)` joins the request's one transaction instead:
  it commits after the handler, with the answer stored for the request's `Idempotency-Key`,
  so a crash leaves both or neither.
A unit of work is entered once; entering it again (a use case calling another) is refused,
so nobody commits half of somebody else's change. A use case that calls another passes its
open `uow` on to a function that does not enter it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from types import TracebackType
from typing import Any, Self

import asyncpg
from aiohttp import web

from shared.events import outbox
from shared.events.checked import PayloadCheck
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event, event_of, new_event
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
        shared: SharedTransaction | None = None,
    ) -> None:
        if (pool is None) == (conn is None) and shared is None:
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
        self._shared = shared
        self._savepoint: Any = None

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

    def emit_checked(
        self, check: PayloadCheck, payload: dict[str, Any], *, tenant: str | None = None
    ) -> Event:
        """`emit` for one of many events of a type (thousands in one change): the payload is
        checked against the contract field by field (`PayloadCheck`), now as well."""
        tenant_id = tenant or self.tenant
        if not tenant_id:
            raise ValueError(f"{check.type}: an event needs its tenant")
        event = event_of(
            check.type, check.version, check(payload), tenant_id=tenant_id, producer=self.producer
        )
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
        if self._shared is not None:
            self._conn, self._savepoint = await self._shared.enter()
            return self
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
        if self._shared is not None:
            await self._leave_shared(conn, exc)
            return
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

    async def _leave_shared(self, conn: asyncpg.Connection, exc: BaseException | None) -> None:
        """Leave the request's shared transaction: the change stays in it (committed by its
        owner, the after-commit callbacks then) or, on an exception, is undone alone, as a
        unit of work of its own would be."""
        shared, savepoint = self._shared, self._savepoint
        assert shared is not None
        shared.leave()
        if exc is None:
            try:
                if self.events:
                    await outbox.record(conn, *self.events)
                if savepoint is not None:
                    await savepoint.commit()  # RELEASE: still inside the shared transaction
            except BaseException:
                await shared.undo(savepoint)
                raise
            shared.after_commit.extend(self._after_commit)
        else:
            await shared.undo(savepoint)


async def run_callbacks(callbacks: list[AfterCommit]) -> None:
    for callback in callbacks:
        result = callback()
        if result is not None:
            await result


class SharedTransaction:
    """One transaction that the units of work of one request join (`unit_of_work(app)` in
    the task that opened it, on the same pool) and that its owner commits: the idempotent
    wrapper, which stores the request's answer in it first (`shared.http.idempotency`).

    It starts at the first unit of work entered, so a request holds no connection while it
    reads and checks before writing (a handler's reads through the pool then never wait for
    a second connection of an exhausted pool). The first unit of work is the transaction
    itself: when it fails, the transaction is rolled back and a later one starts afresh. The
    next ones are savepoints: a failing one undoes only its own change, as it would alone.
    Other tasks (one spawned by the handler, which inherits the context) never join: they
    get units of work of their own."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.conn: asyncpg.Connection | None = None
        self.after_commit: list[AfterCommit] = []
        self._transaction: Any = None
        self._task = asyncio.current_task()
        self._depth = 0
        self._closed = False
        self._broken = False

    def joinable(self, pool: asyncpg.Pool) -> bool:
        return not self._closed and pool is self.pool and asyncio.current_task() is self._task

    @property
    def started(self) -> bool:
        return self.conn is not None

    async def enter(self) -> tuple[asyncpg.Connection, Any]:
        """The connection for a unit of work joining, and its savepoint (None: the first)."""
        if self._closed:
            raise RuntimeError("the shared transaction is over")
        if self.conn is None:
            conn = await self.pool.acquire()
            try:
                transaction = conn.transaction()
                await transaction.start()
            except BaseException:
                await self.pool.release(conn)
                raise
            self.conn, self._transaction = conn, transaction
            self._depth += 1
            return conn, None
        savepoint = self.conn.transaction()  # nested in an open transaction: a SAVEPOINT
        await savepoint.start()
        self._depth += 1
        return self.conn, savepoint

    def leave(self) -> None:
        self._depth -= 1

    async def undo(self, savepoint: Any) -> None:
        """A joining unit of work failed: back to its savepoint, or (the first, whose work is
        the whole transaction) roll everything back."""
        if savepoint is not None:
            try:
                await savepoint.rollback()
                return
            except Exception:
                # The connection is unusable: the earlier units' work goes too, so the
                # owner must not commit an answer for it.
                self._broken = True
        await self.roll_back()
        if not self._broken:
            self._closed = False  # nothing left: a later unit of work starts afresh

    async def commit(self) -> None:
        """Commit (the owner, once the answer is stored), then run the after-commit callbacks
        the units of work left."""
        self._closed = True
        if self._broken:
            raise RuntimeError("the shared transaction was rolled back by a failing unit of work")
        if self.conn is None:
            return
        if self._depth:
            await self.roll_back()
            raise RuntimeError("a unit of work of the shared transaction is still open")
        conn, self.conn = self.conn, None
        try:
            await self._transaction.commit()
        except BaseException:
            await self._drop(conn, roll_back=True)
            raise
        await self._drop(conn, roll_back=False)
        await run_callbacks(self.after_commit)

    async def roll_back(self) -> None:
        """Undo everything (a refusal, an exception, an answer that could not be stored)."""
        self._closed = True
        self.after_commit.clear()
        if self.conn is None:
            return
        conn, self.conn = self.conn, None
        await self._drop(conn, roll_back=True)

    async def _drop(self, conn: asyncpg.Connection, *, roll_back: bool) -> None:
        """Give the connection back, rolled back first when asked; a connection that cannot
        roll back is terminated (the server rolls back), never handed back in a transaction."""
        if roll_back:
            try:
                await self._transaction.rollback()
            except Exception:
                conn.terminate()  # the pool replaces a closed connection
        try:
            await self.pool.release(conn)
        except Exception:
            with contextlib.suppress(Exception):  # (released already, when that failed)
                conn.terminate()


_SHARED: ContextVar[SharedTransaction | None] = ContextVar("shared_transaction", default=None)


def share_transaction(pool: asyncpg.Pool) -> tuple[SharedTransaction, Any]:
    """Make the units of work of this task, from now on, join one transaction; returns it and
    the token for `stop_sharing` (the owner commits or rolls it back)."""
    shared = SharedTransaction(pool)
    return shared, _SHARED.set(shared)


def stop_sharing(token: Any) -> None:
    _SHARED.reset(token)


def _shared_for(pool: asyncpg.Pool) -> SharedTransaction | None:
    shared = _SHARED.get()
    return shared if shared is not None and shared.joinable(pool) else None


def reading(pool: asyncpg.Pool) -> asyncpg.Pool | asyncpg.Connection:
    """Where a handler reads what its use case just wrote: the request's shared transaction
    (not committed yet, invisible to the pool's other connections) when one is open, else
    the pool."""
    shared = _shared_for(pool)
    return shared.conn if shared is not None and shared.conn is not None else pool


def unit_of_work(app: web.Application, tenant: str | None = None) -> UnitOfWork:
    """A new unit of work of this service (its pool, its name as the events' producer); in a
    request whose transaction is shared (`@idempotent`), one joining it."""
    pool, producer = app[POOL], app[SETTINGS].service
    shared = _shared_for(pool)
    if shared is not None:
        return UnitOfWork(producer=producer, tenant=tenant, shared=shared)
    return UnitOfWork.on(pool, producer=producer, tenant=tenant)
