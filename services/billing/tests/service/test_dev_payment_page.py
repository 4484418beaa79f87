"""billing's stand-in of eopayment's dummy payment page (dev_payment_page.py), against the
real Postgres and bus, billing listening on a real port that is its BILLING_PUBLIC_URL (as
the gateway is under scripts/dev): outside production a card payment on a dummy régie sends
the browser to billing's own page, whose buttons notify billing over HTTP exactly as the
real page would (verified by eopayment's real `response()`) and send the browser to the
return URL; a forged amount is refused by billing and the page says so; the page calls
nothing but billing's own notification URL of a dummy transaction; billing slow or
unreachable gives an error page; in production the page is 404 and the URL the real one."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import eopayment.dummy
import pytest

from billing import dev_payment_page
from billing.dummy_page import page_answer
from billing.settings import BillingSettings
from billing.usecases import card
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL
from shared.testing.processes import free_port

T = "/tenants/epagny"
PORTAL = "https://portail.epagny.test"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]  # 4 × 4,15 € = 16,60 €
EVENTS = ["billing.InvoiceIssued", "billing.PaymentReceived", "billing.PaymentRefused"]
ECHOED = {"transaction_id", "amount", "email", "orderid", "origin", "subject"}


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def environment() -> str:
    return "test"


@pytest.fixture
def public_url(port: int) -> str:
    """billing's public URL: itself, on the port its test server listens on."""
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def billing_settings(
    make_settings: Callable[..., Any], environment: str, public_url: str
) -> BillingSettings:
    production = (
        {"bank_details_keys": "prod:" + base64.b64encode(b"p" * 32).decode()}
        if environment == "production"
        else {}
    )
    return make_settings(
        BillingSettings,
        environment=environment,
        basket_invoice_grace_seconds=0,
        public_url=public_url,
        portal_url=PORTAL,
        **production,
    )


@pytest.fixture
async def aiohttp_client(aiohttp_client: Any, port: int) -> Any:
    """The conftest's billing, served on `port` (its public URL's)."""

    async def on_port(app: Any, **kwargs: Any) -> Any:
        return await aiohttp_client(app, server_kwargs={"port": port}, **kwargs)

    return on_port


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


async def unpaid(billing) -> tuple[Any, dict[str, Any]]:
    """A household with an invoice of 16,60 €, its régie taking card payments by `dummy`."""
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    await billing.deliver(billing.validated(lea, canteen, *SEPT))
    (invoice,) = await billing.invoices(household_id=lea.household_id)
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    return lea, invoice


async def start(billing, lea, invoice) -> dict[str, Any]:
    return await billing.call(
        "POST",
        f"{T}/card-payments",
        billing.family(lea.household_id),
        {"invoice_ids": [invoice["id"]], "email": "claire@example.fr"},
        201,
    )


class Form(HTMLParser):
    """What a browser reads of the page: the heading, the form, its fields and buttons."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.h1 = ""
        self.action: str | None = None
        self.method: str | None = None
        self.hidden: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}  # label -> (name, value)
        self.alert = ""
        self._in: str | None = None
        self._button: tuple[str, str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "h1":
            self._in = "h1"
        elif tag == "form":
            self.action, self.method = a.get("action"), a.get("method")
        elif tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "button":
            self._button = (a.get("name", ""), a.get("value", ""))
            self._in = "button"
        elif a.get("role") == "alert":
            self._in = "alert"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "button") or (tag == "div" and self._in == "alert"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "h1":
            self.h1 += data
        elif self._in == "button" and self._button is not None:
            self.buttons[data.strip()] = self._button
        elif self._in == "alert":
            self.alert += data


async def open_page(billing, payment_url: str, status: int = 200) -> tuple[Form, str]:
    """The browser at the payment URL (billing's own: its path on the test client)."""
    page = urlsplit(payment_url)
    r = await billing.client.get(f"{page.path}?{page.query}")
    text = await r.text()
    assert r.status == status, text
    assert r.content_type == "text/html" and r.charset == "utf-8"
    assert "form-action 'self'" in r.headers["Content-Security-Policy"]
    return Form(text), text


async def press(billing, form: Form, label: str, status: int = 303) -> Any:
    """The browser submits the form with this button (its action is relative to the page)."""
    assert form.method == "post" and form.action == "dummy-payment"
    name, value = form.buttons[label]
    r = await billing.client.post(
        f"/dev/{form.action}", data={**form.hidden, name: value}, allow_redirects=False
    )
    assert r.status == status, await r.text()
    return r


async def counts(billing) -> tuple[int, int]:
    return (
        await billing.pool.fetchval("SELECT count(*) FROM payments"),
        await billing.pool.fetchval("SELECT count(*) FROM outbox WHERE type LIKE 'billing.Pay%'"),
    )


async def test_payer_on_billing_s_own_page_pays_the_invoice_once(billing, public_url):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    tid = started["transaction_id"]
    # The browser goes to billing's page, with the query eopayment's dummy built.
    assert started["payment_url"].startswith(f"{public_url}/dev/dummy-payment?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["payment_url"]).query).items()}
    assert query["amount"] == "16.60" and query["origin"] == "Portail Famille"
    assert query["direct_notification_url"] == f"{public_url}{T}/card-payments/{tid}/notification"
    assert query["return_url"] == f"{public_url}{T}/card-payments/{tid}/return"
    form, html = await open_page(billing, started["payment_url"])
    assert '<html lang="fr">' in html
    assert form.h1 == "Paiement par carte — banque fictive"
    assert "16,60 €" in html and query["orderid"] in html
    assert f"Factures {invoice['number']}" in html and "en attente" in html
    assert list(form.buttons) == ["Payer", "Refuser", "Abandonner"]
    assert list(form.hidden) == ["query"]  # the query as received, posted back as it is
    assert parse_qs(form.hidden["query"]) == parse_qs(urlsplit(started["payment_url"]).query)
    # « Payer »: billing is notified over HTTP (its public URL), then the browser goes back.
    r = await press(billing, form, "Payer")
    back = urlsplit(r.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == query["return_url"]
    sent = {k: v[0] for k, v in parse_qs(back.query).items()}
    assert sent == {**{k: query[k] for k in ECHOED}, "ok": "1"}  # unsigned, as the real page
    (event,) = await billing.events("billing.PaymentReceived")
    assert (event["payload"]["method"], event["payload"]["amount_cents"]) == ("card", 1660)
    paid = await billing.get(f"{T}/invoices/{invoice['id']}")
    assert (paid["remaining_cents"], paid["paid_cents"]) == (0, 1660)
    assert await counts(billing) == (1, 1)
    # The browser follows to billing's return, which sends it to the portal.
    r = await billing.client.get(f"{back.path}?{back.query}", allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"] == f"{PORTAL}/paiement/retour?transaction={tid}&statut=paid"
    # Back in the history, « Payer » again: billing applies it once.
    form, html = await open_page(billing, started["payment_url"])
    assert "payée" in html and "n'est plus en attente" in html
    await press(billing, form, "Payer")
    await asyncio.sleep(0.3)
    assert await counts(billing) == (1, 1)
    assert len(billing.tap.of_type("billing.PaymentReceived")) == 1


async def test_refuser_or_abandonner_leave_the_invoice_unpaid(billing):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    form, _ = await open_page(billing, started["payment_url"])
    r = await press(billing, form, "Refuser")
    sent = parse_qs(urlsplit(r.headers["Location"]).query)
    assert "ok" not in sent and sent["reason"] == ["refusé"]
    (event,) = await billing.events("billing.PaymentRefused")
    assert (event["payload"]["outcome"], event["payload"]["amount_cents"]) == ("refused", 1660)
    assert event["payload"]["invoice_ids"] == [invoice["id"]]
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
    assert (tx["status"], tx["bank_status"]) == ("refused", "refusé")
    assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["remaining_cents"] == 1660
    # The family tries again, and gives up on the bank's page.
    again = await start(billing, lea, invoice)
    form, _ = await open_page(billing, again["payment_url"])
    await press(billing, form, "Abandonner")
    refused = await billing.events("billing.PaymentRefused", 2)
    assert refused[-1]["payload"]["transaction_id"] == again["transaction_id"]
    tx = await billing.get(f"{T}/card-payments/{again['transaction_id']}")
    assert (tx["status"], tx["bank_status"]) == ("refused", "abandonné")
    assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["paid_cents"] == 0
    assert await counts(billing) == (0, 2)


async def test_a_forged_amount_is_refused_by_billing_and_the_page_says_so(billing):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    form, _ = await open_page(billing, started["payment_url"])
    form.hidden["query"] = form.hidden["query"].replace("amount=16.60", "amount=0.01")
    r = await press(billing, form, "Payer", status=502)
    shown = Form(await r.text())
    assert "La notification n'a pas abouti" in shown.alert
    assert "Le montant de la notification ne correspond pas." in shown.alert
    assert list(shown.buttons) == ["Payer", "Refuser", "Abandonner"]  # one may try again
    assert await counts(billing) == (0, 0)
    assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["remaining_cents"] == 1660


async def test_the_page_calls_nothing_but_billing_s_own_dummy_transactions(billing, public_url):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    query = {k: v[0] for k, v in parse_qs(urlsplit(started["payment_url"]).query).items()}

    def url(**changed: str) -> str:
        return f"{public_url}/dev/dummy-payment?{urlencode({**query, **changed})}"

    notification = query["direct_notification_url"]
    unknown = notification.replace(started["transaction_id"], str(uuid.uuid4()))
    for changed, status, reason in [
        ({"direct_notification_url": "http://169.254.169.254/latest"}, 400, "pas la sienne"),
        ({"direct_notification_url": notification.replace("/epagny/", "/annecy/")}, 404, ""),
        ({"direct_notification_url": unknown}, 404, "ne connaît pas"),
        ({"transaction_id": uuid.uuid4().hex}, 404, "ne connaît pas"),
        ({"return_url": "https://elsewhere.example/return"}, 404, ""),
        ({"amount": "douze"}, 400, "montant"),
        ({"return_url": ""}, 400, "return_url"),
    ]:
        form, html = await open_page(billing, url(**changed), status)
        assert "Demande de paiement refusée" in form.h1 and reason in form.alert, html
        assert form.buttons == {}
    r = await billing.client.get("/dev/dummy-payment")
    assert r.status == 400
    # Posting: the same checks, and only the page's buttons.
    form, _ = await open_page(billing, started["payment_url"])
    for data in [
        {"query": form.hidden["query"]},
        {"query": form.hidden["query"], "choice": "steal"},
        {"query": urlsplit(url(transaction_id="x" * 32)).query, "choice": "pay"},
    ]:
        r = await billing.client.post("/dev/dummy-payment", data=data, allow_redirects=False)
        assert r.status in (400, 404) and r.content_type == "text/html", await r.text()
    # A transaction of another backend: not the stand-in's.
    await billing.pool.execute(
        "UPDATE card_transactions SET backend = 'tipi' WHERE id = $1",
        uuid.UUID(started["transaction_id"]),
    )
    await open_page(billing, started["payment_url"], 404)
    assert await counts(billing) == (0, 0)


async def test_billing_too_slow_to_answer_gives_an_error_page(billing, monkeypatch):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    form, _ = await open_page(billing, started["payment_url"])
    handle_answer = card.handle_answer
    timeout = dev_payment_page.NOTIFICATION_TIMEOUT_SECONDS

    async def slow(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(1.5)
        return await handle_answer(*args, **kwargs)

    monkeypatch.setattr(card, "handle_answer", slow)
    monkeypatch.setattr(dev_payment_page, "NOTIFICATION_TIMEOUT_SECONDS", 0.3)
    r = await press(billing, form, "Payer", status=502)
    shown = Form(await r.text())
    assert "n'a pas répondu à la notification en 0.3 secondes" in shown.alert
    # billing answers in time again (and the page waits as long as it normally does, so a
    # loaded machine is not mistaken for a slow billing): « Payer » once more, paid once.
    monkeypatch.setattr(card, "handle_answer", handle_answer)
    monkeypatch.setattr(dev_payment_page, "NOTIFICATION_TIMEOUT_SECONDS", timeout)
    await press(billing, shown, "Payer")
    await billing.events("billing.PaymentReceived")
    await asyncio.sleep(1.5)  # the slow one, had it gone on, would have been applied by now
    assert await counts(billing) == (1, 1)


@pytest.mark.parametrize("public_url", [f"http://127.0.0.1:{free_port()}"])
async def test_billing_unreachable_at_its_public_url_gives_an_error_page(billing, public_url):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    form, _ = await open_page(billing, started["payment_url"])
    r = await press(billing, form, "Payer", status=502)
    alert = Form(await r.text()).alert
    assert "billing est injoignable" in alert and "BILLING_PUBLIC_URL" in alert
    assert await counts(billing) == (0, 0)


@pytest.mark.parametrize("environment", ["production"])
async def test_in_production_no_page_and_the_real_dummy_url(billing, public_url):
    lea, invoice = await unpaid(billing)
    started = await start(billing, lea, invoice)
    page = urlsplit(started["payment_url"])
    assert f"{page.scheme}://{page.netloc}/" == eopayment.dummy.SERVICE_URL
    assert not started["payment_url"].startswith(public_url)
    r = await billing.client.get(f"/dev/dummy-payment?{page.query}")
    assert r.status == 404 and r.content_type == "application/problem+json"
    r = await billing.client.post(
        "/dev/dummy-payment", data={"query": page.query, "choice": "pay"}, allow_redirects=False
    )
    assert r.status == 404
    assert await counts(billing) == (0, 0)
    # The real page's answer is still the way in.
    answer = page_answer(started["payment_url"], paid=True)
    r = await billing.client.post(
        urlsplit(answer.notification_url).path,
        data=answer.body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 200, await r.text()
    await billing.events("billing.PaymentReceived")
