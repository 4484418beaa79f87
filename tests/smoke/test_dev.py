"""Smoke of `scripts/dev`, the README's first command, as a newcomer runs it.

Starts `scripts/dev` (bootstrap, migrations, demo data, every service, the mailbox, the
gateway) with its own database, bus namespace and ports; waits until every service's `/readyz`
answers 200 and scripts/dev prints the gateway's one URL; logs the demo family in and reads
its household with the token, through the gateway; then presses Ctrl-C
(SIGINT to the process group, as a terminal does) and checks that every process it started
is gone within the shutdown timeout. A fresh start must log no warning and no error: every
line of the run is read, and those at level warning or above are printed and fail the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import random
import re
import signal
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import asyncpg

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing import plugin

ROOT = Path(__file__).resolve().parents[2]
TENANT = "demo"
FAMILY_EMAIL = "famille@demo.example"
PASSWORD = "Demo-2026-portail"
READY_TIMEOUT = 150.0  # the bootstrap included, on a busy two-core machine
# The services' graceful shutdown (SHUTDOWN_TIMEOUT_SECONDS, 8 s by default) and the margin
# scripts/run_services.py gives them before killing, plus a little.
STOP_TIMEOUT = 8 + 5 + 5
LEVELS_REFUSED = {"warning", "warn", "error", "critical", "exception", "fatal"}
# Lines that are not JSON log lines (the scripts' own messages, uv, a Python traceback).
BAD_WORDS = re.compile(
    r"\b(warn(ing)?|error|errors|exception|traceback|critical|fatal|failed|killed|not ready)\b",
    re.IGNORECASE,
)
PREFIX = re.compile(r"^\[(?P<source>[^\]]+)\] (?P<text>.*)$")


def _run_services() -> Any:
    """scripts/run_services.py as a module: its list of services and their default ports."""
    name = "_scripts_run_services"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts/run_services.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def _port_offset(ports: list[int]) -> int:
    """An offset that puts every port of the set on a free port (below the ephemeral range)."""
    for _ in range(200):
        offset = random.randrange(10_000, 24_000, 10)
        try:
            with contextlib.ExitStack() as stack:
                for port in ports:
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port + offset))
            return offset
        except OSError:
            continue
    raise AssertionError("no free set of ports for scripts/dev")


def _process_tree(root: int) -> dict[int, str]:
    """pid → start time (field 22 of /proc/<pid>/stat, to tell a reused pid) of `root` and
    every process below it."""
    parents: dict[int, list[int]] = {}
    started: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry.name))
        started[int(entry.name)] = fields[19]
    tree, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in started:
            tree[pid] = started[pid]
        todo.extend(parents.get(pid, []))
    return tree


def _alive(pid: int, started: str) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return False
    return fields[19] == started and fields[0] != "Z"


def refused_lines(lines: list[str]) -> list[str]:
    """The lines logged at level warning or above (JSON logs), and the other lines that say
    warning, error, failed... (the scripts' messages, uv, tracebacks)."""
    refused = []
    for line in lines:
        match = PREFIX.match(line)
        text = match["text"] if match else line
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict) and "level" in record:
            if str(record["level"]).lower() in LEVELS_REFUSED:
                refused.append(line)
        elif BAD_WORDS.search(text):
            refused.append(line)
    return refused


def test_refused_lines_are_found() -> None:
    ok = '[family:8082] {"event": "consumer_started", "level": "info", "service": "family"}'
    warned = '[family:8082] {"event": "outbox_publish_refused", "level": "warning"}'
    assert refused_lines([ok, "[dev] every service is ready: identity", warned]) == [warned]
    assert refused_lines(["Traceback (most recent call last):"]) != []
    assert refused_lines(["ensure-services: warning: could not start 15/main"]) != []
    assert refused_lines(['[identity migrate] {"applied": ["0001_identity.sql"]}']) == []


async def _delete_bus(namespace: str, services: list[str]) -> None:
    bus = plugin.BusNamespace(namespace)
    delays = ServiceSettings.from_env({}).retry_delays_ms
    bus.topologies.extend((Topology(namespace, name), delays) for name in services)
    await plugin.delete_topology(bus)


async def test_scripts_dev_starts_serves_the_demo_family_and_stops_cleanly(
    test_run: plugin.TestRun,  # the servers answer, or the run stops with instructions
) -> None:
    run_services = _run_services()
    services = [s.name for s in run_services.SERVICES]
    offset = _port_offset([s.port for s in run_services.SERVICES] + [1025, 8080])
    run_id = uuid.uuid4().hex[:10]
    database = f"pf_smoke_{run_id}"
    namespace = f"smoke{run_id}"
    admin_dsn = plugin.ADMIN_DSN
    postgres, amqp = urlsplit(admin_dsn), urlsplit(plugin.AMQP_URL)
    env = {
        **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},  # as in a fresh shell
        "DATABASE_URL": f"{admin_dsn.rpartition('/')[0]}/{database}",
        "AMQP_URL": plugin.AMQP_URL,
        "BUS_NAMESPACE": namespace,
        "DEV_PORT_OFFSET": str(offset),
        "LOG_FORMAT": "json",  # levels read exactly (the console format shows the same)
        # scripts/ensure-services checks the servers the test run uses.
        "PGHOST": postgres.hostname or "127.0.0.1",
        "PGPORT": str(postgres.port or 5432),
        "PGUSER": postgres.username or "postgres",
        "AMQP_HOST": amqp.hostname or "127.0.0.1",
        "AMQP_PORT": str(amqp.port or 5672),
    }
    lines: list[str] = []
    started_at = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "scripts/dev"),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,  # its own process group, as in a terminal
        limit=1 << 20,
    )
    assert process.stdout is not None

    async def read(stream: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await stream.readline()
            except ValueError:  # over the limit: dropped by the stream
                line = b"(a line over 1 MiB was left out)"
            if not line:
                return
            lines.append(line.decode(errors="replace").rstrip("\n"))

    reader = asyncio.create_task(read(process.stdout))
    tree: dict[int, str] = {}
    try:
        urls = await _wait_until_started(process, lines, services)
        await _wait_until_ready(process, urls)
        ready_after = time.monotonic() - started_at

        gateway = await _wait_for_gateway(process, lines)
        assert gateway == f"http://localhost:{8080 + offset}/"
        household = await _demo_household(gateway, lines)
        assert household["id"] == _demo_household_id(lines)
        assert FAMILY_EMAIL in [g["email"] for g in household["guardians"]]
        await _staff_screens(gateway)
        await asyncio.sleep(2)  # the link's events flow (identity, notify): logged too

        tree = _process_tree(process.pid)
        # uv, run_services, the services, the mailbox, nginx (master and worker)
        assert len(tree) >= len(services) + 4, tree
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C
        stopping = time.monotonic()
        await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        await asyncio.wait_for(reader, 5)
        stopped_after = time.monotonic() - stopping
        left = {pid for pid, started in tree.items() if _alive(pid, started)}
        assert not left, f"processes left after Ctrl-C: {left}"
        assert process.returncode == 0, "\n".join(lines[-30:])
        print(f"scripts/dev ready after {ready_after:.1f} s, stopped in {stopped_after:.1f} s")

        refused = refused_lines(lines)
        assert not refused, "scripts/dev logged warnings or errors:\n" + "\n".join(refused)
    except BaseException:
        print("\n".join(lines))
        raise
    finally:
        for pid, started in tree.items():
            if _alive(pid, started):
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        if process.returncode is None:
            with contextlib.suppress(OSError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
        reader.cancel()
        admin = await asyncpg.connect(admin_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()
        await _delete_bus(namespace, services)


async def _wait_until_started(
    process: asyncio.subprocess.Process, lines: list[str], services: list[str]
) -> dict[str, str]:
    """service name → URL, from scripts/dev's `[dev] started <name>: <url>` lines."""
    started = re.compile(r"^\[dev\] started (\S+): (http://\S+)$")
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        urls = {m[1]: m[2] for line in lines if (m := started.match(line))}
        if set(urls) >= set(services):
            return urls
        assert process.returncode is None, f"scripts/dev exited with {process.returncode}"
        assert time.monotonic() < deadline, f"services not started within {READY_TIMEOUT} s"
        await asyncio.sleep(0.2)


async def _wait_until_ready(process: asyncio.subprocess.Process, urls: dict[str, str]) -> None:
    """Every service's /readyz answers 200 (and scripts/dev says so)."""
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = dict(urls)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=3)) as http:
        while waiting:
            for name, url in list(waiting.items()):
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"{url}/readyz") as r:
                        if r.status == 200:
                            del waiting[name]
            if not waiting:
                return
            assert process.returncode is None, f"scripts/dev exited with {process.returncode}"
            assert time.monotonic() < deadline, f"not ready within {READY_TIMEOUT} s: {waiting}"
            await asyncio.sleep(0.25)


async def _wait_for_gateway(process: asyncio.subprocess.Process, lines: list[str]) -> str:
    """The one URL scripts/dev prints once the services are ready behind the gateway."""
    ready = re.compile(r"^\[dev\] every service is ready behind the gateway: (http://\S+) ")
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        found = [m[1] for line in lines if (m := ready.match(line))]
        if found:
            return found[0]
        assert process.returncode is None, f"scripts/dev exited with {process.returncode}"
        assert time.monotonic() < deadline, f"no gateway URL within {READY_TIMEOUT} s"
        await asyncio.sleep(0.2)


def _load_demo_output(lines: list[str]) -> dict[str, Any]:
    """What `python -m family load-demo` printed (JSON over several lines)."""
    text = "\n".join(
        line.removeprefix("[family load-demo] ")
        for line in lines
        if line.startswith("[family load-demo] ")
    )
    start = text.index('{\n  "tenant"')
    return json.loads(text[start : text.index("\n}", start) + 2])


def _demo_household_id(lines: list[str]) -> str:
    households = _load_demo_output(lines)["households"]
    return next(h["household_id"] for h in households if h["guardian_email"] == FAMILY_EMAIL)


# Each demo staff account's back-office screens through the gateway: (account, page,
# status): the admin sees everything, the agent no settings, the animator the sheet only.
STAFF_SCREENS = [
    *(
        ("admin@demo.example", page, 200)
        for page in (
            "/gestion",
            "/gestion/foyers?q=Durand",
            "/gestion/comptes",
            "/gestion/journal",
            "/gestion/activites",
            "/gestion/activites/nouvelle",
            "/gestion/presences",
            "/gestion/presences/cuisine",
            "/gestion/inscriptions",
            "/gestion/absences",
            "/gestion/demandes",
            "/gestion/facturation",
            "/gestion/facturation/prelevements",
            "/gestion/facturation/impayes",
            "/gestion/communication",
            "/gestion/communication/actualites",
            "/gestion/communication/menus",
            "/gestion/communication/pages",
            "/gestion/communication/documents",
            "/gestion/communication/courriels",
            "/gestion/imports",
        )
    ),
    ("agent@demo.example", "/gestion", 200),
    ("agent@demo.example", "/gestion/comptes", 200),
    ("agent@demo.example", "/gestion/journal", 403),
    ("agent@demo.example", "/gestion/activites/nouvelle", 403),
    ("animateur@demo.example", "/gestion/presences", 200),
    ("animateur@demo.example", "/gestion", 403),
    ("animateur@demo.example", "/gestion/foyers", 403),
]


async def _staff_screens(gateway: str) -> None:
    """The demo staff log in to the portal (a session each) and open their screens."""
    by_account: dict[str, list[tuple[str, int]]] = {}
    for account, page, status in STAFF_SCREENS:
        by_account.setdefault(account, []).append((page, status))
    for account, pages in by_account.items():
        jar = aiohttp.CookieJar(unsafe=True)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout, cookie_jar=jar) as http:
            async with http.get(f"{gateway}connexion") as r:
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
            assert csrf, "no CSRF token on the login page"
            login = {"csrf_token": csrf[1], "login": account, "password": PASSWORD}
            async with http.post(f"{gateway}connexion", data=login) as r:
                assert r.status == 200 and "/gestion" in str(r.url), (account, r.url)
            for page, status in pages:
                async with http.get(f"{gateway}{page.lstrip('/')}") as r:
                    body = await r.text()
                    assert r.status == status, (account, page, r.status, body[-500:])
                    assert 'lang="fr"' in body, (account, page)


async def _demo_household(gateway: str, lines: list[str]) -> dict[str, Any]:
    """Through the gateway: logs the demo family in (identity), whose account the demo town
    linked to its household, reads its household (family), the town's activities (booking)
    and this week's menu (notify); the documentation is served there too."""
    assert any(line.startswith("[demo_town] the demo town: ") for line in lines), lines[-20:]
    api = f"{gateway}api"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.get(f"{api}/openapi.json") as r:
            assert r.status == 200, await r.text()
            assert "/api/family/tenants/{tenant}/me/household" in (await r.json())["paths"]
        async with http.post(
            f"{api}/identity/tenants/{TENANT}/login",
            json={"login": FAMILY_EMAIL, "password": PASSWORD},
        ) as r:
            assert r.status == 200, await r.text()
            token = (await r.json())["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        async with http.get(f"{api}/booking/tenants/{TENANT}/activities", headers=auth) as r:
            assert r.status == 200, await r.text()
            names = {a["name"] for a in (await r.json())["items"]}
            assert {"Restauration scolaire", "Mercredis loisirs"} <= names, names
        async with http.get(f"{api}/notify/tenants/{TENANT}/menus", headers=auth) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["weeks"][0]["published"]
        async with http.get(f"{api}/family/tenants/{TENANT}/me/household", headers=auth) as r:
            assert r.status == 200, await r.text()
            assert r.headers["X-Content-Type-Options"] == "nosniff"  # the gateway answered
            return await r.json()
