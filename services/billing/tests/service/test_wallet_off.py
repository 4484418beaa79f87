"""A town that turns its wallet off (issue 16), through the real bus and Postgres: booking is
told that the activities paid from the wallet are invoiced meanwhile (billing.ActivityPaymentSet
`invoice`), so that they stay bookable; the money already in a wallet stays the household's:
readable, still paying the days held before the switch, refunded to it when days it paid are
cancelled. Turned on again, the activities are paid from the wallet again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest

from shared.testing.bus import EventTap, eventually
from shared.testing.features import announce_features
from shared.testing.plugin import AMQP_URL

from .test_wallet_saga import answers, balance_of, paid_from_wallet, setting_up, wallet_url

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (2, 9, 16)]  # Wednesdays
EVENTS = [
    "billing.ActivityPaymentSet",
    "billing.WalletDebited",
    "billing.WalletDebitRefused",
    "billing.InvoiceIssued",
]


@pytest.fixture
async def wallet_tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


async def announced(tap: EventTap, count: int) -> list[dict[str, Any]]:
    """The ActivityPaymentSet events so far, once there are `count` of them."""
    return await tap.wait_for(count, event_type="billing.ActivityPaymentSet", timeout=20)


async def test_wallet_activities_are_invoiced_while_the_wallet_is_off(billing, wallet_tap):
    regie, wednesdays, lea = await setting_up(billing, balance=2000)
    canteen = await billing.activity(regie, name="Cantine")  # invoiced: never re-announced
    first = await announced(wallet_tap, 2)
    assert {(e["payload"]["activity_id"], e["payload"]["payment"]) for e in first} == {
        (wednesdays["activity_id"], "wallet"),
        (canteen["activity_id"], "invoice"),
    }

    await announce_features(billing.client.app, "epagny", wallet=False)
    off = (await announced(wallet_tap, 3))[2]["payload"]
    assert (off["activity_id"], off["payment"]) == (wednesdays["activity_id"], "invoice")
    assert off["hold_minutes"] == wednesdays["hold_minutes"]
    # Configured while off: announced as invoiced too; billing keeps what staff configured.
    swimming = await billing.activity(regie, name="Piscine", payment="wallet")
    late = (await announced(wallet_tap, 4))[3]["payload"]
    assert (late["activity_id"], late["payment"]) == (swimming["activity_id"], "invoice")
    assert swimming["payment"] == "wallet"

    household = lea.household_id
    family = billing.family(household)
    # The balance stays the family's and readable; no top-up meanwhile.
    assert (await billing.get(wallet_url(household), family))["balance_cents"] == 2000
    r = await billing.client.post(
        f"{wallet_url(household)}/top-ups", json={"amount_cents": 1000}, headers=family
    )
    assert r.status == 403
    # Days held from the wallet before the switch still get their answer: paid from it.
    held = paid_from_wallet(billing, lea, wednesdays, SEPT[0])
    await billing.deliver(held)
    (answer,) = await answers(wallet_tap, 1)
    assert answer["type"] == "billing.WalletDebited"
    assert await balance_of(billing, household) == 2000 - 415
    # A basket validated now (booking follows the announcement): invoiced, wallet untouched.
    await billing.deliver(billing.validated(lea, wednesdays, *SEPT[1:]))

    async def invoiced() -> list[dict[str, Any]]:
        found = [i for i in await billing.invoices() if i["total_cents"] == 830]
        return found

    (invoice,) = await eventually(invoiced, timeout=20)
    assert invoice["remaining_cents"] == 830  # to pay like any invoice
    assert await balance_of(billing, household) == 2000 - 415
    # A day the wallet paid, cancelled before its deadline: back to the wallet.
    await billing.deliver(billing.cancelled(lea, wednesdays, billing.booked(held), charged=False))

    async def refunded() -> bool:
        return await balance_of(billing, household) == 2000

    await eventually(refunded, timeout=20)

    await announce_features(billing.client.app, "epagny")
    again = (await announced(wallet_tap, 6))[4:]
    assert {(e["payload"]["activity_id"], e["payload"]["payment"]) for e in again} == {
        (wednesdays["activity_id"], "wallet"),
        (swimming["activity_id"], "wallet"),
    }


async def test_another_switch_says_nothing_of_the_wallet(billing, wallet_tap):
    regie = await billing.regie(code="ENFANCE", name="Régie enfance")
    await billing.activity(regie, name="Mercredis", payment="wallet")
    await announced(wallet_tap, 1)
    await announce_features(billing.client.app, "epagny", direct_debit=False)
    await announce_features(billing.client.app, "epagny", direct_debit=False)  # again
    # A later word proves the earlier ones were handled: only its event follows.
    swimming = await billing.activity(regie, name="Piscine", payment="wallet")
    events = await announced(wallet_tap, 2)
    assert len(events) == 2 and len(wallet_tap.of_type("billing.ActivityPaymentSet")) == 2
    assert events[1]["payload"]["activity_id"] == swimming["activity_id"]


async def test_staff_pay_the_balance_back_to_the_family(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=1250)
    household = lea.household_id
    family = billing.family(household)
    await announce_features(billing.client.app, "epagny", wallet=False)
    payouts = f"{wallet_url(household)}/payouts"
    body = {"method": "transfer", "reference": "VIR-2026-0042"}
    r = await billing.client.post(payouts, json=body, headers=family)
    assert r.status == 403  # staff only
    problem = await billing.call("POST", payouts, billing.staff(), {"method": "carte"}, 422)
    assert [e["field"] for e in problem["errors"]] == ["method"]

    paid = await billing.call("POST", payouts, billing.staff(), body, 201)
    assert (paid["kind"], paid["amount_cents"], paid["balance_cents"]) == ("payout", -1250, 0)
    assert paid["label"] == "Remboursement du solde par la régie (virement)"
    assert paid["reason"] == "VIR-2026-0042" and paid["recorded_by"]
    page = await billing.get(f"{wallet_url(household)}/movements", family)
    assert page["balance_cents"] == 0 and page["movements"][0]["id"] == paid["id"]
    # Nothing left: said, nothing written; the saga finds the wallet empty.
    problem = await billing.call("POST", payouts, billing.staff(), body, 409)
    assert problem["type"].endswith("/wallet-empty")
    assert problem["detail"] == "La tirelire de ce foyer est vide : il n'y a rien à rembourser."
    await billing.deliver(paid_from_wallet(billing, lea, wednesdays, SEPT[0]))
    (answer,) = await answers(wallet_tap, 1)
    assert answer["type"] == "billing.WalletDebitRefused"
    assert answer["payload"]["reason"] == "insufficient_balance"
    count = "SELECT count(*) FROM wallet_movements WHERE household_id = $1 AND kind = 'payout'"
    assert await billing.pool.fetchval(count, household) == 1
    # No wallet: nothing to pay back.
    other = uuid.uuid4()
    problem = await billing.call("POST", f"{wallet_url(other)}/payouts", billing.staff(), body, 409)
    assert problem["type"].endswith("/wallet-not-active")
