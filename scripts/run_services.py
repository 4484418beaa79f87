"""Run every service locally as its own process, with its port and a log prefix.

Used by `scripts/dev`. Creates the database if missing, applies each service's migrations,
loads the demo tenant once, then starts the services; Ctrl-C (or SIGTERM) stops them all
cleanly and waits for them.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from dataclasses import dataclass

import asyncpg

DATABASE_URL = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/portail")
COLORS = ["\033[36m", "\033[35m", "\033[33m", "\033[32m", "\033[34m", "\033[31m"]
RESET = "\033[0m"


@dataclass(frozen=True)
class Service:
    name: str
    module: str
    port: int


# One line per service; each later service issue adds its own.
SERVICES = [
    Service("identity", "identity", 8081),
    Service("notify", "notify", 8085),
    Service("family", "family", 8082),
    Service("booking", "booking", 8083),
]
# Development mailbox: every email the services send lands in var/mail/ (.eml + index.tsv).
MAIL_SINK = ["-m", "notify", "smtp-sink", "--port", "1025", "--dir", "var/mail"]


async def ensure_database() -> None:
    base, _, name = DATABASE_URL.rpartition("/")
    name = name.split("?")[0]
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", flush=True)
    finally:
        await admin.close()


def environment(service: Service) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("APP_ENV", "development")
    env["HTTP_PORT"] = str(service.port)
    env["DATABASE_URL"] = DATABASE_URL
    env.setdefault("JWKS_URL", "http://127.0.0.1:8081/.well-known/jwks.json")
    return env


async def run_once(service: Service, *args: str) -> int:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", service.module, *args, env=environment(service)
    )
    return await process.wait()


async def pump(prefix: str, stream: asyncio.StreamReader) -> None:
    while line := await stream.readline():
        sys.stdout.write(f"{prefix} {line.decode(errors='replace')}")
        sys.stdout.flush()


async def main() -> int:
    await ensure_database()
    for service in SERVICES:
        if await run_once(service, "migrate") != 0:
            print(f"migrations of {service.name} failed", file=sys.stderr)
            return 1
    if await run_once(SERVICES[0], "load-demo") != 0:
        print("loading the demo tenant failed", file=sys.stderr)
        return 1
    if await run_once(SERVICES[2], "load-demo") != 0:
        print("loading the demo households failed", file=sys.stderr)
        return 1
    processes: list[asyncio.subprocess.Process] = []
    pumps = []
    sink = await asyncio.create_subprocess_exec(
        sys.executable,
        *MAIL_SINK,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert sink.stdout is not None
    pumps.append(asyncio.create_task(pump("[mailbox:1025]", sink.stdout)))
    print("[mailbox:1025] emails are kept in var/mail/ (listing: var/mail/index.tsv)", flush=True)
    for index, service in enumerate(SERVICES):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            service.module,
            "serve",
            env=environment(service),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        color = COLORS[index % len(COLORS)] if sys.stdout.isatty() else ""
        prefix = f"{color}[{service.name}:{service.port}]{RESET if color else ''}"
        assert process.stdout is not None
        pumps.append(asyncio.create_task(pump(prefix, process.stdout)))
        processes.append(process)
        print(f"{prefix} started: http://127.0.0.1:{service.port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    exited = [asyncio.create_task(p.wait()) for p in processes]
    waiter = asyncio.create_task(stop.wait())
    await asyncio.wait([waiter, *exited], return_when=asyncio.FIRST_COMPLETED)
    print("stopping every service...", flush=True)
    for process in processes:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
    await asyncio.gather(*exited)
    if sink.returncode is None:
        sink.send_signal(signal.SIGTERM)
    await sink.wait()
    await asyncio.gather(*pumps, return_exceptions=True)
    failed = [s.name for s, p in zip(SERVICES, processes, strict=True) if p.returncode]
    if failed and not stop.is_set():
        print(f"stopped because {failed} exited", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
