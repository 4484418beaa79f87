"""billing's stand-in of eopayment's dummy payment page, as a developer uses it under
scripts/dev: billing behind the real nginx, BILLING_PUBLIC_URL the gateway's /api/billing,
and Debian's chromium pressing « Payer ». The page is served under the gateway's prefix with
a policy that lets its form post (and be redirected to the return URL, then to the portal
on another origin), the
stand-in notifies billing through the gateway, and the wallet is credited once."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from billing.app import create_app
from billing.settings import BillingSettings
from shared.testing.tokens import TokenFactory

from .conftest import free_port, gateway, running_gateway

T = "/tenants/epagny"
CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def chromium() -> str:
    path = shutil.which("chromium") or CHROMIUM
    if not Path(path).is_file():
        pytest.fail(
            "the stand-in page is checked in Debian's chromium: apt-get install -y chromium",
            pytrace=False,
        )
    return path


async def test_a_top_up_is_paid_on_the_stand_in_page_through_the_gateway(
    nginx, chromium, tmp_path, make_settings, aiohttp_server, tokens: TokenFactory
):
    from playwright.async_api import async_playwright

    port = free_port()
    # Every upstream the gateway knows (the services, and the portal once it is served).
    upstreams = dict.fromkeys(
        getattr(gateway, "UPSTREAMS", gateway.SERVICES), f"127.0.0.1:{free_port()}"
    )
    upstreams["billing"] = f"127.0.0.1:{port}"
    async with (
        running_gateway(nginx, tmp_path / "gateway", upstreams) as gw,
        aiohttp.ClientSession() as http,
    ):
        # The portal on another origin than the gateway's (the form's redirects end there).
        portal = gw("/portail").replace("127.0.0.1", "localhost")
        settings = make_settings(BillingSettings, public_url=gw("/api/billing"), portal_url=portal)
        await aiohttp_server(create_app(settings), port=port)
        staff = tokens.header(tenant="epagny", roles=("staff",))
        household, account = uuid.uuid4(), uuid.uuid4()
        family = tokens.header(
            tenant="epagny",
            roles=("family",),
            household_id=str(household),
            account_id=str(account),
        )

        async def call(method: str, path: str, headers: Any, body: Any = None) -> Any:
            async with http.request(
                method, gw(f"/api/billing{T}{path}"), json=body, headers=headers
            ) as r:
                assert r.status in (200, 201), f"{path}: {r.status} {await r.text()}"
                return await r.json()

        regie = await call(
            "POST",
            "/regies",
            staff,
            {"code": "ENFANCE", "name": "Régie enfance", "address": "Mairie", "email": "r@e.fr"},
        )
        await call("PUT", "/billing/wallet-settings", staff, {"regie_id": regie["id"]})
        await call("PUT", f"/regies/{regie['id']}/card-payment", staff, {"backend": "dummy"})
        wallet = f"/billing/households/{household}/wallet"
        await call("POST", wallet, family)
        started = await call(
            "POST", f"{wallet}/top-ups", family, {"amount_cents": 2500, "email": "c@exemple.fr"}
        )
        assert started["payment_url"].startswith(gw("/api/billing/dev/dummy-payment?"))
        async with http.get(started["payment_url"]) as r:
            assert r.status == 200 and r.content_type == "text/html"
            policy = r.headers["Content-Security-Policy"]
            assert "form-action 'self' http: https:" in policy and "script-src" not in policy

        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
            )
            try:
                page = await browser.new_page()
                errors: list[str] = []

                def console(message: Any) -> None:
                    if message.type == "error":
                        errors.append(message.text)

                page.on("console", console)
                await page.goto(started["payment_url"])
                heading = page.get_by_role("heading", level=1)
                assert await heading.inner_text() == "Paiement par carte — banque fictive"
                assert "25,00 €" in await page.inner_text("main")
                async with page.expect_navigation(url=f"{portal}/paiement/retour**"):
                    await page.get_by_role("button", name="Payer").click()
                # Notified through the gateway, then billing's return, then the portal's.
                assert page.url == (
                    f"{portal}/paiement/retour?transaction={started['transaction_id']}&statut=paid"
                )
                # (The portal itself is not served here: its page is the gateway's 502.)
                assert not [e for e in errors if "Content Security Policy" in e], errors
            finally:
                await browser.close()

        assert (await call("GET", wallet, family))["balance_cents"] == 2500
        tx = await call("GET", f"/card-payments/{started['transaction_id']}", staff)
        assert tx["status"] == "paid"
