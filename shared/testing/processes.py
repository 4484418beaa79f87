"""Driving real processes from tests: a service started as `python -m`, the local broker."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sys

import aiohttp
import asyncpg
import pytest

from shared.settings import ServiceSettings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """A service running as its own OS process, as in production."""

    def __init__(self, module: str, settings: ServiceSettings) -> None:
        self.module = module
        self.port = free_port()
        self.env = {
            **os.environ,
            **settings.to_env(),
            "HTTP_PORT": str(self.port),
            "LOG_FORMAT": "json",
        }
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, *, ready_timeout: float = 30) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            self.module,
            "serve",
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        deadline = asyncio.get_running_loop().time() + ready_timeout
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    async with session.get(f"{self.url}/readyz", params={"strict": "1"}) as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.process.returncode is not None:
                    raise AssertionError(f"{self.module} exited with {self.process.returncode}")
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"{self.module} not ready within {ready_timeout}s")
                await asyncio.sleep(0.1)

    async def terminate(self) -> float:
        """SIGTERM, then the seconds it took to exit."""
        assert self.process is not None
        started = asyncio.get_running_loop().time()
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 30)
        return asyncio.get_running_loop().time() - started

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def rabbitmqctl(*args: str) -> None:
    """Stop or start the broker's application (the node keeps running)."""
    from shared.testing.plugin import CONTAINERS

    if "rabbitmq" in CONTAINERS:
        result = await asyncio.to_thread(CONTAINERS["rabbitmq"].exec, ["rabbitmqctl", *args])
        if result.exit_code != 0:
            raise AssertionError(f"rabbitmqctl {' '.join(args)} failed: {result.output!r}")
        return
    if shutil.which("rabbitmqctl") is None:
        pytest.fail(
            "these tests stop and start the local RabbitMQ: rabbitmqctl is needed "
            "(run as root on the machine that runs RabbitMQ)"
        )
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await asyncio.wait_for(process.communicate(), 120)
    if process.returncode != 0:
        raise AssertionError(f"rabbitmqctl {' '.join(args)} failed: {output.decode()}")


async def stop_broker() -> None:
    await rabbitmqctl("stop_app")


async def start_broker() -> None:
    await rabbitmqctl("start_app")
    await rabbitmqctl("await_startup")


async def restart_postgres() -> None:
    """Restart the local Postgres cluster(s): every connection is cut."""
    from shared.testing.plugin import ADMIN_DSN, CONTAINERS

    if "postgres" in CONTAINERS:
        # Restarting the container's server would end the container: cut every connection.
        conn = await asyncpg.connect(ADMIN_DSN)
        try:
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
        finally:
            await conn.close()
        return
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        pytest.fail("this test restarts the local Postgres: pg_ctlcluster is needed (root)")
    listing = await asyncio.create_subprocess_exec(
        "pg_lsclusters", "--no-header", stdout=asyncio.subprocess.PIPE
    )
    output, _ = await listing.communicate()
    for line in output.decode().splitlines():
        version, cluster = line.split()[:2]
        process = await asyncio.create_subprocess_exec(
            "pg_ctlcluster",
            "--skip-systemctl-redirect",
            version,
            cluster,
            "restart",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if await asyncio.wait_for(process.wait(), 60) != 0:
            raise AssertionError(f"pg_ctlcluster {version} {cluster} restart failed")
