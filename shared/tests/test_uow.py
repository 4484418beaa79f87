"""The unit of work against the real Postgres: the change and its events commit together."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from shared.events.consumer import HandlerContext
from shared.keys import POOL
from shared.uow import UnitOfWork, unit_of_work

NOTE = "INSERT INTO notes (id, tenant, text) VALUES ($1, 'testville', 'x')"


def _note_event(uow: UnitOfWork, note_id: uuid.UUID) -> None:
    uow.emit("test.NoteRecorded", {"note_id": note_id, "text": "x", "poison": False})


async def _outbox(pool) -> list[str]:
    rows = await pool.fetch("SELECT envelope->'payload'->>'note_id' AS id FROM outbox")
    return [r["id"] for r in rows]


async def test_commit_writes_the_change_and_its_events(sample):
    pool = sample.app[POOL]
    note_id = uuid.uuid4()
    calls: list[str] = []
    async with unit_of_work(sample.app, tenant="testville") as uow:
        await uow.conn.execute(NOTE, note_id)
        _note_event(uow, note_id)
        uow.after_commit(lambda: calls.append("after"))
        assert calls == []
        # Nothing is visible outside before the commit.
        assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert calls == ["after"]
    assert await pool.fetchval("SELECT count(*) FROM notes") == 1
    assert await _outbox(pool) == [str(note_id)]
    envelope = await pool.fetchval("SELECT envelope FROM outbox")
    assert envelope["producer"] == "sample" and envelope["tenant_id"] == "testville"


async def test_an_exception_leaves_nothing(sample):
    pool = sample.app[POOL]
    calls: list[str] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await uow.conn.execute(NOTE, uuid.uuid4())
            _note_event(uow, uuid.uuid4())
            uow.after_commit(lambda: calls.append("after"))
            raise RuntimeError("the use case refused")
    assert await pool.fetchval("SELECT count(*) FROM notes") == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert calls == []


async def test_a_unit_of_work_is_entered_once(sample):
    uow = unit_of_work(sample.app, tenant="testville")
    async with uow:
        with pytest.raises(RuntimeError, match="entered once"):
            async with uow:
                pass
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.conn


async def test_an_event_needs_its_tenant_and_its_contract(sample):
    async with unit_of_work(sample.app) as uow:
        with pytest.raises(ValueError, match="tenant"):
            uow.emit("test.NoteRecorded", {"note_id": uuid.uuid4(), "text": "x", "poison": False})
        with pytest.raises(Exception, match="payload breaks its schema"):
            uow.emit("test.NoteRecorded", {"note_id": "not a uuid"}, tenant="testville")


async def test_an_event_handler_joins_the_consumer_transaction(sample):
    """Joined: the events go to the outbox in the caller's transaction, which decides; the
    after-commit callbacks wait for the caller."""
    pool = sample.app[POOL]
    note_id = uuid.uuid4()
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        ctx = HandlerContext(conn=conn, app=sample.app, producer="sample")
        async with UnitOfWork.for_event(ctx, tenant="testville") as uow:
            await uow.conn.execute(NOTE, note_id)
            _note_event(uow, note_id)
            uow.after_commit(lambda: None)
        assert len(ctx.after_commit) == 1  # handed to the consumer, not run yet
        assert await conn.fetchval("SELECT count(*) FROM outbox") == 1
        await tx.rollback()
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await pool.fetchval("SELECT count(*) FROM notes") == 0


async def test_a_cancelled_use_case_stays_cancelled(sample):
    """Cancelled mid-query (a shutdown): the cancellation propagates and nothing is written."""
    pool = sample.app[POOL]
    started = asyncio.Event()

    async def slow() -> None:
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await uow.conn.execute(NOTE, uuid.uuid4())
            started.set()
            await uow.conn.execute("SELECT pg_sleep(10)")

    # asyncpg reports a connection handed back to the pool inside a transaction through the
    # loop's exception handler (an error in the service's log at every such shutdown).
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        task = asyncio.create_task(slow())
        await started.wait()
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await pool.fetchval("SELECT count(*) FROM notes") == 0
        assert await pool.fetchval("SELECT 1") == 1  # the pool goes on with a fresh connection
    finally:
        loop.set_exception_handler(None)
    assert not [c for c in reported if "active transaction" in str(c.get("message"))], reported


async def test_a_connection_that_cannot_roll_back_is_dropped_not_pooled(sample):
    """When the rollback itself fails (a cancelled query leaves the connection busy; a second
    cancellation at shutdown interrupts it), the connection is dropped (the server rolls back)
    instead of going back to the pool inside its transaction: no error in the log, and the
    pool goes on."""
    pool = sample.app[POOL]
    loop = asyncio.get_running_loop()
    reported: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _, context: reported.append(context))

    class RefusingRollback:
        async def rollback(self) -> None:
            raise asyncpg.InterfaceError("another operation is in progress")

    try:
        with pytest.raises(RuntimeError):
            async with unit_of_work(sample.app, tenant="testville") as uow:
                await uow.conn.execute(NOTE, uuid.uuid4())
                uow._transaction = RefusingRollback()  # the real one stays open
                raise RuntimeError("the use case failed")
        await asyncio.sleep(0.1)
        assert await pool.fetchval("SELECT count(*) FROM notes") == 0
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        loop.set_exception_handler(None)
    assert not [c for c in reported if "active transaction" in str(c.get("message"))], reported
