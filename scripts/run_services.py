"""Run every service locally as its own process, with its port and a log prefix.

Used by `scripts/dev`. Creates the database if missing, applies each service's migrations,
starts the services and the development mailbox, waits until every service's
`/readyz?strict=1` answers 200, then loads the demo tenant (once: the loaders are idempotent;
after the services, so that the demo's events find every consumer's queue).
Ctrl-C (or SIGTERM, SIGHUP) stops them all: each gets one SIGTERM (they run in sessions of
their own, so a terminal's Ctrl-C reaches only this process, never twice) and is killed if it
has not exited within its `SHUTDOWN_TIMEOUT_SECONDS` and a margin.

Once every service is ready, the gateway (nginx, `scripts/gateway.py`, configuration in
deploy/gateway/) starts in front of them on port 8080 with the API documentation
(`scripts/apidocs.py`): http://localhost:8080/ is the one entry point.

Environment: DATABASE_URL; DEV_PORT_OFFSET (added to every port below, the mailbox's and the
gateway's included, so that a second copy or a test runs beside the first);
DEV_MAIL_DIR (where the mailbox keeps emails); DEV_READY_TIMEOUT_SECONDS (how long to wait
for readiness before saying what is missing); DEV_RESTART_EXITED=1 (a service that exits, or
is killed, is started again as a supervisor would, instead of stopping them all: the fault
tests kill them by the pid each `<name> runs as pid <pid>` line gives);
GATEWAY_* (scripts/gateway.py: CORS origins...); every service setting.
"""

from __future__ import annotations

import asyncio
import ctypes
import importlib.util
import os
import signal
import sys
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import asyncpg

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portail")
PORT_OFFSET = int(os.environ.get("DEV_PORT_OFFSET", "0"))
READY_TIMEOUT = float(os.environ.get("DEV_READY_TIMEOUT_SECONDS", "60"))
# The services' own graceful shutdown (shared settings' default), then a margin.
STOP_TIMEOUT = float(os.environ.get("SHUTDOWN_TIMEOUT_SECONDS", "8")) + 5
LINE_LIMIT = 1 << 20  # bytes of one line of a child's output
T = TypeVar("T")
COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port: int  # with DEV_PORT_OFFSET=0
    api: bool = True  # described in the gateway's API documentation (web serves pages)

    @property
    def listen_port(self) -> int:
        return self.port + PORT_OFFSET

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listen_port}"


# One line per service; each later service issue adds its own.
SERVICES = [
    Service("identity", "identity", 8081),
    Service("notify", "notify", 8085),
    Service("family", "family", 8082),
    Service("booking", "booking", 8083),
    Service("billing", "billing", 8084),
    # The families' web portal, at the gateway's / (it calls the others' APIs).
    Service("web", "web", 8086, api=False),
]
# The services whose `load-demo` fills the demo tenant, in this order (accounts first).
DEMO_LOADERS = ["identity", "family"]
# Then the demo town's year through the public APIs (scripts/demo_town.py), unless
# DEV_DEMO_TOWN=0.
DEMO_TOWN = os.environ.get("DEV_DEMO_TOWN", "1") != "0"
RESTART_EXITED = os.environ.get("DEV_RESTART_EXITED", "0") == "1"
# Development mailbox: every email the services send lands in DEV_MAIL_DIR (default var/mail/:
# .eml + index.tsv).
MAIL_PORT = 1025 + PORT_OFFSET
MAIL_DIR = os.environ.get("DEV_MAIL_DIR", "var/mail")
MAIL_SINK = ["-m", "notify", "smtp-sink", "--port", str(MAIL_PORT), "--dir", MAIL_DIR]
SCRIPTS = Path(__file__).resolve().parent
GATEWAY_DIR = SCRIPTS.parent / "var/gateway"
APIDOCS = SCRIPTS / "apidocs.py"


def _load_gateway() -> Any:
    """scripts/gateway.py (this file may itself be loaded from a path, as the smoke test does)."""
    spec = importlib.util.spec_from_file_location("_scripts_gateway", SCRIPTS / "gateway.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gateway = _load_gateway()
GATEWAY_PORT = int(os.environ.get("GATEWAY_LISTEN", str(8080 + PORT_OFFSET)).rpartition(":")[2])


def log(text: str) -> None:
    print(f"[dev] {text}", flush=True)


async def ensure_database() -> None:
    base, _, name = DATABASE_URL.rpartition("/")
    name = name.split("?")[0]
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
            log(f"created database {name}")
    finally:
        await admin.close()


def environment(service: Service | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("APP_ENV", "development")
    if service is not None:
        env["HTTP_PORT"] = str(service.listen_port)
    env["DATABASE_URL"] = DATABASE_URL
    identity = next(s for s in SERVICES if s.name == "identity")
    env.setdefault("JWKS_URL", f"{identity.url}/.well-known/jwks.json")
    env.setdefault("SMTP_PORT", str(MAIL_PORT))  # notify sends to the mailbox
    # billing's card payments: the return and notification URLs it gives the bank, and its
    # stand-in of the dummy payment page (development only), are on the gateway, which the
    # browser and billing itself both reach (the stand-in notifies billing through it).
    env.setdefault("BILLING_PUBLIC_URL", f"http://127.0.0.1:{GATEWAY_PORT}/api/billing")
    # The families' portal: the services' URLs it calls, and where links in emails and the
    # browser's return after a card payment lead (the gateway's address, as printed).
    for other in SERVICES:
        if other.api:
            env.setdefault(f"WEB_{other.name.upper()}_URL", other.url)
    env.setdefault("PORTAL_URL", f"http://localhost:{GATEWAY_PORT}")
    env.setdefault("PUBLIC_BASE_URL", f"http://localhost:{GATEWAY_PORT}")  # identity's links
    # Behind the gateway: the client's address is the last X-Forwarded-For entry (identity's
    # per-address throttling and audit log).
    env.setdefault("TRUSTED_PROXY_HOPS", "1")
    return env


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None) if sys.platform == "linux" else None
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """In the child, before exec: a new session (a terminal's Ctrl-C reaches only the
    parent, which stops each child once) and, on Linux, SIGTERM if the parent dies."""
    os.setsid()
    if _LIBC is not None:
        _LIBC.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


async def spawn(
    *args: str, env: dict[str, str], program: str = sys.executable
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        program,
        *args,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        preexec_fn=_die_with_parent,
        limit=LINE_LIMIT,
    )


async def pump(prefix: str, stream: asyncio.StreamReader) -> None:
    while True:
        try:
            line = await stream.readline()
        except ValueError:  # longer than LINE_LIMIT: dropped by the stream, say so
            line = b"(a line longer than %d bytes was left out)\n" % LINE_LIMIT
        if not line:
            return
        sys.stdout.write(f"{prefix} {line.decode(errors='replace')}")
        sys.stdout.flush()


async def stop_processes(processes: list[tuple[str, asyncio.subprocess.Process]]) -> list[str]:
    """One SIGTERM each, then wait; kill what is still there after STOP_TIMEOUT. Returns the
    names of those that had to be killed."""
    for _, process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    killed = []
    for name, process in processes:
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            killed.append(name)
            process.kill()
            await process.wait()
    return killed


class Stopped(Exception):
    """Ctrl-C (or SIGTERM/SIGHUP) before everything was started."""


async def until_stopped(stop: asyncio.Event, awaitable: Awaitable[T]) -> T:
    task = asyncio.ensure_future(awaitable)
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done():
        return task.result()
    task.cancel()
    raise Stopped()


async def run_once(stop: asyncio.Event, service: Service, *command: str) -> int:
    """`python -m <service> <command>` (or `python <script>` when the command is a path),
    in the service's environment, its output prefixed; stopped with us."""
    script = command[0].endswith(".py")
    args = command if script else ("-m", service.module, *command)
    label = Path(command[0]).stem if script else f"{service.name} {' '.join(command)}"
    process = await spawn(*args, env=environment(service))
    assert process.stdout is not None
    output = asyncio.create_task(pump(f"[{label}]", process.stdout))
    try:
        return await until_stopped(stop, process.wait())
    except (Stopped, asyncio.CancelledError):
        await stop_processes([(label, process)])
        raise
    finally:
        await output


async def wait_ready(
    services: list[Service], processes: list[asyncio.subprocess.Process]
) -> list[str]:
    """Waits until every service's `/readyz?strict=1` answers 200 (READY_TIMEOUT at most,
    or until one exits); returns what is still missing (empty: all ready)."""
    missing: dict[str, str] = {s.name: "no answer yet" for s in services}
    deadline = asyncio.get_running_loop().time() + READY_TIMEOUT
    timeout = aiohttp.ClientTimeout(total=2)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        while missing and asyncio.get_running_loop().time() < deadline:
            for service, process in zip(services, processes, strict=True):
                if service.name not in missing:
                    continue
                if process.returncode is not None:
                    return [f"{service.name} exited with {process.returncode}"]
                try:
                    async with http.get(f"{service.url}/readyz", params={"strict": "1"}) as r:
                        if r.status == 200:
                            del missing[service.name]
                        else:
                            missing[service.name] = f"readyz {r.status}: {await r.text()}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    missing[service.name] = repr(exc)
            if missing:
                await asyncio.sleep(0.25)
    return [f"{name}: {reason}" for name, reason in missing.items()]


async def _set_when_exited(process: asyncio.subprocess.Process, event: asyncio.Event) -> None:
    await process.wait()
    event.set()


async def start_gateway(pumps: list[asyncio.Task[None]]) -> asyncio.subprocess.Process | None:
    """The API documentation (scripts/apidocs.py, from the running services), then nginx in
    front of the services; None (said) when it cannot start."""
    out = GATEWAY_DIR
    docs = await spawn(
        str(APIDOCS),
        "--out",
        str(out / "docs"),
        *(f"--from={s.name}={s.url}" for s in SERVICES if s.api),
        env=environment(),
    )
    assert docs.stdout is not None
    await pump("[gateway docs]", docs.stdout)
    if await docs.wait() != 0:
        print("[dev] the API documentation could not be built", file=sys.stderr, flush=True)
        return None
    try:
        nginx = await asyncio.to_thread(gateway.nginx_binary)
        settings = gateway.settings_from_env(port_offset=PORT_OFFSET)
        conf = gateway.write(out, gateway.render(out=out, **settings))
        await asyncio.to_thread(gateway.check, conf, nginx)
    except gateway.GatewayError as exc:
        print(f"[dev] the gateway cannot start: {exc}", file=sys.stderr, flush=True)
        return None
    command = gateway.command(conf, nginx)
    process = await spawn(*command[1:], env=environment(), program=command[0])
    assert process.stdout is not None
    pumps.append(asyncio.create_task(pump(f"[gateway:{GATEWAY_PORT}]", process.stdout)))
    # "Ready" is announced once nginx takes connections, not when it was only spawned (on a
    # busy machine it binds its port a moment later).
    for _ in range(200):
        if process.returncode is not None:
            print("[dev] the gateway stopped at once", file=sys.stderr, flush=True)
            return None
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", GATEWAY_PORT)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        break
    log(f"started gateway: http://127.0.0.1:{GATEWAY_PORT}")
    return process


async def main() -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    by_name = {s.name: s for s in SERVICES}
    try:
        await until_stopped(stop, ensure_database())
        for service in SERVICES:
            if await run_once(stop, service, "migrate") != 0:
                print(f"[dev] migrations of {service.name} failed", file=sys.stderr, flush=True)
                return 1
    except Stopped:
        log("stopped before the services started")
        return 0

    children: list[tuple[str, asyncio.subprocess.Process]] = []
    pumps = []
    sink = await spawn(*MAIL_SINK, env=environment())
    assert sink.stdout is not None
    pumps.append(asyncio.create_task(pump(f"[mailbox:{MAIL_PORT}]", sink.stdout)))
    log(f"mailbox on port {MAIL_PORT}: emails kept in {MAIL_DIR}/ (list: {MAIL_DIR}/index.tsv)")

    async def start(index: int, service: Service) -> asyncio.subprocess.Process:
        process = await spawn("-m", service.module, "serve", env=environment(service))
        color = COLORS[index % len(COLORS)] if sys.stdout.isatty() else ""
        prefix = f"{color}[{service.name}:{service.listen_port}]{RESET if color else ''}"
        assert process.stdout is not None
        pumps.append(asyncio.create_task(pump(prefix, process.stdout)))
        log(f"started {service.name}: {service.url}")
        log(f"{service.name} runs as pid {process.pid}")  # (the fault tests kill it by it)
        return process

    for index, service in enumerate(SERVICES):
        children.append((service.name, await start(index, service)))
    processes = [p for _, p in children]

    async def restart_when_exited(index: int, service: Service) -> None:
        """(DEV_RESTART_EXITED) Start the service again each time it exits, until we stop."""
        while True:
            code = await children[index][1].wait()
            if stop.is_set():
                return
            log(f"{service.name} exited with {code}: starting it again")
            children[index] = (service.name, await start(index, service))

    gateway_exited = asyncio.Event()

    async def announce() -> None:
        missing = await wait_ready(SERVICES, processes)
        if missing:
            if all(p.returncode is None for p in processes):
                log(f"not ready after {READY_TIMEOUT:.0f} s: " + "; ".join(missing))
            return
        # The demo once every service is ready: their queues exist, so the demo's events
        # (households, children) reach booking and billing instead of the archive.
        try:
            for name in DEMO_LOADERS:
                if await run_once(stop, by_name[name], "load-demo") != 0:
                    log(f"load-demo of {name} failed")
                    stop.set()
                    return
            demo_town = str(SCRIPTS / "demo_town.py")
            if DEMO_TOWN and await run_once(stop, by_name["family"], demo_town) != 0:
                log("scripts/demo_town.py failed")
                stop.set()
                return
        except Stopped:
            return
        front = await start_gateway(pumps)
        if front is None:
            gateway_exited.set()
            return
        children.append(("gateway", front))
        gateway_exited.clear()
        pumps.append(asyncio.create_task(_set_when_exited(front, gateway_exited)))
        log(
            f"every service is ready behind the gateway: http://localhost:{GATEWAY_PORT}/ "
            "(Ctrl-C stops them all)"
        )

    readiness = asyncio.create_task(announce())
    if RESTART_EXITED:
        supervised = [restart_when_exited(i, s) for i, s in enumerate(SERVICES)]
        exited = [asyncio.create_task(sink.wait()), *map(asyncio.create_task, supervised)]
    else:
        exited = [asyncio.create_task(p.wait()) for p in [*processes, sink]]
    waiter = asyncio.create_task(stop.wait())
    gateway_gone = asyncio.create_task(gateway_exited.wait())
    await asyncio.wait([waiter, gateway_gone, *exited], return_when=asyncio.FIRST_COMPLETED)
    readiness.cancel()
    gateway_gone.cancel()
    for task in exited:
        task.cancel()
    everything = [*children, ("mailbox", sink)]
    gone = [name for name, p in everything if p.returncode is not None]
    if gateway_exited.is_set() and not gone:
        gone = ["gateway"]
    log("stopping every service...")
    killed = await stop_processes(everything)
    await asyncio.gather(*pumps, return_exceptions=True)
    if killed:
        print(f"[dev] killed after {STOP_TIMEOUT:.0f} s: {killed}", file=sys.stderr, flush=True)
    if not stop.is_set():
        print(f"[dev] stopped because {gone} exited", file=sys.stderr, flush=True)
        return 1
    log("every service stopped")
    return 1 if killed else 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
