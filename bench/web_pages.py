"""Benchmark of the web portal, the families' pages and the staff back-office's: server
time per page, and the bare API calls behind each page in the same run (the portal's own cost
is the difference).

Starts every service, the portal and the gateway as processes (`scripts/run_services.py`,
as `scripts/dev` does) on a fresh database, bus namespace and ports; staff open a household
for the demo family and publish a news item through the APIs; the family and the agent log
in to the portal (a real session each, its CSRF token, cookie). Then, for each page, N
requests with bounded concurrency straight to the portal's port (its server time: no
gateway, no browser), and the same number of each API call the page makes, with the
family's or the agent's token, straight to the service. Prints p50/p95 per page and per API
call, the ratio page/API (p50; a page's calls run side by side, so its slower one), the
staff pages over the back-office's p95 goal (150 ms), the JavaScript each page loads
(budget: 100 KB) and the errors (there must be none). Everything it created is removed
afterwards.

    uv run python bench/web_pages.py [--requests 300] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import asyncpg

from shared.events.topology import Topology
from shared.settings import ServiceSettings
from shared.testing.plugin import BusNamespace, delete_topology

ROOT = Path(__file__).resolve().parents[1]
ADMIN_DSN = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TENANT = "demo"
FAMILY = "famille@demo.example"
STAFF = "agent@demo.example"
PASSWORD = "Demo-2026-portail"
PORTS = {"identity": 8081, "family": 8082, "booking": 8083, "billing": 8084, "notify": 8085}
WEB_PORT, GATEWAY_PORT, MAIL_PORT = 8086, 8080, 1025
READY_TIMEOUT = 150.0
# page -> the API calls behind it: (service, path); {household}: the family's household id.
# (The town's menus, pages, wallet settings and direct-debit régies are kept a minute by the
# portal: read once, not on every page.)
PAGES: dict[str, list[tuple[str, str]]] = {
    "/": [
        ("notify", f"/tenants/{TENANT}/me/news?limit=10"),
        ("identity", f"/tenants/{TENANT}/me"),
        ("notify", f"/tenants/{TENANT}/menus"),
        ("notify", f"/tenants/{TENANT}/pages"),
    ],
    "/foyer": [("family", f"/tenants/{TENANT}/me/household")],
    "/factures": [
        ("billing", f"/tenants/{TENANT}/invoices"),
        ("billing", f"/tenants/{TENANT}/billing/wallet-settings"),
        ("billing", f"/tenants/{TENANT}/billing/direct-debit-regies"),
        ("billing", f"/tenants/{TENANT}/billing/households/{{household}}/account"),
    ],
    "/tirelire": [
        ("billing", f"/tenants/{TENANT}/billing/wallet-settings"),
        (
            "billing",
            f"/tenants/{TENANT}/billing/households/{{household}}/wallet/movements?limit=50",
        ),
    ],
    "/prelevement": [
        ("billing", f"/tenants/{TENANT}/billing/direct-debit-regies"),
        ("billing", f"/tenants/{TENANT}/billing/households/{{household}}/mandates"),
        (
            "billing",
            f"/tenants/{TENANT}/billing/households/{{household}}/bank-details-access-log",
        ),
        ("billing", f"/tenants/{TENANT}/billing/households/{{household}}/direct-debits"),
    ],
}
# The staff back-office's pages, read with the agent's session and token; {household}, {regie}: the
# bench's household and régie (in the page's path too), {today}, {in_4_days}: dates.
T = f"/tenants/{TENANT}"
STAFF_PAGES: dict[str, list[tuple[str, str]]] = {
    "/gestion": [
        ("family", f"{T}/changes?status=pending&per_page=5"),
        ("family", f"{T}/documents?status=pending&per_page=5"),
        ("family", f"{T}/requests?status=open&per_page=100"),
        ("booking", f"{T}/enrollments?status=pending"),
        ("booking", f"{T}/absences?status=pending"),
        ("billing", f"{T}/card-payments?status=pending&limit=500"),
    ],
    "/gestion/foyers?q=Durand": [("family", f"{T}/households?q=Durand")],
    "/gestion/foyers/{household}": [
        ("family", f"{T}/households/{{household}}"),
        ("family", f"{T}/changes?household_id={{household}}&status=all&per_page=50"),
        ("family", f"{T}/households/{{household}}/documents?status=all&per_page=50"),
        ("billing", f"{T}/invoices?household_id={{household}}&limit=50"),
        ("billing", f"{T}/billing/households/{{household}}/account"),
        ("notify", f"{T}/emails?recipient={FAMILY}&limit=20"),
    ],
    "/gestion/inscriptions": [
        ("booking", f"{T}/enrollments?status=pending"),
        ("booking", f"{T}/activities"),
    ],
    "/gestion/presences": [("booking", f"{T}/activities")],
    "/gestion/facturation": [
        ("billing", f"{T}/regies"),
        ("billing", f"{T}/campaigns"),
        ("billing", f"{T}/overdue-households?limit=1"),
    ],
    "/gestion/facturation/prelevements": [
        ("billing", f"{T}/billing/direct-debit-regies"),
        ("billing", f"{T}/regies/{{regie}}/direct-debit"),
        ("billing", f"{T}/direct-debit-batches?regie_id={{regie}}"),
        ("billing", f"{T}/mandates?regie_id={{regie}}&limit=500"),
    ],
    "/gestion/comptes": [("identity", f"{T}/accounts?limit=25")],
    "/gestion/activites": [
        ("booking", f"{T}/activities"),
        ("booking", f"{T}/occupancy?from={{today}}&to={{in_4_days}}"),
    ],
    "/gestion/communication": [
        ("notify", f"{T}/news?limit=200"),
        ("notify", f"{T}/pages"),
        ("notify", f"{T}/menus"),
    ],
}
STAFF_EXPECTED = {
    "/gestion": "File d'attente",
    "/gestion/foyers?q=Durand": "Durand",
    "/gestion/foyers/{household}": "Jade",
    "/gestion/inscriptions": "Inscriptions à valider",
    "/gestion/presences": "Feuille de présence",
    "/gestion/facturation": "Régie Enfance",
    "/gestion/facturation/prelevements": "FR72ZZZ123456",
    "/gestion/comptes": FAMILY,
    "/gestion/activites": "Activités",
    "/gestion/communication": "Communication",
}
PAGE_BUDGET_MS = 150.0  # the back-office's goal: server time p95 per page
EXPECTED = {
    "/": "Inscriptions aux vacances",
    "/foyer": "Jade",
    "/factures": "Mes",
    "/tirelire": "20,00\u00a0€",
    "/prelevement": "Mandat M-",
}
JS_BUDGET = 100 * 1024
SCRIPT = re.compile(r'<script[^>]*\ssrc="([^"]+)"')
REGIE = {
    "code": "ENFANCE",
    "name": "Régie Enfance",
    "address": "Mairie, 1 place de la Mairie, 74330 Epagny",
    "email": "regie@demo.example",
}
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Ville de Démo",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}
HOUSEHOLD = {
    "address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"},
    "guardians": [{"first_name": "Marie", "last_name": "Durand", "email": FAMILY}],
    "children": [
        {"first_name": "Léo", "last_name": "Durand", "birth_date": "2017-05-03"},
        {"first_name": "Jade", "last_name": "Durand", "birth_date": "2019-09-12"},
    ],
}


def port_offset() -> int:
    for _ in range(200):
        offset = random.randrange(10_000, 24_000, 10)
        try:
            with contextlib.ExitStack() as stack:
                for port in [*PORTS.values(), WEB_PORT, GATEWAY_PORT, MAIL_PORT]:
                    sock = stack.enter_context(socket.socket())
                    sock.bind(("127.0.0.1", port + offset))
            return offset
        except OSError:
            continue
    raise SystemExit("no free set of ports")


async def start_stack(
    env: dict[str, str],
) -> tuple[asyncio.subprocess.Process, list[str], asyncio.Task[None]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "scripts/run_services.py"),
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
        limit=1 << 20,
    )
    lines: list[str] = []

    async def read() -> None:
        assert process.stdout is not None
        while line := await process.stdout.readline():
            lines.append(line.decode(errors="replace").rstrip("\n"))

    reader = asyncio.create_task(read())
    deadline = time.monotonic() + READY_TIMEOUT
    while not any(line.startswith("[dev] every service is ready") for line in lines):
        if process.returncode is not None or time.monotonic() > deadline:
            print("\n".join(lines[-40:]), file=sys.stderr)
            raise SystemExit("the services did not start")
        await asyncio.sleep(0.2)
    return process, lines, reader


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


async def measure(
    http: aiohttp.ClientSession,
    url: str,
    count: int,
    concurrency: int,
    headers: dict[str, str] | None = None,
    expect: str | None = None,
) -> tuple[list[float], int]:
    semaphore = asyncio.Semaphore(concurrency)
    times: list[float] = []
    errors = 0

    async def one() -> None:
        nonlocal errors
        async with semaphore:
            started = time.perf_counter()
            async with http.get(url, headers=headers, allow_redirects=False) as r:
                body = await r.read()
            times.append(time.perf_counter() - started)
            if r.status != 200 or (expect and expect.encode() not in body):
                errors += 1

    await asyncio.gather(*(one() for _ in range(count)))
    return times, errors


def token_household(token: str) -> str | None:
    """The `household_id` claim of an access token (a JWT), unchecked."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims.get("household_id")


async def javascript(http: aiohttp.ClientSession, portal: str) -> dict[str, int]:
    """The bytes of JavaScript each page loads (its <script src>, as a browser would)."""
    sizes: dict[str, int] = {}
    known: dict[str, int] = {}
    for page in PAGES:
        async with http.get(f"{portal}{page}") as r:
            html = await r.text()
        total = 0
        for src in SCRIPT.findall(html):
            if src not in known:
                async with http.get(f"{portal}{src}" if src.startswith("/") else src) as r:
                    known[src] = len(await r.read())
            total += known[src]
        sizes[page] = total
    return sizes


async def portal_login(http: aiohttp.ClientSession, portal: str, email: str) -> None:
    """A portal session for `email` in this client's cookie jar (its CSRF token first)."""
    async with http.get(f"{portal}/connexion") as r:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', await r.text())
    assert csrf, "no CSRF token on the login page"
    async with http.post(
        f"{portal}/connexion",
        data={"csrf_token": csrf[1], "login": email, "password": PASSWORD, "suite": "/"},
        allow_redirects=False,
    ) as r:
        assert r.status == 303, await r.text()


async def measure_pages(
    http: aiohttp.ClientSession,
    portal: str,
    base: dict[str, str],
    pages: dict[str, list[tuple[str, str]]],
    expected: dict[str, str],
    token: str,
    ids: dict[str, str],
    requests: int,
    concurrency: int,
    *,
    label: str,
    budget_ms: float | None = None,
) -> int:
    """Each page's server time, then the bare API calls behind it with the same token;
    prints p50/p95, the ratio page/slowest call and the pages over `budget_ms` at p95 (a
    figure to read, not an error: timings depend on the machine); returns the errors."""
    warm = max(5, requests // 10)
    errors_total = 0
    page_p50: dict[str, float] = {}
    call_p50: dict[tuple[str, str], float] = {}
    over_budget: list[str] = []
    for page, calls in pages.items():
        url = f"{portal}{page.format(**ids)}"
        await measure(http, url, warm, concurrency)
        times, errors = await measure(http, url, requests, concurrency, expect=expected[page])
        errors_total += errors
        p50, p95 = percentiles(times)
        page_p50[page] = p50
        over = budget_ms is not None and p95 > budget_ms
        print(
            f"{label} {page}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, errors {errors}"
            + (f" (over the {budget_ms:.0f} ms budget)" if over else "")
        )
        if over:
            over_budget.append(page)
        for service, path in calls:
            call_url = f"{base[service]}{path.format(**ids)}"
            headers = {"Authorization": f"Bearer {token}"}
            await measure(http, call_url, warm, concurrency, headers)
            times, errors = await measure(http, call_url, requests, concurrency, headers)
            errors_total += errors
            p50, p95 = percentiles(times)
            call_p50[(service, path)] = p50
            print(
                f"  bare API {service} GET {path}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, "
                f"errors {errors}"
            )
    ratios = ", ".join(
        f"{page} {page_p50[page] / max(call_p50[c] for c in calls):.1f}"
        for page, calls in pages.items()
    )
    print(f"ratio {label}/bare API (p50): {ratios}")
    if budget_ms is not None:
        print(
            f"{label}s over the {budget_ms:.0f} ms p95 budget: {', '.join(over_budget) or 'none'}"
        )
    return errors_total


async def run(requests: int, concurrency: int) -> None:
    run_id = uuid.uuid4().hex[:8]
    database, namespace = f"pf_bench_{run_id}", f"bench{run_id}"
    offset = port_offset()
    env = {
        **os.environ,
        "DATABASE_URL": ADMIN_DSN.rpartition("/")[0] + f"/{database}",
        "AMQP_URL": AMQP_URL,
        "BUS_NAMESPACE": namespace,
        "DEV_PORT_OFFSET": str(offset),
        "LOG_LEVEL": "warning",
        "GATEWAY_ACCESS_LOG": "off",
        "DEV_DEMO_TOWN": "0",  # the bench sets up its own household and invoices
    }
    process, _, reader = await start_stack(env)
    base = {name: f"http://127.0.0.1:{port + offset}" for name, port in PORTS.items()}
    portal = f"http://127.0.0.1:{WEB_PORT + offset}"
    jar = aiohttp.CookieJar(unsafe=True)
    connector = aiohttp.TCPConnector(limit=max(concurrency * 2, 10))
    total_errors = 0
    try:
        async with aiohttp.ClientSession(connector=connector, cookie_jar=jar) as http:

            async def api(method: str, service: str, path: str, token: str, body: Any = None):
                async with http.request(
                    method,
                    f"{base[service]}{path}",
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                ) as r:
                    assert r.status in (200, 201), f"{path}: {r.status} {await r.text()}"
                    return await r.json()

            async def login(email: str) -> str:
                async with http.post(
                    f"{base['identity']}/tenants/{TENANT}/login",
                    json={"login": email, "password": PASSWORD},
                ) as r:
                    assert r.status == 200, await r.text()
                    return (await r.json())["access_token"]

            staff = await login(STAFF)
            opened = await api("POST", "family", f"/tenants/{TENANT}/households", staff, HOUSEHOLD)
            await api(
                "POST",
                "family",
                f"/tenants/{TENANT}/me/household/link",
                await login(FAMILY),
                {"code": opened["subscriber_code"]},
            )
            await api(
                "POST",
                "notify",
                f"/tenants/{TENANT}/news",
                staff,
                {"title": "Inscriptions aux vacances", "body": "Les inscriptions ouvrent lundi."},
            )
            for _ in range(100):  # the household's id reaches identity's tokens
                family = await login(FAMILY)
                async with http.get(
                    f"{base['family']}/tenants/{TENANT}/me/household",
                    headers={"Authorization": f"Bearer {family}"},
                ) as r:
                    # billing reads the household from the token: it must carry it too
                    if r.status == 200 and token_household(family) == opened["id"]:
                        break
                await asyncio.sleep(0.2)
            household = opened["id"]
            # The wallet and the direct debit: a régie holding the wallets and collecting by
            # direct debit; the family's wallet credited, a mandate asked for.
            t = f"/tenants/{TENANT}"
            regie = await api("POST", "billing", f"{t}/regies", staff, REGIE)
            await api(
                "PUT", "billing", f"{t}/billing/wallet-settings", staff, {"regie_id": regie["id"]}
            )
            await api("PUT", "billing", f"{t}/regies/{regie['id']}/direct-debit", staff, CREDITOR)
            households = f"{t}/billing/households/{household}"
            for _ in range(100):  # billing hears of the household
                async with http.get(
                    f"{base['billing']}{households}/profile",
                    headers={"Authorization": f"Bearer {staff}"},
                ) as r:
                    if r.status == 200:
                        break
                await asyncio.sleep(0.2)
            await api("POST", "billing", f"{households}/wallet", family)
            await api(
                "POST",
                "billing",
                f"{households}/wallet/credits",
                staff,
                {"amount_cents": 2000, "reason": "Rechargement par carte au guichet"},
            )
            await api(
                "POST",
                "billing",
                f"{households}/mandates",
                family,
                {"regie_id": regie["id"], "holder": "Marie Durand", "iban": CREDITOR["iban"]},
            )

            today = datetime.now(ZoneInfo("Europe/Paris")).date()
            ids = {
                "household": household,
                "regie": regie["id"],
                "today": today.isoformat(),
                "in_4_days": (today + timedelta(days=4)).isoformat(),
            }
            # The family and the agent log in to the portal: a session cookie each, as a
            # browser's (two cookie jars).
            await portal_login(http, portal, FAMILY)
            agent_jar = aiohttp.CookieJar(unsafe=True)
            agent_http = aiohttp.ClientSession(
                connector=connector, connector_owner=False, cookie_jar=agent_jar
            )
            try:
                await portal_login(agent_http, portal, STAFF)
                print(
                    f"portal pages: {requests} requests each, concurrency {concurrency}, "
                    f"{os.cpu_count()} CPUs, every service its own process"
                )
                total_errors += await measure_pages(
                    http,
                    portal,
                    base,
                    PAGES,
                    EXPECTED,
                    family,
                    ids,
                    requests,
                    concurrency,
                    label="page",
                )
                total_errors += await measure_pages(
                    agent_http,
                    portal,
                    base,
                    STAFF_PAGES,
                    STAFF_EXPECTED,
                    staff,
                    ids,
                    requests,
                    concurrency,
                    label="staff page",
                    budget_ms=PAGE_BUDGET_MS,
                )
            finally:
                await agent_http.close()
            scripts = await javascript(http, portal)
            print(
                "javascript per page (budget 100 KB): "
                + ", ".join(f"{page} {size / 1024:.1f} KB" for page, size in scripts.items())
            )
            over = [page for page, size in scripts.items() if size > JS_BUDGET]
            if over:
                print(f"over the javascript budget: {', '.join(over)}")
                total_errors += len(over)
            print(f"errors: {total_errors}")
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                os.killpg(process.pid, signal.SIGKILL)
                await process.wait()
        reader.cancel()
        bus = BusNamespace(namespace)
        delays = ServiceSettings.from_env({}).retry_delays_ms
        for name in [*PORTS, "web"]:
            bus.topologies.append((Topology(namespace, name), delays))
        await delete_topology(bus)
        admin = await asyncpg.connect(ADMIN_DSN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await admin.close()
    if total_errors:
        raise SystemExit(f"{total_errors} requests failed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per page and per API call")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
