"""Benchmark of the notify service's email path: claim → render → SMTP → marked sent.

Queues N emails in a fresh database (through the event handler, as identity's events would),
then lets the dispatcher send them to an in-process SMTP sink (aiosmtpd). Prints the
rendering rate alone, then the end-to-end rate (emails rendered and handed to SMTP per
second). Needs Postgres only.

    uv run python bench/notify_emails.py [--emails 2000] [--batch 50] [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

try:
    import notify  # noqa: F401
except ImportError:  # not installed as a package yet: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "services" / "notify"))

from notify.app import MIGRATIONS
from notify.dispatcher import Dispatcher
from notify.domain.plans import jsonable
from notify.render import Renderer, Tenant
from notify.settings import NotifySettings
from notify.usecases import accounts
from shared import db, migrations
from shared.events.envelope import new_event
from shared.logging import configure_logging
from shared.testing.processes import free_port
from shared.uow import UnitOfWork

ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


class CountingSink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.count += 1
        return "250 OK"


def _event(i: int):
    return new_event(
        "identity.PasswordResetRequested",
        {
            "account_id": uuid.uuid4(),
            "email": f"famille{i}@example.org",
            "display_name": f"Famille {i}",
            "reset_url": f"https://portail.example.fr/mot-de-passe?token={uuid.uuid4().hex}",
            "expires_at": datetime.now(UTC) + timedelta(hours=1),
        },
        tenant_id="bench",
        producer="identity",
    )


def bench_render(count: int) -> float:
    renderer = Renderer()
    tenant = Tenant.build(
        "bench", {"name": "Ville"}, default_sender="a@b.fr", default_portal_url="http://x"
    )
    context = jsonable(_event(0).payload)
    started = time.perf_counter()
    for _ in range(count):
        renderer.render("password_reset", context, tenant)
    return count / (time.perf_counter() - started)


async def run(emails: int, batch: int, workers: int) -> None:
    from aiosmtpd.controller import Controller

    print(f"rendering only: {bench_render(min(emails, 2000)):8.0f} emails/s")
    database = f"pf_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{database}"')
    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        settings = NotifySettings.from_env(
            {},
            environment="test",
            log_level="warning",
            database_url=ADMIN_DSN.rpartition("/")[0] + f"/{database}",
            smtp_port=controller.port,
            dispatch_batch=batch,
            db_pool_max=workers + 2,
        )
        configure_logging("bench", json=False, level="warning")
        await migrations.migrate(settings, MIGRATIONS)
        pool = await db.create_pool(settings)
        async with pool.acquire() as conn, conn.transaction():
            for i in range(emails):
                uow = UnitOfWork.joining(conn, producer="notify")
                await accounts.password_reset_requested(uow, _event(i), timezone=settings.timezone)
        dispatchers = [Dispatcher(settings, pool, registry=_registry()) for _ in range(workers)]
        started = time.perf_counter()
        await asyncio.gather(*(d.drain() for d in dispatchers))
        elapsed = time.perf_counter() - started
        sent = await pool.fetchval("SELECT count(*) FROM emails WHERE status = 'sent'")
        await pool.close()
        print(
            f"end to end:     {sent / elapsed:8.0f} emails/s rendered and handed to SMTP"
            f" ({sent} emails, {workers} dispatchers, batches of {batch}, {elapsed:.2f} s;"
            f" the sink received {sink.count})"
        )
    finally:
        controller.stop()
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()


def _registry():
    from prometheus_client import CollectorRegistry

    return CollectorRegistry()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--emails", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    asyncio.run(run(args.emails, args.batch, args.workers))
