"""The fault suite's stack: every service, the mailbox and the gateway as processes
(scripts/run_services.py, as the browser tests run it), with their own database, bus
namespace, ports and mailbox directory; a service that exits is started again
(DEV_RESTART_EXITED), as a supervisor would after a crash."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from shared.events.topology import Topology
from shared.testing import plugin
from shared.testing.browser import ROOT, Stack, port_offset

# Shorter waits than production's, so that the suite settles within the test's budget: the
# consumers' retries, the emails' retries after a temporary failure, the sweepers.
RETRY_DELAYS_MS = "300,1000,2000"
SERVICE_NAMES = ["identity", "notify", "family", "booking", "billing", "web"]


@dataclass
class FaultStack:
    stack: Stack
    database: str
    dsn: str
    namespace: str
    retry_delays_ms: tuple[int, ...]
    services: tuple[str, ...] = tuple(SERVICE_NAMES)

    def topology(self, service: str) -> Topology:
        return Topology(self.namespace, service)


@pytest.fixture(scope="module")
def fault_stack(
    test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FaultStack]:
    run_id = uuid.uuid4().hex[:10]
    database, namespace = f"pf_faults_{run_id}", f"faults{run_id}"
    dsn = f"{plugin.ADMIN_DSN.rpartition('/')[0]}/{database}"
    offset = port_offset()
    mail_dir = tmp_path_factory.mktemp("mail")
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "AMQP_URL": plugin.AMQP_URL,
        "BUS_NAMESPACE": namespace,
        "DEV_PORT_OFFSET": str(offset),
        "DEV_MAIL_DIR": str(mail_dir),
        "DEV_RESTART_EXITED": "1",
        "DEV_READY_TIMEOUT_SECONDS": "120",
        "DEV_DEMO_TOWN": "0",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "warning",
        "GATEWAY_ACCESS_LOG": "off",
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1 ::1",  # each family its own address
        "SHUTDOWN_TIMEOUT_SECONDS": "3",
        "CONSUMER_RETRY_DELAYS_MS": RETRY_DELAYS_MS,
        "OUTBOX_SWEEP_SECONDS": "1",
        "BASKET_INVOICE_GRACE_SECONDS": "0.5",
        "BASKET_INVOICE_SWEEP_SECONDS": "0.5",
        "MAIL_BASKET_GRACE_SECONDS": "1",
        "MAIL_DISPATCH_SWEEP_SECONDS": "0.5",
        "MAIL_RETRY_DELAYS_MS": "500,1000,2000,4000",
        "MAIL_ADDRESS_RECHECK_SECONDS": "1",
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
    delays = tuple(int(d) for d in RETRY_DELAYS_MS.split(","))
    try:
        running.wait_ready()
        yield FaultStack(running, database, dsn, namespace, delays)
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
        _kill_leftovers(running, namespace)
        worker = threading.Thread(target=asyncio.run, args=(_cleanup(database, namespace, delays),))
        worker.start()
        worker.join()


def _kill_leftovers(running: Stack, namespace: str) -> None:
    """The services run in sessions of their own: one still there (a restart racing the
    stop) is found by its pid in the stack's lines, and killed only if it is still ours
    (its environment names this run's bus namespace: a pid may have been reused)."""
    for line in running.lines:
        found = re.match(r"^\[dev\] \S+ runs as pid (\d+)$", line)
        if found is None:
            continue
        pid = int(found[1])
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue  # gone
        if f"BUS_NAMESPACE={namespace}".encode() in environ:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def _cleanup(database: str, namespace: str, delays: tuple[int, ...]) -> None:
    admin = await asyncpg.connect(plugin.ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    bus = plugin.BusNamespace(namespace)
    bus.topologies.extend((Topology(namespace, name), delays) for name in SERVICE_NAMES)
    await plugin.delete_topology(bus)
