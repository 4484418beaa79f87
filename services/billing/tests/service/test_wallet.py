"""Households' wallets over HTTP and events, against the real Postgres and bus: how an
activity is paid (billing.ActivityPaymentSet), the régie holding the wallets, activation
(billing.WalletActivated), staff credits (billing.WalletCredited), the balance and the
movements, who sees what, and the balance's guards in the database itself."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from billing.store import wallet as wallet_store
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
WALLET_EVENTS = [
    "billing.ActivityPaymentSet",
    "billing.WalletActivated",
    "billing.WalletCredited",
]


@pytest.fixture
async def wallet_tap(bus_namespace: Any) -> Any:
    async with EventTap(AMQP_URL, bus_namespace.name, WALLET_EVENTS) as tap:
        yield tap


def wallet_url(household_id: Any) -> str:
    return f"{T}/billing/households/{household_id}/wallet"


async def holding_regie(billing) -> dict[str, Any]:
    regie = await billing.regie(code="ENFANCE", name="Régie enfance")
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    return regie


async def test_how_an_activity_is_paid_is_announced_to_booking(billing, wallet_tap):
    regie = await billing.regie()
    canteen = await billing.activity(regie, grid=None)
    assert (canteen["payment"], canteen["hold_minutes"]) == ("invoice", 30)
    url = f"{T}/billing/activities/{canteen['activity_id']}"
    body = {
        "regie_id": regie["id"],
        "name": "Cantine",
        "billing_mode": "prepaid",
        "unit": "meal",
        "payment": "wallet",
    }
    row = await billing.call("PUT", url, billing.staff(), body)
    assert row["payment"] == "wallet"
    # The same again: nothing changed, nothing announced.
    await billing.call("PUT", url, billing.staff(), body)
    camp = await billing.activity(
        regie, grid=None, name="Séjour", payment="at_booking", hold_minutes=20
    )
    events = await wallet_tap.wait_for(3, event_type="billing.ActivityPaymentSet")
    assert [(e["payload"]["payment"], e["payload"]["hold_minutes"]) for e in events] == [
        ("invoice", 30),
        ("wallet", 30),
        ("at_booking", 20),
    ]
    assert events[2]["payload"]["activity_id"] == camp["activity_id"]
    assert (await billing.get(url))["payment"] == "wallet"
    # Paid upfront is prepaid only; the refusal names the field.
    for payment in ("wallet", "at_booking"):
        r = await billing.client.put(
            url,
            json={**body, "billing_mode": "postpaid", "payment": payment},
            headers=billing.staff(),
        )
        assert r.status == 422
        problem = await r.json()
        assert [e["field"] for e in problem["errors"]] == ["payment"]
        assert "prépayée" in problem["errors"][0]["detail"]
    for bad in ({"payment": "cheque"}, {"hold_minutes": 0}, {"hold_minutes": 1441}):
        r = await billing.client.put(url, json={**body, **bad}, headers=billing.staff())
        assert r.status == 422 and [e["field"] for e in (await r.json())["errors"]] == list(bad)
    assert (await billing.get(url))["payment"] == "wallet"
    assert len(wallet_tap.of_type("billing.ActivityPaymentSet")) == 3


async def test_activating_needs_a_regie_holding_the_wallets(billing, wallet_tap):
    household = uuid.uuid4()
    family = billing.family(household)
    r = await billing.client.post(wallet_url(household), headers=family)
    assert r.status == 409
    problem = await r.json()
    assert problem["type"].endswith("/no-wallet-regie")
    assert problem["detail"].startswith("La collectivité n'a pas encore désigné de régie")
    await billing.get(wallet_url(household), family, status=404)
    settings = await billing.get(f"{T}/billing/wallet-settings")
    assert settings == {
        "regie_id": None,
        "regie_name": None,
        "top_up_min_cents": 500,
        "top_up_max_cents": 30000,
    }
    regie = await holding_regie(billing)
    settings = await billing.get(f"{T}/billing/wallet-settings")
    assert (settings["regie_id"], settings["regie_name"]) == (regie["id"], "Régie enfance")
    assert (await billing.get(f"{T}/regies/{regie['id']}"))["holds_wallets"] is True
    wallet = await billing.call("POST", wallet_url(household), family, status=201)
    assert (wallet["balance_cents"], wallet["regie_id"]) == (0, regie["id"])
    # Activated again (the other guardian, a double click): the same wallet, no event.
    again = await billing.call("POST", wallet_url(household), billing.family(household))
    assert again["activated_at"] == wallet["activated_at"]
    (event,) = await wallet_tap.wait_for(1, event_type="billing.WalletActivated")
    assert event["payload"]["household_id"] == str(household)
    assert event["payload"]["balance_cents"] == 0 and event["payload"]["account_id"]
    # Once wallets are held, they stay with their régie; designating it again is fine.
    other = await billing.regie(code="SPORT", name="Régie sport")
    r = await billing.client.put(
        f"{T}/billing/wallet-settings", json={"regie_id": other["id"]}, headers=billing.staff()
    )
    assert r.status == 409
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    r = await billing.client.put(
        f"{T}/billing/wallet-settings",
        json={"regie_id": str(uuid.uuid4())},
        headers=billing.staff(),
    )
    assert r.status == 404
    assert len(wallet_tap.of_type("billing.WalletActivated")) == 1


async def test_one_regie_holds_the_wallets_at_a_time(billing):
    first = await holding_regie(billing)
    second = await billing.regie(code="SPORT", name="Régie sport")
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": second["id"]}
    )
    holders = [r["id"] for r in (await billing.get(f"{T}/regies"))["regies"] if r["holds_wallets"]]
    assert holders == [second["id"]] and first["id"] != second["id"]
    # The database refuses two holders whatever the code does.
    with pytest.raises(asyncpg.UniqueViolationError):
        await billing.pool.execute("UPDATE regies SET holds_wallets = true WHERE tenant = 'epagny'")


async def test_staff_credit_the_family_reads_balance_and_movements(billing, wallet_tap):
    await holding_regie(billing)
    household, neighbour = uuid.uuid4(), uuid.uuid4()
    family = billing.family(household)
    await billing.call("POST", wallet_url(household), family, status=201)
    for amount, reason in ((1500, "Remboursement d'une sortie annulée"), (250, "Geste")):
        movement = await billing.call(
            "POST",
            f"{wallet_url(household)}/credits",
            billing.staff(),
            {"amount_cents": amount, "reason": reason},
            status=201,
        )
        assert (movement["kind"], movement["amount_cents"]) == ("staff", amount)
    assert movement["balance_cents"] == 1750
    assert movement["label"] == "Crédit de la régie : Geste"
    credited = await wallet_tap.wait_for(2, event_type="billing.WalletCredited")
    assert [(e["payload"]["reason"], e["payload"]["balance_cents"]) for e in credited] == [
        ("staff", 1500),
        ("staff", 1750),
    ]
    assert credited[1]["payload"]["movement_id"] == movement["id"]
    assert (await billing.get(wallet_url(household), family))["balance_cents"] == 1750
    page = await billing.get(f"{wallet_url(household)}/movements", family)
    assert page["balance_cents"] == 1750
    assert [m["amount_cents"] for m in page["movements"]] == [250, 1500]  # newest first
    page = await billing.get(f"{wallet_url(household)}/movements?limit=1&offset=1", family)
    assert [m["reason"] for m in page["movements"]] == ["Remboursement d'une sortie annulée"]
    staff_view = await billing.get(f"{T}/billing/wallets")
    assert [(w["household_id"], w["balance_cents"]) for w in staff_view["wallets"]] == [
        (str(household), 1750)
    ]
    # A family sees its own household only, and does not credit.
    neighbours = billing.family(neighbour)
    await billing.get(wallet_url(household), neighbours, status=403)
    await billing.get(f"{wallet_url(household)}/movements", neighbours, status=403)
    await billing.call("POST", wallet_url(household), neighbours, status=403)
    await billing.call(
        "POST",
        f"{wallet_url(household)}/credits",
        family,
        {"amount_cents": 100, "reason": "moi"},
        status=403,
    )
    await billing.get(f"{T}/billing/wallets", family, status=403)
    await billing.get(wallet_url(household), billing.staff("annecy"), status=403)
    # Bad amounts, a wallet never activated.
    for bad in ({"amount_cents": 0, "reason": "x"}, {"amount_cents": 100, "reason": ""}):
        await billing.call(
            "POST", f"{wallet_url(household)}/credits", billing.staff(), bad, status=422
        )
    r = await billing.client.post(
        f"{wallet_url(neighbour)}/credits",
        json={"amount_cents": 100, "reason": "x"},
        headers=billing.staff(),
    )
    assert r.status == 409 and (await r.json())["type"].endswith("/wallet-not-active")
    assert len(wallet_tap.of_type("billing.WalletCredited")) == 2


async def test_the_database_keeps_the_balance_and_the_history(billing):
    """The guards do not rely on the code: a balance below zero and a rewritten movement
    are refused by Postgres itself."""
    await holding_regie(billing)
    household = uuid.uuid4()
    await billing.call("POST", wallet_url(household), billing.family(household), status=201)
    await billing.call(
        "POST",
        f"{wallet_url(household)}/credits",
        billing.staff(),
        {"amount_cents": 500, "reason": "Essai"},
        status=201,
    )
    with pytest.raises(asyncpg.CheckViolationError):
        await billing.pool.execute(
            "UPDATE wallets SET balance_cents = balance_cents - 501 WHERE household_id = $1",
            household,
        )
    for statement in (
        "UPDATE wallet_movements SET amount_cents = 1",
        "DELETE FROM wallet_movements",
    ):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await billing.pool.execute(statement)
    assert (
        await billing.pool.fetchval(
            "SELECT balance_cents FROM wallets WHERE household_id = $1", household
        )
        == 500
    )


async def test_two_debits_racing_on_one_balance_cannot_both_pass(billing):
    """The conditional update itself: the second debit waits for the first and is then
    checked against the balance the first left (Postgres re-reads the row), so it fails
    instead of both passing on the same 10 €."""
    await holding_regie(billing)
    household = uuid.uuid4()
    await billing.call("POST", wallet_url(household), billing.family(household), status=201)
    await billing.call(
        "POST",
        f"{wallet_url(household)}/credits",
        billing.staff(),
        {"amount_cents": 1000, "reason": "Essai"},
        status=201,
    )
    tenant, now = billing.TENANT, billing.NOW
    async with billing.pool.acquire() as first, billing.pool.acquire() as second:
        one, other = first.transaction(), second.transaction()
        await one.start()
        await other.start()
        assert await wallet_store.debit_wallet(first, tenant, household, 600, now) == 400
        racing = asyncio.create_task(wallet_store.debit_wallet(second, tenant, household, 600, now))
        await asyncio.sleep(0.3)
        assert not racing.done()  # it waits for the first debit's transaction
        await one.commit()
        assert await racing is None  # 600 of the 400 left: refused, nothing taken
        assert await wallet_store.debit_wallet(second, tenant, household, 400, now) == 0
        await other.commit()
    assert (
        await billing.pool.fetchval(
            "SELECT balance_cents FROM wallets WHERE household_id = $1", household
        )
        == 0
    )


async def test_a_top_up_outside_the_limits_or_without_a_wallet_is_refused(billing):
    await holding_regie(billing)
    household = uuid.uuid4()
    family = billing.family(household)
    url = f"{wallet_url(household)}/top-ups"
    r = await billing.client.post(url, json={"amount_cents": 1000}, headers=family)
    assert r.status == 409 and (await r.json())["type"].endswith("/wallet-not-active")
    await billing.call("POST", wallet_url(household), family, status=201)
    for amount in (499, 30001):
        r = await billing.client.post(url, json={"amount_cents": amount}, headers=family)
        assert r.status == 422
        problem = await r.json()
        assert problem["detail"] == "Le rechargement doit être compris entre 5,00 € et 300,00 €."
        assert [e["field"] for e in problem["errors"]] == ["amount_cents"]
    r = await billing.client.post(url, json={"amount_cents": "dix"}, headers=family)
    assert r.status == 422
    await billing.call(
        "POST", url, billing.family(uuid.uuid4()), {"amount_cents": 1000}, status=403
    )
