"""The browser tests' fixtures: one stack for the session (shared.testing.browser says what
it runs), Playwright and Debian's Chromium, the public APIs, tabs whose pages are checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from shared.testing import plugin
from shared.testing.browser import (
    CHROMIUM,
    PHONE,
    Api,
    Stack,
    Tab,
    Visits,
    client_address,
)
from shared.testing.stack import FolderStack

FOLDER = FolderStack(Path(__file__).parent)


@pytest.fixture(scope="session")
def stack(test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # (test_run: Postgres and RabbitMQ answer, or the run stops with instructions.)
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "the portal is checked in Debian's chromium: apt-get install -y chromium", pytrace=False
        )
    # The town's menus and pages that tests publish through the APIs (not the portal) show
    # on the families' pages within a second, whatever an earlier test read.
    env = {"WEB_THEME_CACHE_SECONDS": "1"}
    yield FOLDER.start("browser", tmp_path_factory.mktemp("mail"), env).stack


@pytest.hookimpl(trylast=True)  # after the item's own fixtures are finalised
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    FOLDER.after(item, nextitem)


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
