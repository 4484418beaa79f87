"""Topping a wallet up by card, through eopayment's dummy backend and the real Postgres and
bus: the family starts the payment, the bank's signed notification (sent twice) credits the
wallet once (billing.WalletCredited reason top_up, to the account that paid); a refused
payment credits nothing; the money then pays a basket from the wallet."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from billing.dummy_page import page_answer
from billing.settings import BillingSettings
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
PUBLIC = "http://billing.test/api/billing"
EVENTS = ["billing.WalletCredited", "billing.WalletDebited", "billing.PaymentReceived"]


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=0,
        public_url=PUBLIC,
        portal_url="https://portail.epagny.test",
    )


@pytest.fixture
async def wallet_tap(bus_namespace: Any) -> Any:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


def wallet_url(household_id: Any) -> str:
    return f"{T}/billing/households/{household_id}/wallet"


async def notify(billing, answer, status: int = 200) -> None:
    assert answer.notification_url.startswith(PUBLIC)
    r = await billing.client.post(
        answer.notification_url[len(PUBLIC) :],
        data=answer.body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == status, await r.text()


async def wallet_by_card(billing):
    regie = await billing.regie(code="ENFANCE", name="Régie enfance")
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    lea = await billing.kid(qf=900)
    account = uuid.uuid4()
    family = billing.tokens.header(
        tenant=billing.TENANT,
        roles=("family",),
        household_id=str(lea.household_id),
        account_id=str(account),
    )
    await billing.call("POST", wallet_url(lea.household_id), family, status=201)
    return regie, lea, family, account


async def test_a_card_top_up_credits_the_wallet_once(billing, wallet_tap):
    _, lea, family, account = await wallet_by_card(billing)
    started = await billing.call(
        "POST",
        f"{wallet_url(lea.household_id)}/top-ups",
        family,
        {"amount_cents": 2500, "email": "claire@example.fr"},
        status=201,
    )
    assert started["amount_cents"] == 2500 and "amount=25.00" in started["payment_url"]
    answer = page_answer(started["payment_url"], paid=True)
    await notify(billing, answer)
    await notify(billing, answer)  # the bank tells twice
    (credited,) = await wallet_tap.wait_for(1, event_type="billing.WalletCredited")
    payload = credited["payload"]
    assert (payload["reason"], payload["amount_cents"], payload["balance_cents"]) == (
        "top_up",
        2500,
        2500,
    )
    assert payload["account_id"] == str(account)
    await asyncio.sleep(0.3)
    assert len(wallet_tap.of_type("billing.WalletCredited")) == 1
    assert wallet_tap.of_type("billing.PaymentReceived") == []  # a top-up is no invoice payment
    page = await billing.get(f"{wallet_url(lea.household_id)}/movements", family)
    (movement,) = page["movements"]
    assert (page["balance_cents"], movement["kind"], movement["amount_cents"]) == (
        2500,
        "top_up",
        2500,
    )
    assert movement["transaction_id"] == str(started["transaction_id"])
    assert movement["label"] == "Rechargement par carte bancaire"
    tx = await billing.get(f"{T}/card-payments/{started['transaction_id']}", family)
    assert tx["status"] == "paid"
    # A refused top-up credits nothing.
    again = await billing.call(
        "POST",
        f"{wallet_url(lea.household_id)}/top-ups",
        family,
        {"amount_cents": 1000, "email": "claire@example.fr"},
        status=201,
    )
    await notify(billing, page_answer(again["payment_url"], paid=False))
    await asyncio.sleep(0.3)
    assert (await billing.get(wallet_url(lea.household_id), family))["balance_cents"] == 2500


async def test_topped_up_money_pays_a_basket(billing, wallet_tap):
    regie, lea, family, _ = await wallet_by_card(billing)
    wednesdays = await billing.activity(regie, name="Mercredis", payment="wallet")
    started = await billing.call(
        "POST",
        f"{wallet_url(lea.household_id)}/top-ups",
        family,
        {"amount_cents": 1000, "email": "claire@example.fr"},
        status=201,
    )
    await notify(billing, page_answer(started["payment_url"], paid=True))
    await wallet_tap.wait_for(1, event_type="billing.WalletCredited")
    await billing.deliver(
        billing.booking_event(
            "booking.ReservationValidated",
            **billing.who(lea, wednesdays),
            basket_id=uuid.uuid4(),
            dates=[{"booking_id": uuid.uuid4(), "date": date(2026, 9, 2), "late": False}],
            waiting_dates=[],
            payment="wallet",
        )
    )
    (debited,) = await wallet_tap.wait_for(1, event_type="billing.WalletDebited")
    assert (debited["payload"]["amount_cents"], debited["payload"]["balance_cents"]) == (415, 585)

    async def paid():
        rows = await billing.invoices()
        return rows if rows and rows[0]["remaining_cents"] == 0 else None

    (invoice,) = await eventually(paid)
    assert invoice["paid_cents"] == 415


async def test_a_retried_top_up_starts_one_card_payment(billing):
    """Idempotency-Key: the same top-up sent again gets the first answer (the same bank
    page), not a second transaction."""
    _, lea, family, _ = await wallet_by_card(billing)
    url = f"{wallet_url(lea.household_id)}/top-ups"
    headers = {**family, "Idempotency-Key": str(uuid.uuid4())}
    body = {"amount_cents": 2500, "email": "claire@example.fr"}
    first = await billing.client.post(url, json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await billing.client.post(url, json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await billing.pool.fetchval("SELECT count(*) FROM card_transactions") == 1
