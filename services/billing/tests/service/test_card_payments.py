"""Online card payment through eopayment's dummy backend: the régie's service set by staff,
a family paying its invoices, the bank's notification verified by eopayment's real
`response()` and applied once (twice sent, late, after the browser's return), forged or
altered answers refused with nothing changed, refusals and expiry leaving the invoices
unpaid (billing.PaymentRefused), pending transactions polled."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import eopayment.dummy
import pytest

from billing import commands
from billing.dummy_page import page_answer
from billing.settings import BillingSettings
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
PUBLIC = "http://billing.test/api/billing"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]  # 4 × 4,15 € = 16,60 €
EVENTS = ["billing.InvoiceIssued", "billing.PaymentReceived", "billing.PaymentRefused"]


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=0,
        public_url=PUBLIC,
        portal_url="https://portail.epagny.test",
        card_payment_expiry_minutes=20,
        card_payment_poll_after_minutes=10,
        card_payment_poll_seconds=0.1,
    )


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


async def unpaid(billing, *batches: list[date]):
    """A household with an invoice per batch of days, and the régie taking card payments
    through the dummy backend."""
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    basket_ids = []
    for days in batches:
        event = billing.validated(lea, canteen, *days)
        basket_ids.append(event.payload["basket_id"])
        await billing.deliver(event)
    rows = await billing.invoices(household_id=lea.household_id)
    assert len(rows) == len(batches)
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    return regie, lea, sorted(rows, key=lambda r: r["number"]), basket_ids


async def start(billing, lea, invoices, status: int = 201, **extra: Any) -> Any:
    return await billing.call(
        "POST",
        f"{T}/card-payments",
        billing.family(lea.household_id),
        {"invoice_ids": [i["id"] for i in invoices], "email": "claire@example.fr", **extra},
        status,
    )


def local(url: str) -> str:
    """A public URL of billing as the test client's path."""
    assert url.startswith(PUBLIC), url
    return url[len(PUBLIC) :]


async def notify(billing, answer, status: int = 200, body: str | None = None) -> Any:
    r = await billing.client.post(
        local(answer.notification_url),
        data=answer.body if body is None else body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    text = await r.text()
    assert r.status == status, f"{r.status} {text}"
    return text


async def counts(billing) -> tuple[int, int, int]:
    return (
        await billing.pool.fetchval("SELECT count(*) FROM payments"),
        await billing.pool.fetchval("SELECT count(*) FROM ledger WHERE kind = 'payment'"),
        await billing.pool.fetchval("SELECT count(*) FROM outbox WHERE type LIKE 'billing.Pay%'"),
    )


async def test_staff_set_the_regie_service_checked_as_eopayment_describes_it(billing):
    regie = await billing.regie()
    path = f"{T}/regies/{regie['id']}/card-payment"
    problem = await billing.get(path, status=409)
    assert problem["detail"] == "Le paiement en ligne n'est pas ouvert pour cette régie."
    set_ = await billing.call(
        "PUT", path, billing.staff(), {"backend": "payfip_ws", "options": {"numcli": "123456"}}
    )
    assert (set_["backend"], set_["options"], set_["enabled"], set_["can_poll"]) == (
        "payfip_ws",
        {"numcli": "123456"},
        True,
        True,
    )
    for body, field in [
        ({"backend": "tipi", "options": {}}, "options.numcli"),
        ({"backend": "payfip_ws", "options": {"numcli": "12"}}, "options.numcli"),
        (
            {"backend": "payfip_ws", "options": {"numcli": "123456", "saisie": "Z"}},
            "options.saisie",
        ),
        (
            {"backend": "dummy", "options": {"consider_all_response_signed": "true"}},
            "options.consider_all_response_signed",
        ),
    ]:
        problem = await billing.call("PUT", path, billing.staff(), body, 422)
        assert problem["field"] == field, problem
    problem = await billing.call("PUT", path, billing.staff(), {"backend": "paypal"}, 422)
    assert problem["errors"][0]["field"] == "backend"
    assert (await billing.get(path))["backend"] == "payfip_ws"  # refusals changed nothing
    dummy = await billing.call("PUT", path, billing.staff(), {"backend": "dummy"})
    assert (dummy["backend"], dummy["can_poll"]) == ("dummy", False)
    await billing.get(path, billing.family(uuid.uuid4()), status=403)
    await billing.call(
        "PUT", f"{T}/regies/{uuid.uuid4()}/card-payment", billing.staff(), {"backend": "dummy"}, 404
    )


async def test_a_family_pays_by_card_and_the_notification_is_applied_once(billing):
    _, lea, (invoice,), (basket_id,) = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice], amount_cents=1660)
    assert (started["status"], started["amount_cents"], started["purpose"]) == (
        "pending",
        1660,
        "invoices",
    )
    page = urlsplit(started["payment_url"])
    query = {k: v[0] for k, v in parse_qs(page.query).items()}
    # Outside production, billing's own stand-in of the dummy page (test_dev_payment_page.py)
    # with the query eopayment's dummy built; dummy-payment.entrouvert.com in production.
    assert started["payment_url"].startswith(f"{PUBLIC}/dev/dummy-payment?")
    assert set(query) == {
        "transaction_id",
        "amount",
        "email",
        "return_url",
        "direct_notification_url",
        "origin",
        "orderid",
        "subject",
    }
    assert query["amount"] == "16.60" and query["email"] == "claire@example.fr"
    tid = started["transaction_id"]
    assert query["direct_notification_url"] == f"{PUBLIC}{T}/card-payments/{tid}/notification"
    assert query["return_url"] == f"{PUBLIC}{T}/card-payments/{tid}/return"
    assert query["subject"] == f"Factures {invoice['number']}"
    # The bank's notification (the dummy page's signed answer), twice at once, then again.
    answer = page_answer(started["payment_url"], paid=True)
    assert await asyncio.gather(notify(billing, answer), notify(billing, answer)) == [
        "signature ok",
        "signature ok",
    ]
    assert await notify(billing, answer) == "signature ok"
    (event,) = await billing.events("billing.PaymentReceived")
    await asyncio.sleep(0.3)
    assert len(billing.tap.of_type("billing.PaymentReceived")) == 1
    body = event["payload"]
    assert (body["method"], body["amount_cents"], body["credit_cents"]) == ("card", 1660, 0)
    (allocation,) = body["allocations"]
    assert (allocation["basket_id"], allocation["remaining_cents"]) == (str(basket_id), 0)
    assert await counts(billing) == (1, 1, 1)
    invoice = await billing.get(f"{T}/invoices/{invoice['id']}")
    assert (invoice["remaining_cents"], invoice["paid_cents"]) == (0, 1660)
    family = billing.family(lea.household_id)
    tx = await billing.get(f"{T}/card-payments/{tid}", family)
    assert (tx["status"], tx["payment_number"]) == ("paid", "R-CANTINE-2026-000001")
    payment = await billing.get(f"{T}/payments/{tx['payment_id']}", family)
    assert payment["method"] == "card" and payment["reference"]["transaction"]
    # The browser comes back after: it reads the state and goes to the portal.
    r = await billing.client.get(
        local(answer.return_url)
        + "?"
        + page_answer(started["payment_url"], paid=True, signed=False).body,
        allow_redirects=False,
    )
    assert r.status == 303
    assert r.headers["Location"] == (
        f"https://portail.epagny.test/paiement/retour?transaction={tid}&statut=paid"
    )
    assert await counts(billing) == (1, 1, 1)
    # Paid: nothing left to pay by card.
    problem = await start(billing, lea, [invoice], 409)
    assert problem["detail"] == "Ces factures sont déjà réglées."


async def test_forged_or_altered_notifications_are_refused_and_change_nothing(billing):
    _, lea, (invoice,), _ = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice])
    other = await start(billing, lea, [invoice])  # a second attempt, its own transaction
    answer = page_answer(started["payment_url"], paid=True)
    before = await counts(billing)
    # Unsigned (anyone can type it in a browser).
    unsigned = page_answer(started["payment_url"], paid=True, signed=False)
    problem = json.loads(await notify(billing, unsigned, 422))
    assert problem["detail"] == "La notification de paiement n'est pas signée."
    # Another amount than the transaction's.
    await notify(billing, answer, 422, body=answer.body.replace("amount=16.60", "amount=0.01"))
    # Another transaction's answer sent to this one.
    theirs = page_answer(other["payment_url"], paid=True)
    await notify(billing, answer, 422, body=theirs.body)
    # Garbage, an unknown transaction, another tenant's path.
    await notify(billing, answer, 422, body="hello=world")
    r = await billing.client.post(
        f"{T}/card-payments/{uuid.uuid4()}/notification",
        data=answer.body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 404
    r = await billing.client.post(
        local(answer.notification_url).replace("/epagny/", "/annecy/"),
        data=answer.body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 404
    assert await counts(billing) == before
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
    assert tx["status"] == "pending"
    assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["remaining_cents"] == 1660
    # The genuine one still goes through.
    await notify(billing, answer)
    assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["remaining_cents"] == 0


async def test_a_refused_payment_leaves_the_invoices_unpaid(billing):
    _, lea, invoices, baskets = await unpaid(billing, SEPT, [date(2026, 9, 10)])
    started = await start(billing, lea, invoices, amount_cents=1660 + 415)
    refused = page_answer(started["payment_url"], paid=False, reason="carte refusée")
    await notify(billing, refused)
    await notify(billing, refused)
    (event,) = await billing.events("billing.PaymentRefused")
    body = event["payload"]
    assert (body["outcome"], body["amount_cents"]) == ("refused", 2075)
    assert sorted(body["basket_ids"]) == sorted(str(b) for b in baskets)
    assert sorted(body["invoice_ids"]) == sorted(i["id"] for i in invoices)
    await asyncio.sleep(0.3)
    assert len(billing.tap.of_type("billing.PaymentRefused")) == 1
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
    assert (tx["status"], tx["bank_status"]) == ("refused", "carte refusée")
    for invoice in invoices:
        assert (await billing.get(f"{T}/invoices/{invoice['id']}"))["paid_cents"] == 0
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 0
    # The browser's return says so to the portal.
    r = await billing.client.get(local(refused.return_url), allow_redirects=False)
    assert r.headers["Location"].endswith("&statut=refused")
    # The family tries again, and pays.
    again = await start(billing, lea, invoices)
    await notify(billing, page_answer(again["payment_url"], paid=True))
    await billing.events("billing.PaymentReceived")


async def test_the_browser_return_before_the_notification_applies_it_once(billing):
    _, lea, (invoice,), _ = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice])
    tid = started["transaction_id"]
    # Unsigned return first: nothing verifiable, the portal is told it is pending.
    unsigned = page_answer(started["payment_url"], paid=True, signed=False)
    r = await billing.client.get(
        local(unsigned.return_url) + "?" + unsigned.body, allow_redirects=False
    )
    assert r.headers["Location"].endswith(f"transaction={tid}&statut=pending")
    # A signed answer on the return applies it…
    signed = page_answer(started["payment_url"], paid=True)
    r = await billing.client.get(
        local(signed.return_url) + "?" + signed.body, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"].endswith("&statut=paid")
    # … and the notification arriving afterwards is a duplicate.
    await notify(billing, signed)
    assert await counts(billing) == (1, 1, 1)
    await billing.get(f"{T}/card-payments/{uuid.uuid4()}/return", status=404)


async def test_a_late_paid_notification_after_expiry_is_still_applied(billing):
    regie, lea, (invoice,), (basket_id,) = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice])
    # Nobody answered: past its expiry the sweeper expires it (the dummy cannot be asked).
    billing.at(billing.NOW + timedelta(minutes=21))
    (event,) = await billing.events("billing.PaymentRefused")
    assert (event["payload"]["outcome"], event["payload"]["basket_ids"]) == (
        "expired",
        [str(basket_id)],
    )
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
    assert tx["status"] == "expired"
    # Meanwhile staff took a cash payment for half of it.
    await billing.call(
        "POST",
        f"{T}/payments",
        billing.staff(),
        {
            "regie_id": regie["id"],
            "household_id": str(lea.household_id),
            "method": "cash",
            "amount_cents": 1000,
        },
        201,
    )
    # Then the bank says it was paid after all: applied, what is not owed is a credit.
    await notify(billing, page_answer(started["payment_url"], paid=True))
    received = await billing.events("billing.PaymentReceived", 2)
    card = received[-1]["payload"]
    assert (card["method"], card["amount_cents"], card["credit_cents"]) == ("card", 1660, 1000)
    assert card["allocations"][0]["amount_cents"] == 660
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
    assert tx["status"] == "paid"
    # A refusal arriving now changes nothing.
    await notify(billing, page_answer(started["payment_url"], paid=False))
    assert (await billing.get(f"{T}/card-payments/{started['transaction_id']}"))["status"] == (
        "paid"
    )
    assert len(billing.tap.of_type("billing.PaymentRefused")) == 1


async def test_bad_starts_are_refused_and_start_nothing(billing):
    regie, lea, (invoice,), _ = await unpaid(billing, SEPT)
    problem = await start(billing, lea, [invoice], 409, amount_cents=100)
    assert problem["amount_due_cents"] == 1660
    stranger = uuid.uuid4()
    await billing.call(
        "POST",
        f"{T}/card-payments",
        billing.family(stranger),
        {"invoice_ids": [invoice["id"]], "email": "x@example.fr"},
        404,
    )
    problem = await start(billing, lea, [invoice], 422, email="not-an-email")
    assert problem["errors"][0]["field"] == "email"
    problem = await start(billing, lea, [invoice], 422, email=None)  # no payer email known
    assert problem["field"] == "email"
    # Staff pay for a household; without naming it, refused.
    await billing.call(
        "POST", f"{T}/card-payments", billing.staff(), {"invoice_ids": [invoice["id"]]}, 422
    )
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "enabled": False},
    )
    problem = await start(billing, lea, [invoice], 409)
    assert problem["detail"] == "Le paiement en ligne n'est pas ouvert pour cette régie."
    assert await billing.pool.fetchval("SELECT count(*) FROM card_transactions") == 0
    await billing.call(
        "PUT", f"{T}/regies/{regie['id']}/card-payment", billing.staff(), {"backend": "dummy"}
    )
    by_staff = await billing.call(
        "POST",
        f"{T}/card-payments",
        billing.staff(),
        {
            "invoice_ids": [invoice["id"]],
            "household_id": str(lea.household_id),
            "email": "guichet@epagny.test",
        },
        201,
    )
    assert by_staff["household_id"] == str(lea.household_id)
    listed = (await billing.get(f"{T}/card-payments?status=pending"))["transactions"]
    assert [t["transaction_id"] for t in listed] == [by_staff["transaction_id"]]


async def test_eopayment_runs_beside_the_event_loop(billing, monkeypatch):
    _, lea, (invoice,), _ = await unpaid(billing, SEPT)
    threads = []
    real_request, real_response = eopayment.dummy.Payment.request, eopayment.dummy.Payment.response

    def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_request(self, *args, **kwargs)

    def response(self: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread())
        return real_response(self, *args, **kwargs)

    monkeypatch.setattr(eopayment.dummy.Payment, "request", request)
    monkeypatch.setattr(eopayment.dummy.Payment, "response", response)
    started = await start(billing, lea, [invoice])
    await notify(billing, page_answer(started["payment_url"], paid=True))
    assert len(threads) == 2
    assert all(t is not threading.main_thread() for t in threads)


async def test_the_poll_command_expires_what_nobody_answered(billing):
    _, lea, (invoice,), _ = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice])
    # The command runs on the real clock, months after the tests' 1 September 2026.
    status = await asyncio.to_thread(
        commands.poll_card_payments, billing.settings, argparse.Namespace(older_than=1.0)
    )
    assert status == 0

    async def expired() -> bool:
        tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}")
        return tx["status"] == "expired"

    await eventually(expired)
    (event,) = await billing.events("billing.PaymentRefused")
    assert event["payload"]["outcome"] == "expired"


async def test_staff_check_a_pending_payment_now_and_it_is_settled_once(billing):
    _, lea, (invoice,), _ = await unpaid(billing, SEPT)
    started = await start(billing, lea, [invoice])
    check = f"{T}/card-payments/{started['transaction_id']}/check"
    # Not yet expired, and the dummy cannot be asked: still pending, nothing applied.
    tx = await billing.call("POST", check, billing.staff(), None, 200)
    assert (tx["status"], tx["transaction_id"]) == ("pending", started["transaction_id"])
    await billing.call("POST", check, billing.family(lea.household_id), None, 403)
    await billing.call(
        "POST", f"{T}/card-payments/{uuid.uuid4()}/check", billing.staff(), None, 404
    )
    # Past its expiry: staff's check (or the sweeper, whichever comes first) expires it, once.
    billing.at(billing.NOW + timedelta(minutes=21))
    tx = await billing.call("POST", check, billing.staff(), None, 200)

    async def expired() -> bool:
        return (await billing.get(f"{T}/card-payments/{started['transaction_id']}"))[
            "status"
        ] == "expired"

    await eventually(expired)
    tx = await billing.call("POST", check, billing.staff(), None, 200)
    assert tx["status"] == "expired"
    (event,) = await billing.events("billing.PaymentRefused")
    assert event["payload"]["outcome"] == "expired"
