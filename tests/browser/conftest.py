"""The browser tests' fixtures: one stack for the session (shared.testing.browser says what
it runs), Playwright and Debian's Chromium, the public APIs, tabs whose pages are checked."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing import plugin
from shared.testing.browser import (
    CHROMIUM,
    PHONE,
    ROOT,
    Api,
    Stack,
    Tab,
    Visits,
    client_address,
    port_offset,
)


@pytest.fixture(scope="session")
def stack(test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # (test_run: Postgres and RabbitMQ answer, or the run stops with instructions.)
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "the portal is checked in Debian's chromium: apt-get install -y chromium", pytrace=False
        )
    run_id = uuid.uuid4().hex[:10]
    database, namespace = f"pf_browser_{run_id}", f"browser{run_id}"
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
        "DEV_DEMO_TOWN": "0",  # each test sets up what it needs
        # The basket's invoice a moment after its validation.
        "BASKET_INVOICE_GRACE_SECONDS": "0.5",
        "BASKET_INVOICE_SWEEP_SECONDS": "0.5",
        # Each test's family comes from an address of its own (client_address()), as families
        # do: the gateway's per-address limits then count each family, not the whole run.
        "GATEWAY_TRUSTED_PROXIES": "127.0.0.1 ::1",
        # The town's menus and pages that tests publish through the APIs (not the portal)
        # show on the families' pages within a second, whatever an earlier test read.
        "WEB_THEME_CACHE_SECONDS": "1",
        # Sign-up's proof of work kept small: the browser solves it in a moment.
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

    def stop() -> None:
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

    _STOPS.append(stop)
    try:
        running.wait_ready()
        yield running
    except BaseException:
        print("\n".join(running.lines[-80:]))
        raise
    finally:
        _stop_stack()


# The stack's stop, while it runs. It is stopped after this directory's last test, not at the
# session's end: the tests collected after it must not share the machine (its connections,
# its sweepers) with a stack nobody uses any more.
_STOPS: list[Callable[[], None]] = []
HERE = Path(__file__).resolve().parent


def _stop_stack() -> None:
    while _STOPS:
        _STOPS.pop()()


@pytest.hookimpl(trylast=True)  # after the item's own fixtures are finalised
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or Path(nextitem.path).resolve().parent != HERE:
        _stop_stack()


async def _cleanup(database: str, namespace: str) -> None:
    admin = await asyncpg.connect(plugin.ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.close()
    bus = plugin.BusNamespace(namespace)
    delays = ServiceSettings.from_env({}).retry_delays_ms
    services = ["identity", "notify", "family", "booking", "billing", "web"]
    bus.topologies.extend((Topology(namespace, name), delays) for name in services)
    await plugin.delete_topology(bus)


# Per module, not per session: Playwright's sync API holds an event loop in the main thread
# while it runs, which the asynchronous tests collected after this directory must not find.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Playwright, stack: Stack) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def api(playwright: Playwright, stack: Stack) -> Iterator[Api]:
    context = playwright.request.new_context(
        extra_http_headers={"X-Forwarded-For": client_address()}
    )
    try:
        yield Api(context, stack.url)
    finally:
        context.dispose()


@pytest.fixture
def open_tab(browser: Browser) -> Iterator[Callable[..., Tab]]:
    """open_tab("prefix") → a Tab; at the test's end, no console error in any tab."""
    tabs: list[Tab] = []
    contexts = []

    def opened(prefix: str, viewport: dict[str, int] | None = None) -> Tab:
        context = browser.new_context(
            locale="fr-FR",
            viewport=viewport or PHONE,
            extra_http_headers={"X-Forwarded-For": client_address()},
        )
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page, Visits(page, prefix))
        # (A form answered 422 is logged as a failed resource: not an error of the page.)
        page.on(
            "console",
            lambda m: (
                tab.errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        tabs.append(tab)
        return tab

    yield opened
    for context in contexts:
        context.close()
    for tab in tabs:
        assert tab.errors == [], tab.errors  # no CSP violation, no script error
