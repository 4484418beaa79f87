"""The real nginx, with the configuration `scripts/gateway.py` renders, in front of real
aiohttp apps (the services themselves, or small stand-ins that echo what they received).

nginx missing is a failure, not a skip: scripts/bootstrap installs Debian's nginx-light as
root, and the failure says how to install it otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from shared.http.app import PARSER_LIMITS

ROOT = Path(__file__).resolve().parents[2]


def load_script(name: str) -> Any:
    """scripts/<name>.py as a module (scripts/ is not a package)."""
    module_name = f"_scripts_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / f"scripts/{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


gateway = load_script("gateway")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def nginx() -> str:
    try:
        return gateway.nginx_binary()
    except gateway.GatewayError as exc:
        pytest.fail(f"the gateway tests need nginx: {exc}", pytrace=False)


class Gateway:
    def __init__(self, url: str, process: asyncio.subprocess.Process, out: Path) -> None:
        self.url, self.process, self.out = url, process, out
        self.output: list[str] = []

    def __call__(self, path: str) -> str:
        return f"{self.url}{path}"


@contextlib.asynccontextmanager
async def running_gateway(
    nginx: str,
    out: Path,
    upstreams: dict[str, str],
    *,
    cors_origins: tuple[str, ...] = (),
    docs_dir: Path | None = None,
    trusted_proxies: tuple[str, ...] = (),
) -> AsyncIterator[Gateway]:
    """nginx rendered for these upstreams, on a free port, until the block ends."""
    port = free_port()
    text = gateway.render(
        out=out,
        listen=f"127.0.0.1:{port}",
        upstreams=upstreams,
        cors_origins=list(cors_origins),
        trusted_proxies=list(trusted_proxies),
        docs_dir=docs_dir,
        worker_processes="1",
        error_log_level="warn",
    )
    conf = gateway.write(out, text)
    gateway.check(conf, nginx)
    process = await asyncio.create_subprocess_exec(
        *gateway.command(conf, nginx),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    running = Gateway(f"http://127.0.0.1:{port}", process, out)
    assert process.stdout is not None

    async def read(stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            running.output.append(line.decode(errors="replace").rstrip())

    reader = asyncio.create_task(read(process.stdout))
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(100):
                assert process.returncode is None, "nginx exited:\n" + "\n".join(running.output)
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(running("/healthz")) as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("nginx did not answer:\n" + "\n".join(running.output))
        yield running
    finally:
        if process.returncode is None:
            process.terminate()  # fast shutdown
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()
        await asyncio.wait_for(reader, 5)


def echo_app(name: str) -> web.Application:
    """Stands in for a service: answers what it received (path, query, headers, body size)."""

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "service": name,
                "method": request.method,
                "path": request.path,
                "raw_path": request.raw_path,
                "headers": dict(request.headers),
                "body_bytes": len(body),
            },
            headers={"X-Request-ID": request.headers.get("X-Request-ID", "")},
        )

    app = web.Application(client_max_size=100 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


EchoServers = Callable[[], Any]


@pytest.fixture
async def echo_upstreams(aiohttp_server: Any) -> dict[str, str]:
    """service name -> host:port of an echo app, one per service (and the portal, web)."""
    upstreams = {}
    for name in gateway.UPSTREAMS:
        # The services' own parser limits (shared/cli.py serve), above the gateway's.
        server = await aiohttp_server(echo_app(name), **PARSER_LIMITS)
        upstreams[name] = f"127.0.0.1:{server.port}"
    return upstreams
