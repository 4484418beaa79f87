"""What the portal's browser tests share (their fixtures: tests/browser/conftest.py).

One running stack for the whole session (every service, the portal and the gateway as
processes, `scripts/run_services.py` as `scripts/dev` runs them, with their own database, bus
namespace, ports and mailbox directory), Debian's Chromium driven by Playwright, the public
APIs as staff and other apps call them, the mailbox the services send to, and every page
visited checked by axe-core and screenshotted.

Each test makes its own data (its own households and accounts): tests share the stack, not
their families.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import random
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

from playwright.sync_api import APIRequestContext, Page

ROOT = Path(__file__).resolve().parents[2]  # the checkout
AXE = (ROOT / "tests/browser/vendor/axe.min.js").read_text()
SCREENSHOTS = ROOT / "var/screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"  # Debian's (scripts/test installs it)
TENANT = "demo"
FAMILY = "famille@demo.example"
STAFF = "agent@demo.example"
PASSWORD = "Demo-2026-portail"
READY_TIMEOUT = 120.0
SERVICE_PORTS = [8081, 8082, 8083, 8084, 8085, 8086, 1025, 8080]
PHONE = {"width": 390, "height": 844}  # most parents book from a phone


def paris_today() -> date:
    """Today as the services count days (Europe/Paris), not the machine's (UTC): between 23:00
    and midnight UTC they differ."""
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def port_offset() -> int:
    for _ in range(200):
        offset = random.randrange(10_000, 24_000, 10)
        try:
            with contextlib.ExitStack() as stack:
                for port in SERVICE_PORTS:
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port + offset))
            return offset
        except OSError:
            continue
    raise AssertionError("no free set of ports")


def client_address() -> str:
    """An address of its own for a browser or an API client (sent as X-Forwarded-For to the
    gateway, which trusts the test's loopback as its proxy)."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


class Mailbox:
    """The development mailbox's directory: every email the services sent in this run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages(self) -> list[email.message.EmailMessage]:
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(parsed, email.message.EmailMessage)
            found.append(parsed)
        return found

    def to(self, address: str, subject: str | re.Pattern[str] = "") -> list[Any]:
        """The emails sent to `address` (whose subject contains or matches `subject`)."""

        def matches(message: email.message.EmailMessage) -> bool:
            title = str(message["Subject"] or "")
            if isinstance(subject, re.Pattern):
                return bool(subject.search(title))
            return subject in title

        return [
            m for m in self.messages() if address.lower() in str(m["To"]).lower() and matches(m)
        ]

    def wait_for(
        self, address: str, subject: str | re.Pattern[str] = "", timeout: float = 30
    ) -> Any:
        """The last email to `address` with that subject, once it arrived."""
        found = eventually(
            lambda: self.to(address, subject),
            timeout=timeout,
            message=lambda: [str(m["Subject"]) + " → " + str(m["To"]) for m in self.messages()],
        )
        return found[-1]

    @staticmethod
    def text(message: Any) -> str:
        part = message.get_body(preferencelist=("plain", "html"))
        return str(part.get_content()) if part is not None else ""

    @classmethod
    def links(cls, message: Any) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+", cls.text(message))


class Stack:
    """scripts/run_services.py running; its output kept."""

    def __init__(self, process: subprocess.Popen[str], offset: int, mail_dir: Path) -> None:
        self.process, self.offset = process, offset
        self.lines: list[str] = []
        self.url = f"http://localhost:{8080 + offset}"
        self.mailbox = Mailbox(mail_dir)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        marker = "[dev] every service is ready behind the gateway"
        while not any(line.startswith(marker) for line in self.lines):
            assert self.process.poll() is None, "\n".join(self.lines[-40:])
            assert time.monotonic() < deadline, "not ready:\n" + "\n".join(self.lines[-40:])
            time.sleep(0.2)


# --- what staff and the family's other apps do, through the public APIs -----------------


class Api:
    def __init__(self, request: APIRequestContext, base: str) -> None:
        self.request, self.base = request, f"{base}/api"

    def login(self, email: str, password: str = PASSWORD) -> dict[str, str]:
        r = self.request.post(
            f"{self.base}/identity/tenants/{TENANT}/login",
            data={"login": email, "password": password},
        )
        assert r.status == 200, r.text()
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def call(
        self, method: str, path: str, headers: dict[str, str], body: Any = None, ok=(200, 201)
    ) -> Any:
        r = self.request.fetch(f"{self.base}{path}", method=method, headers=headers, data=body)
        assert r.status in ok, f"{method} {path}: {r.status} {r.text()}"
        return r.json() if r.status != 204 and r.body() else None


def eventually(
    check: Callable[[], Any],
    timeout: float = 30,
    interval: float = 0.3,
    message: Callable[[], Any] = lambda: "",
) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"condition not met in time: {message()}"
        time.sleep(interval)


# --- the browser ---------------------------------------------------------------------------


class Visits:
    """Every page visited: axe-core run on it, a screenshot saved as
    var/screenshots/<prefix>-NN-<name>.png."""

    def __init__(self, page: Page, prefix: str) -> None:
        self.page, self.prefix = page, prefix
        self.titles: dict[str, tuple[str, str]] = {}  # visit -> (url, title)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        page.evaluate(AXE + "\n;0")  # evaluated by the browser's debugger: no CSP exception
        results = page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        serious = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["html"] for n in v["nodes"]][:3],
            }
            for v in results["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == [], f"{name} ({page.url}): {json.dumps(serious, indent=1)}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        number = len(self.titles) + 1
        page.screenshot(path=str(SCREENSHOTS / f"{self.prefix}-{number:02d}-{name}.png"))
        self.titles[name] = (page.url, page.title())


@dataclass
class Tab:
    """A fresh browser context (its own cookies) on a phone-sized viewport, its console's
    errors collected (CSP violations, script errors), its pages checked by `visits`."""

    page: Page
    visits: Visits
    errors: list[str] = field(default_factory=list)


# --- families made through the public APIs, as the portal's other clients would -----------


def solve_captcha(challenge: dict[str, Any]) -> str:
    """What the ALTCHA widget does in the browser: the proof of work, as its payload."""
    import altcha  # identity's own dependency

    parsed = altcha.Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = altcha.solve_challenge(parsed, timeout=10)
    assert solution is not None
    return str(altcha.Payload(parsed, solution).to_base64())


def new_family(
    api: Api, mailbox: Mailbox, email: str, *, name: str = "Camille Martin", terms: bool = True
) -> dict[str, str]:
    """A family account signed up, then activated with the emailed link's token, the town's
    terms of use accepted (unless `terms` is False); its bearer header (password PASSWORD)."""
    base = f"{api.base}/identity/tenants/{TENANT}"
    challenge = api.request.get(f"{base}/captcha/challenge")
    assert challenge.status == 200, challenge.text()
    r = api.request.post(
        f"{base}/signup",
        data={
            "display_name": name,
            "email": email,
            "password": PASSWORD,
            "captcha": solve_captcha(challenge.json()),
        },
    )
    assert r.status == 202, r.text()
    message = mailbox.wait_for(email, "Activez votre compte")
    (link,) = [u for u in Mailbox.links(message) if "token=" in u][:1]
    token = parse_qs(urlsplit(link).query)["token"][0]
    r = api.request.post(f"{base}/activation", data={"token": token})
    assert r.status == 200, r.text()
    headers = api.login(email)
    me = api.call("GET", f"/identity/tenants/{TENANT}/me", headers)
    if terms and me["terms"]["must_accept"]:
        version = me["terms"]["current_version"]
        api.call("POST", f"/identity/tenants/{TENANT}/me/terms", headers, {"version": version})
        headers = api.login(email)
    return headers


def household_of(
    email: str, first_name: str, last_name: str, children: list[dict[str, Any]]
) -> dict[str, Any]:
    """A household's file as staff open it: one guardian (this email), these children."""
    return {
        "address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"},
        "guardians": [
            {
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "phones": ["06 12 34 56 78"],
            }
        ],
        "children": children,
    }


def linked_household(
    api: Api, family: dict[str, str], household: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Staff open `household` (household_of), the family links its account with the subscriber
    code. Returns the household as the family reads it, once booking has heard of the link,
    and the family's new bearer header (a token issued after the link carries it)."""
    staff = api.login(STAFF)
    t = f"/tenants/{TENANT}"
    opened = api.call("POST", f"/family{t}/households", staff, household)
    api.call("POST", f"/family{t}/me/household/link", family, {"code": opened["subscriber_code"]})
    email = household["guardians"][0]["email"]

    def known_to_booking() -> dict[str, str] | None:
        headers = api.login(email)
        r = api.request.get(f"{api.base}/booking{t}/enrollments", headers=headers)
        return headers if r.status == 200 else None

    headers = eventually(known_to_booking)
    return api.call("GET", f"/family{t}/me/household", headers), headers
