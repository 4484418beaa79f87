"""The journeys' fixtures (issue 17, one journey per guide of ../shared/seeds/): one stack for
the whole folder (every service, the portal and the gateway as processes, as
shared.testing.browser's Stack runs them for the browser tests, without a browser), and a
client that reaches it through the gateway ONLY: every call goes to `/api/<service>/…` on the
gateway's port, every emailed link is opened on the gateway, nothing reads a database.

Each test makes its own accounts, households, activities and régies: the tests share the
stack, not their data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import APIResponse, Playwright, sync_playwright

from shared.testing import plugin
from shared.testing.browser import (
    PASSWORD,
    STAFF,
    TENANT,
    Api,
    Mailbox,
    Stack,
    client_address,
    eventually,
)
from shared.testing.stack import FolderStack

T = f"/tenants/{TENANT}"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HERE = Path(__file__).resolve().parent
FOLDER = FolderStack(HERE)


@pytest.fixture(scope="session")
def stack(test_run: plugin.TestRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # (test_run: Postgres and RabbitMQ answer, or the run stops with instructions.)
    started = time.monotonic()
    # The recap and every email a moment after their event.
    env = {"MAIL_BASKET_GRACE_SECONDS": "0.5", "MAIL_DISPATCH_SWEEP_SECONDS": "0.5"}
    # Booking's sweeper each second: an opening window allocated as soon as it closes.
    env["BOOKING_HOLD_SWEEP_SECONDS"] = "1"
    running = FOLDER.start("e2e", tmp_path_factory.mktemp("mail"), env).stack
    print(f"\n[e2e] stack ready in {time.monotonic() - started:.1f} s at {running.url}")
    yield running


@pytest.hookimpl(trylast=True)  # after the item's own fixtures are finalised
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    FOLDER.after(item, nextitem)


# Per module: Playwright's sync API holds an event loop in the main thread while it runs,
# which the asynchronous tests collected after this folder must not find.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


class Gateway(Api):
    """The suite as any client reaches it: the gateway's URL, nothing else. Staff's calls, a
    family's calls, the emailed links followed, uploads, the card payment page."""

    def __init__(self, request: Any, stack: Stack) -> None:
        super().__init__(request, stack.url)
        self.stack, self.mailbox = stack, stack.mailbox

    def staff(self) -> dict[str, str]:
        return self.login(STAFF)

    def call(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        body: Any = None,
        ok: tuple[int, ...] = (200, 201, 202),  # 202: a family's change waits for staff
    ) -> Any:
        return super().call(method, path, headers, body, ok)

    def session_with_household(self, login: str, password: str = PASSWORD) -> dict[str, str]:
        """A new session once identity put the household in its tokens (HouseholdLinked
        heard) and booking knows the household: the guides' « déconnectez-vous, puis
        reconnectez-vous ». One login a second at most: the gateway limits logins."""

        def logged_in() -> dict[str, str] | None:
            headers = self.login(login, password)
            r = self.answer("GET", f"/booking{T}/enrollments", headers)
            return headers if r.status == 200 else None

        return eventually(logged_in, interval=1.0)

    def answer(
        self, method: str, path: str, headers: dict[str, str], body: Any = None
    ) -> APIResponse:
        """The raw answer (for the refusals a journey checks)."""
        return self.request.fetch(f"{self.base}{path}", method=method, headers=headers, data=body)

    def upload(
        self,
        path: str,
        headers: dict[str, str],
        fields: dict[str, str],
        name: str = "piece.pdf",
        content: bytes = PDF,
    ) -> Any:
        """A multipart form with its file (`file`), as the portal posts it."""
        r = self.request.post(
            f"{self.base}{path}",
            headers=headers,
            multipart={
                **fields,
                "file": {"name": name, "mimeType": "application/pdf", "buffer": content},
            },
        )
        assert r.status in (200, 201, 202), f"POST {path}: {r.status} {r.text()}"
        return r.json()

    def link(self, message: Any, part: str) -> str:
        """The emailed link containing `part`: on the gateway's address (the portal, or an API
        behind it), and answering there (a page needing a session leads to the login page)."""
        links = [u for u in Mailbox.links(message) if part in u]
        assert links, f"no link with {part!r} in « {message['Subject']} »: {Mailbox.links(message)}"
        link = links[0]
        assert link.startswith(self.stack.url + "/"), (link, self.stack.url)
        opened = self.request.get(link)
        assert opened.status == 200, f"GET {link}: {opened.status} {opened.text()[:300]}"
        return link

    def token(self, message: Any, part: str) -> str:
        """The token of the emailed link containing `part`, once the link opened."""
        return parse_qs(urlsplit(self.link(message, part)).query)["token"][0]

    def approve_changes(self, staff: dict[str, str], household_id: str, count: int) -> list[Any]:
        """Staff approve the household's pending changes (`count` of them, oldest first)."""
        pending = eventually(
            lambda: (
                items
                if len(
                    items := self.call(
                        "GET", f"/family{T}/changes?household_id={household_id}", staff
                    )["items"]
                )
                >= count
                else None
            )
        )
        assert len(pending) == count, pending
        return [
            self.call("POST", f"/family{T}/changes/{c['id']}/approve", staff, {}) for c in pending
        ]

    def pay_on_the_card_page(self, payment_url: str, choice: str = "pay") -> str:
        """The card payment page (billing's stand-in of eopayment's dummy page, on the
        gateway): opened, the button pressed; the bank notifies billing, then sends the
        browser back. Returns where the return sends the browser (the portal's page)."""
        assert payment_url.startswith(self.stack.url.replace("localhost", "127.0.0.1")) or (
            payment_url.startswith(self.stack.url)
        ), payment_url
        page = self.request.get(payment_url)
        assert page.status == 200 and "Payer" in page.text(), page.text()[:300]
        action = urlsplit(payment_url)
        posted = self.request.post(
            f"{action.scheme}://{action.netloc}{action.path}",
            form={"query": action.query, "choice": choice},
            max_redirects=0,
        )
        assert posted.status == 303, f"{posted.status} {posted.text()[:300]}"
        back = self.request.get(posted.headers["location"], max_redirects=0)
        assert back.status == 303, f"{back.status} {back.text()[:300]}"
        return back.headers["location"]


@pytest.fixture
def gateway(playwright: Playwright, stack: Stack) -> Iterator[Gateway]:
    context = playwright.request.new_context(
        extra_http_headers={"X-Forwarded-For": client_address()}
    )
    try:
        yield Gateway(context, stack)
    finally:
        context.dispose()


@pytest.fixture
def run_id() -> str:
    """A suffix of the test's own, for the names and emails it creates."""
    return uuid.uuid4().hex[:6]
