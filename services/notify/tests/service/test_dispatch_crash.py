"""A dispatcher that dies mid-batch: what the server accepted stays sent, and the rest of its
batch goes out at once through another dispatcher (not after the lease), each email once.

Real Postgres and a real SMTP server (aiosmtpd); the dispatchers run without the app so that
the test decides which one sends."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from notify import store
from notify.app import MIGRATIONS
from notify.dispatcher import Dispatcher
from notify.settings import NotifySettings
from shared import db, migrations
from shared.testing.bus import eventually

TENANT = "epagny"


@pytest.fixture
async def settings(notify_settings: NotifySettings) -> NotifySettings:
    # The production lease: a dead dispatcher's emails must not wait for it.
    settings = dataclasses.replace(notify_settings, dispatch_lease_seconds=120.0, dispatch_batch=5)
    await migrations.migrate(settings, MIGRATIONS)
    return settings


async def queue(pool: Any, count: int) -> list[uuid.UUID]:
    async with pool.acquire() as conn:
        for n in range(count):
            await store.queue_email(
                conn,
                tenant=TENANT,
                event_id=uuid.uuid4(),
                event_type="identity.PasswordChanged",
                recipient=f"parent{n}@example.org",
                account_id=uuid.uuid4(),
                template="password_changed",
                context={
                    "display_name": f"Parent {n}",
                    "changed_at": datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat(),
                },
            )
    rows = await pool.fetch("SELECT id FROM emails ORDER BY recipient")
    return [row["id"] for row in rows]


async def statuses(pool: Any) -> dict[str, str]:
    rows = await pool.fetch("SELECT recipient, status FROM emails")
    return {row["recipient"]: row["status"] for row in rows}


async def test_a_dead_dispatchers_batch_goes_out_at_once_and_each_email_once(settings, smtp):
    dead_pool = await db.create_pool(settings)
    pool = await db.create_pool(settings)
    other: Dispatcher | None = None
    try:
        await queue(pool, 5)
        # The server accepts 3 messages, then hangs on the 4th: the dispatcher dies there.
        smtp.hold_after(3)
        dying = Dispatcher(settings, dead_pool, registry=CollectorRegistry())
        task = asyncio.create_task(dying.dispatch_batch())

        async def caught() -> bool:
            return smtp.held >= 1

        await eventually(caught, timeout=10)
        # Each email was marked as soon as the server accepted it, not at the end of the batch.
        marked = await statuses(pool)
        assert sorted(r for r, s in marked.items() if s == "sent") == [
            "parent0@example.org",
            "parent1@example.org",
            "parent2@example.org",
        ]
        leased = await pool.fetch(
            "SELECT lease_owner, next_attempt_at > now() + interval '60 seconds' AS long"
            " FROM emails WHERE status = 'queued'"
        )
        assert len(leased) == 2
        assert all(r["lease_owner"] == dying.owner.number and r["long"] for r in leased)

        # kill -9: nothing released, its connections simply end.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert dying.owner._conn is not None
        dying.owner._conn.terminate()
        dead_pool.terminate()
        smtp.release()  # the hung session answers 451 to nobody: nothing kept

        started = time.monotonic()
        other = Dispatcher(settings, pool, registry=CollectorRegistry())
        sent = 0
        while sent < 2 and time.monotonic() - started < 10:
            _, count = await other.dispatch_batch()
            sent += count
            if count == 0:
                await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        assert sent == 2
        assert elapsed < 10  # well under the 120 s lease
        assert set((await statuses(pool)).values()) == {"sent"}
        ids = Counter(m["Message-ID"] for m in smtp.messages)
        assert len(ids) == 5 and set(ids.values()) == {1}, ids
        recipients = sorted(m["To"] for m in smtp.messages)
        assert recipients == [f"parent{n}@example.org" for n in range(5)]
    finally:
        smtp.release()
        if other is not None:
            await other.owner.close()
        dead_pool.terminate()
        await pool.close()


async def test_a_living_dispatchers_leases_are_left_alone(settings, smtp):
    """The owner's lock is what frees a lease: a live dispatcher's batch is not taken over."""
    busy_pool = await db.create_pool(settings)
    pool = await db.create_pool(settings)
    other = Dispatcher(settings, pool, registry=CollectorRegistry())
    try:
        await queue(pool, 2)
        smtp.hold_after(0)
        busy = Dispatcher(settings, busy_pool, registry=CollectorRegistry())
        task = asyncio.create_task(busy.dispatch_batch())

        async def caught() -> bool:
            return smtp.held >= 1

        await eventually(caught, timeout=10)
        assert await other.dispatch_batch() == (0, 0)
        assert (
            await store.claim_due(
                pool, 5, 120, namespace=other.owner.namespace, owner=other.owner.number
            )
            == []
        )
        smtp.release()
        await task
        await busy.owner.close()
        # The hung one was refused (451) once released: due again later, not lost; the next
        # one went out. Neither is leased any more.
        assert len(smtp.messages) == 1
        rows = await pool.fetch("SELECT status, lease_owner FROM emails ORDER BY status")
        assert [(r["status"], r["lease_owner"]) for r in rows] == [
            ("queued", None),
            ("sent", None),
        ]
    finally:
        smtp.release()
        await other.owner.close()
        await busy_pool.close()
        await pool.close()
