"""The fuzzing run's stack: every service, the portal and the gateway as processes
(`scripts/run_services.py`, as the browser tests run them), their own database, bus namespace,
ports and mailbox; Playwright's request API (no browser) to make the family and log staff in."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from playwright.sync_api import Playwright, sync_playwright

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing import plugin
from shared.testing.browser import (
    ROOT,
    STAFF,
    TENANT,
    Api,
    Stack,
    client_address,
    household_of,
    linked_household,
    new_family,
    port_offset,
)

SERVICES = ["identity", "notify", "family", "booking", "billing", "web"]


@pytest.fixture(scope="module")
def stack(test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # (test_run: Postgres and RabbitMQ answer, or the run stops with instructions.)
    run_id = uuid.uuid4().hex[:10]
    database, namespace = f"pf_fuzz_{run_id}", f"fuzz{run_id}"
    offset = port_offset()
    mail_dir = tmp_path_factory.mktemp("mail")
    env = {
        **os.environ,
        "DATABASE_URL": f"{plugin.ADMIN_DSN.rpartition('/')[0]}/{database}",
        "AMQP_URL": plugin.AMQP_URL,
        "BUS_NAMESPACE": namespace,
        "DEV_PORT_OFFSET": str(offset),
        "DEV_MAIL_DIR": str(mail_dir),
        "LOG_FORMAT": "json",
        "GATEWAY_ACCESS_LOG": "off",
        "DEV_DEMO_TOWN": "0",
        # Each caller comes from an address of its own (X-Forwarded-For, trusted from the
        # test's loopback): the gateway's per-address limits count each, not the whole run.
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1 ::1",
        "CAPTCHA_MIN_COUNTER": "50",
        "CAPTCHA_MAX_COUNTER": "100",
    }
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/run_services.py")],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = Stack(process, offset, mail_dir)
    try:
        running.wait_ready()
        yield running
    except BaseException:
        print("\n".join(running.lines[-80:]))
        raise
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        # In a thread of its own: Playwright's sync API may still hold this thread's loop.
        worker = threading.Thread(target=asyncio.run, args=(_cleanup(database, namespace),))
        worker.start()
        worker.join()


async def _cleanup(database: str, namespace: str) -> None:
    admin = await asyncpg.connect(plugin.ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    bus = plugin.BusNamespace(namespace)
    delays = ServiceSettings.from_env({}).retry_delays_ms
    bus.topologies.extend((Topology(namespace, name), delays) for name in SERVICES)
    await plugin.delete_topology(bus)


# Per module: Playwright's sync API holds an event loop in the main thread while it runs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@dataclass(frozen=True)
class Caller:
    """One role's headers (bearer token, an address of its own) and the ids it may name."""

    role: str
    headers: dict[str, str]
    path_ids: dict[str, Any]


@pytest.fixture(scope="module")
def callers(playwright: Playwright, stack: Stack) -> Iterator[list[Caller]]:
    """A family linked to a household with a child (signed up, activated, terms accepted),
    and the town's staff; path parameters naming the family's own household and child."""
    context = playwright.request.new_context(
        extra_http_headers={"X-Forwarded-For": client_address()}
    )
    try:
        api = Api(context, stack.url)
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.org"
        child = {
            "first_name": "Léo",
            "last_name": "Martin",
            "birth_date": "2017-05-03",
            "sex": "M",
            "school": "École du centre",
            "grade": "CE2",
        }
        family = new_family(api, stack.mailbox, email)
        household, family = linked_household(
            api, family, household_of(email, "Camille", "Martin", [child])
        )
        ids = {
            "tenant": TENANT,
            "household_id": household["id"],
            "child_id": household["children"][0]["id"],
        }
        staff = api.login(STAFF)
        yield [
            Caller("family", family, ids),
            Caller("staff", staff, ids),
        ]
    finally:
        context.dispose()
