"""The whole suite running for a test folder: `scripts/run_services.py` (every service, the
portal, the mailbox and the gateway as processes, as `scripts/dev` runs them) with its own
database, bus namespace, ports and mailbox directory; stopped and cleaned up once (database
dropped, queues deleted, no process left).

The browser tests, the journeys, the fuzzing and the fault suite each start one with the
settings their tests need on top of the common ones (`start_stack(label, mail_dir, env)`).
A folder's stack is stopped after the folder's last test (`FolderStack`): the tests collected
after it must not share the machine with a stack nobody uses any more.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import pytest

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing import plugin
from shared.testing.browser import ROOT, Stack, port_offset

SERVICE_NAMES = ("identity", "notify", "family", "booking", "billing", "web")


def common_env(
    database: str, namespace: str, offset: int, mail_dir: Path, admin_dsn: str | None = None
) -> dict[str, str]:
    """What every test stack sets: its own database, namespace, ports and mailbox; JSON logs;
    no demo town (each test makes its own data); each client an address of its own (the
    gateway trusts the test's loopback as its proxy, so its per-address limits count each
    family, not the whole run); a small sign-up proof of work; the basket's invoice a moment
    after its validation."""
    return {
        "DATABASE_URL": f"{(admin_dsn or plugin.ADMIN_DSN).rpartition('/')[0]}/{database}",
        "AMQP_URL": plugin.AMQP_URL,
        "BUS_NAMESPACE": namespace,
        "DEV_PORT_OFFSET": str(offset),
        "DEV_MAIL_DIR": str(mail_dir),
        "LOG_FORMAT": "json",
        "GATEWAY_ACCESS_LOG": "off",
        "DEV_DEMO_TOWN": "0",
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1 ::1",
        "CAPTCHA_MIN_COUNTER": "50",
        "CAPTCHA_MAX_COUNTER": "100",
        "BASKET_INVOICE_GRACE_SECONDS": "0.5",
        "BASKET_INVOICE_SWEEP_SECONDS": "0.5",
    }


@dataclass
class StackRun:
    """A started stack and what its tests and its clean-up need to know of it."""

    stack: Stack
    database: str
    dsn: str
    namespace: str
    retry_delays_ms: tuple[int, ...]
    services: tuple[str, ...] = SERVICE_NAMES
    admin_dsn: str | None = None  # its Postgres server's, when not the test servers' one
    _stopped: bool = field(default=False, repr=False)

    def topology(self, service: str) -> Topology:
        return Topology(self.namespace, service)

    def stop(self) -> None:
        """Stops the processes, then drops the database and deletes the queues (once)."""
        if self._stopped:
            return
        self._stopped = True
        process = self.stack.process
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self._kill_leftovers()
        # In a thread of its own: Playwright's sync API may still hold this thread's loop.
        worker = threading.Thread(target=asyncio.run, args=(self._cleanup(),))
        worker.start()
        worker.join()

    def _kill_leftovers(self) -> None:
        """A service started again (DEV_RESTART_EXITED) runs in a session of its own: one still
        there (a restart racing the stop) is found by the pid the stack logged, and killed only
        if it is still ours (its environment names this run's namespace: pids are reused)."""
        for line in self.stack.lines:
            found = re.match(r"^\[dev\] \S+ runs as pid (\d+)$", line)
            if found is None:
                continue
            pid = int(found[1])
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue  # gone
            if f"BUS_NAMESPACE={self.namespace}".encode() in environ:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    async def _cleanup(self) -> None:
        admin = await asyncpg.connect(self.admin_dsn or plugin.ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await admin.close()
        bus = plugin.BusNamespace(self.namespace)
        bus.topologies.extend(
            (Topology(self.namespace, name), self.retry_delays_ms) for name in self.services
        )
        await plugin.delete_topology(bus)


def start_stack(
    label: str,
    mail_dir: Path,
    env: Mapping[str, str] | None = None,
    admin_dsn: str | None = None,
) -> StackRun:
    """The stack started and ready (its last lines printed and everything stopped if it
    does not get ready). `env`: the folder's own settings, over the common ones;
    `admin_dsn`: another Postgres server than the test servers' (its database made there)."""
    run_id = uuid.uuid4().hex[:10]
    database, namespace = f"pf_{label}_{run_id}", f"{label}{run_id}"
    offset = port_offset()
    settings = {**common_env(database, namespace, offset, mail_dir, admin_dsn), **(env or {})}
    delays = settings.get("CONSUMER_RETRY_DELAYS_MS")
    retry_delays_ms = (
        tuple(int(d) for d in delays.split(","))
        if delays
        else ServiceSettings.from_env({}).retry_delays_ms
    )
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts/run_services.py")],
        cwd=ROOT,
        env={**os.environ, **settings},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = StackRun(
        Stack(process, offset, mail_dir),
        database,
        settings["DATABASE_URL"],
        namespace,
        tuple(retry_delays_ms),
        admin_dsn=admin_dsn,
    )
    try:
        run.stack.wait_ready()
    except BaseException:
        print("\n".join(run.stack.lines[-80:]))
        run.stop()
        raise
    return run


@contextlib.contextmanager
def running_stack(
    label: str,
    mail_dir: Path,
    env: Mapping[str, str] | None = None,
    admin_dsn: str | None = None,
) -> Iterator[StackRun]:
    """start_stack for a `with` block: stopped and cleaned up at its end."""
    run = start_stack(label, mail_dir, env, admin_dsn)
    try:
        yield run
    except BaseException:
        print("\n".join(run.stack.lines[-80:]))
        raise
    finally:
        run.stop()


class FolderStack:
    """One stack for a whole test folder: started by the first test that asks for it,
    stopped after the folder's last test (its conftest calls `after(item, nextitem)` from
    `pytest_runtest_teardown`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.run: StackRun | None = None

    def start(self, label: str, mail_dir: Path, env: Mapping[str, str] | None = None) -> StackRun:
        if self.run is None:
            self.run = start_stack(label, mail_dir, env)
            # Also at the interpreter's exit: a teardown that failed before `after` (e.g. a
            # session fixture whose clean-up found Postgres full) must not leave the stack's
            # processes running and holding connections (`stop` runs once).
            atexit.register(self.stop)
        return self.run

    def stop(self) -> None:
        run, self.run = self.run, None
        if run is not None:
            run.stop()

    def after(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        if nextitem is None or self.folder not in Path(nextitem.path).resolve().parents:
            self.stop()
