"""The saga's billing side [003], through the bus against the real Postgres and RabbitMQ:
booking.ReservationValidated of days paid from the wallet gets exactly one answer,
billing.WalletDebited (the days invoiced and the invoice paid from the wallet) or
billing.WalletDebitRefused (nothing debited, nothing invoiced); a redelivery or a replay
never debits twice, a crash between the steps leaves nothing half done, 50 baskets at once
never take the wallet below zero; cancelled days paid from the wallet go back to it."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from billing.domain import wallet as wallet_rules
from billing.usecases import payments
from shared.events.envelope import parse_event
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (2, 9, 16, 23, 30)]  # Wednesdays
ANSWERS = ["billing.WalletDebited", "billing.WalletDebitRefused"]
EVENTS = [*ANSWERS, "billing.WalletCredited", "billing.PaymentReceived"]


@pytest.fixture
async def wallet_tap(bus_namespace: Any) -> Any:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


def wallet_url(household_id: Any) -> str:
    return f"{T}/billing/households/{household_id}/wallet"


async def setting_up(billing, *, balance: int | None = 2000, qf: int = 900):
    """A régie holding the wallets, a Wednesday activity paid from the wallet (4,15 € a day
    at QF ≥ 801), a child, and its household's wallet with `balance` (None: not activated)."""
    regie = await billing.regie(code="ENFANCE", name="Régie enfance")
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    wednesdays = await billing.activity(regie, name="Mercredis", payment="wallet")
    lea = await billing.kid(qf=qf)
    if balance is not None:
        await billing.call(
            "POST", wallet_url(lea.household_id), billing.family(lea.household_id), status=201
        )
        if balance:
            await billing.call(
                "POST",
                f"{wallet_url(lea.household_id)}/credits",
                billing.staff(),
                {"amount_cents": balance, "reason": "Dépôt au guichet"},
                status=201,
            )
    return regie, wednesdays, lea


def paid_from_wallet(billing, kid, activity, *days, basket_id=None):
    return billing.booking_event(
        "booking.ReservationValidated",
        **billing.who(kid, activity),
        basket_id=basket_id or uuid.uuid4(),
        dates=[{"booking_id": uuid.uuid4(), "date": d, "late": False} for d in days],
        waiting_dates=[],
        payment="wallet",
    )


async def answers(tap, count: int) -> list[dict[str, Any]]:
    async def enough():
        found = [m for m in tap.messages if m["type"] in ANSWERS]
        return found if len(found) >= count else None

    return await eventually(enough, timeout=30)


async def balance_of(billing, household_id) -> int:
    return await billing.pool.fetchval(
        "SELECT balance_cents FROM wallets WHERE household_id = $1", household_id
    )


async def test_the_wallet_pays_the_days_at_once(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=2000)
    event = paid_from_wallet(billing, lea, wednesdays, *SEPT[:3])
    await billing.deliver(event)
    (answer,) = await answers(wallet_tap, 1)
    assert answer["type"] == "billing.WalletDebited"
    booked = [str(d["booking_id"]) for d in billing.booked(event)]
    payload = answer["payload"]
    assert payload["booking_ids"] == booked
    assert (payload["amount_cents"], payload["balance_cents"]) == (1245, 755)
    assert payload["basket_id"] == str(parse_event(event.to_json()).payload["basket_id"])
    # The days are invoiced (issued at once) and the invoice is paid from the wallet.
    (invoice,) = await billing.invoices()
    assert invoice["id"] == payload["invoice_id"]
    assert (invoice["total_cents"], invoice["remaining_cents"], invoice["paid_cents"]) == (
        1245,
        0,
        1245,
    )
    (received,) = await wallet_tap.wait_for(1, event_type="billing.PaymentReceived")
    assert received["payload"]["method"] == "wallet"
    assert received["payload"]["allocations"][0]["invoice_id"] == invoice["id"]
    assert received["payload"]["allocations"][0]["remaining_cents"] == 0
    family = billing.family(lea.household_id)
    page = await billing.get(f"{wallet_url(lea.household_id)}/movements", family)
    debit = page["movements"][0]
    assert (page["balance_cents"], debit["kind"], debit["amount_cents"]) == (755, "debit", -1245)
    assert debit["label"] == (
        f"Réservation : Cantine — École du Centre (Léa, 3 jours), facture {invoice['number']}"
    )
    assert debit["invoice_ids"] == [invoice["id"]] and debit["booking_ids"] == booked


async def test_a_short_wallet_debits_nothing_and_invoices_nothing(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=1000)
    await billing.deliver(paid_from_wallet(billing, lea, wednesdays, *SEPT[:3]))
    (answer,) = await answers(wallet_tap, 1)
    assert answer["type"] == "billing.WalletDebitRefused"
    assert answer["payload"]["reason"] == "insufficient_balance"
    assert (answer["payload"]["amount_cents"], answer["payload"]["balance_cents"]) == (1245, 1000)
    assert await balance_of(billing, lea.household_id) == 1000
    for table in ("invoices", "charges", "bookings", "payments", "ledger"):
        assert await billing.pool.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert (
        await billing.pool.fetchval("SELECT count(*) FROM wallet_movements WHERE kind = 'debit'")
        == 0
    )
    # Two days fit: the next basket is paid.
    await billing.deliver(paid_from_wallet(billing, lea, wednesdays, *SEPT[:2]))
    second = (await answers(wallet_tap, 2))[1]
    assert second["type"] == "billing.WalletDebited"
    assert (second["payload"]["amount_cents"], second["payload"]["balance_cents"]) == (830, 170)


async def test_a_household_without_a_wallet_is_refused(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=None)
    await billing.deliver(paid_from_wallet(billing, lea, wednesdays, SEPT[0]))
    (answer,) = await answers(wallet_tap, 1)
    assert answer["type"] == "billing.WalletDebitRefused"
    assert answer["payload"]["reason"] == "wallet_inactive"
    assert answer["payload"]["balance_cents"] == 0
    assert await billing.pool.fetchval("SELECT count(*) FROM invoices") == 0


async def test_a_redelivery_or_a_replay_never_debits_twice(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=2000)
    event = paid_from_wallet(billing, lea, wednesdays, *SEPT[:2])
    await billing.deliver(event)
    # The same message again (the inbox), then the same days under a new event id (a
    # replay from the archive, or booking's relay after a crash).
    await billing.deliver(event)
    replay = billing.booking_event(
        "booking.ReservationValidated", **parse_event(event.to_json()).payload
    )
    await billing.deliver(replay)
    first, again = await answers(wallet_tap, 2)
    await asyncio.sleep(0.5)
    assert len([m for m in wallet_tap.messages if m["type"] in ANSWERS]) == 2
    assert first["payload"] == again["payload"]
    assert first["type"] == again["type"] == "billing.WalletDebited"
    assert first["payload"]["balance_cents"] == 1170
    assert await balance_of(billing, lea.household_id) == 1170
    assert (
        await billing.pool.fetchval("SELECT count(*) FROM wallet_movements WHERE kind = 'debit'")
        == 1
    )
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 1
    assert await billing.pool.fetchval("SELECT count(*) FROM invoices") == 1


async def test_a_crash_between_the_steps_leaves_nothing_half_done(billing, wallet_tap, monkeypatch):
    """The handler dies after the wallet was debited and the payment recorded, before its
    commit (as a killed process would): nothing of it stays, the event comes back (the
    consumer's retry) and is answered once."""
    _, wednesdays, lea = await setting_up(billing, balance=2000)
    real = payments.apply_payment_in
    crashes = []

    async def crashing(*args: Any, **kwargs: Any) -> Any:
        result = await real(*args, **kwargs)
        if not crashes:
            crashes.append(await billing.pool.fetchval("SELECT count(*) FROM wallet_movements"))
            raise ConnectionResetError("killed between the debit and the commit")
        return result

    monkeypatch.setattr(payments, "apply_payment_in", crashing)
    await billing.publish(paid_from_wallet(billing, lea, wednesdays, *SEPT[:4]))
    (answer,) = await answers(wallet_tap, 1)
    assert crashes == [1]  # only the staff credit was committed when it died
    assert answer["type"] == "billing.WalletDebited"
    assert answer["payload"]["balance_cents"] == 2000 - 1660
    await asyncio.sleep(0.5)
    assert len([m for m in wallet_tap.messages if m["type"] in ANSWERS]) == 1
    assert (
        await billing.pool.fetchval("SELECT count(*) FROM wallet_movements WHERE kind = 'debit'")
        == 1
    )
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 1
    assert [r["number"] for r in await billing.pool.fetch("SELECT number FROM invoices")] == [
        "F-ENFANCE-2026-000001"  # the crashed attempt's number was given back
    ]


async def test_fifty_baskets_at_once_never_take_the_wallet_below_zero(billing, wallet_tap):
    """50 ReservationValidated for the same household published at once (the consumer
    takes them CONSUMER_PREFETCH at a time): the debits add up to at most the balance, each
    event is answered once, and every answer agrees with the order the debits took."""
    balance = 10_000
    _, wednesdays, lea = await setting_up(billing, balance=balance)
    rng = random.Random(12)
    events = []
    for n in range(50):
        start = date(2026, 9, 2) + timedelta(weeks=n)
        days = [start + timedelta(days=k) for k in range(rng.randint(1, 3))]
        events.append(paid_from_wallet(billing, lea, wednesdays, *days))
    started = time.monotonic()
    await asyncio.gather(*(billing.publish(e) for e in events))
    got = await answers(wallet_tap, 50)
    elapsed = time.monotonic() - started
    await asyncio.sleep(1)
    got = [m for m in wallet_tap.messages if m["type"] in ANSWERS]
    # Each event answered exactly once.
    sent = {str(parse_event(e.to_json()).payload["basket_id"]) for e in events}
    assert len(got) == 50 and {m["payload"]["basket_id"] for m in got} == sent
    debited = [m["payload"] for m in got if m["type"] == "billing.WalletDebited"]
    refused = [m["payload"] for m in got if m["type"] == "billing.WalletDebitRefused"]
    assert debited and refused  # the balance ran out on the way
    total = sum(p["amount_cents"] for p in debited)
    final = await balance_of(billing, lea.household_id)
    assert total <= balance and final == balance - total >= 0
    # The history replays to the balance, never below zero.
    rows = await billing.pool.fetch(
        "SELECT kind, amount_cents, balance_cents FROM wallet_movements ORDER BY seq"
    )
    history = [
        wallet_rules.Movement(r["kind"], r["amount_cents"], r["balance_cents"]) for r in rows
    ]
    assert wallet_rules.replay(history) == final
    chain = [m.balance_cents for m in history]  # the balance after each movement, in order
    # Each debit's answer gives the balance its own movement left, in the debits' order.
    assert sorted((p["balance_cents"] for p in debited), reverse=True) == chain[1:]
    # Each refusal was decided on a balance the wallet really had, too small for it.
    for p in refused:
        assert p["reason"] == "insufficient_balance"
        assert p["balance_cents"] in chain and p["amount_cents"] > p["balance_cents"]
    # Every debit paid its invoice, nothing else was invoiced.
    invoices = await billing.invoices(limit=100)
    assert len(invoices) == len(debited) and all(i["remaining_cents"] == 0 for i in invoices)
    assert sum(i["total_cents"] for i in invoices) == total
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == len(debited)
    print(
        f"\n50 baskets: {len(debited)} debited ({total} cents), {len(refused)} refused, "
        f"answered in {elapsed:.2f} s"
    )


async def test_cancelled_days_paid_from_the_wallet_go_back_to_it(billing, wallet_tap):
    _, wednesdays, lea = await setting_up(billing, balance=2000)
    event = paid_from_wallet(billing, lea, wednesdays, *SEPT[:3])
    await billing.deliver(event)
    await answers(wallet_tap, 1)
    assert await balance_of(billing, lea.household_id) == 755
    cancelled = billing.booked(event)[1:]
    await billing.deliver(billing.cancelled(lea, wednesdays, cancelled, charged=False))
    (credited,) = [
        m
        for m in await wallet_tap.wait_for(2, event_type="billing.WalletCredited")
        if m["payload"]["reason"] == "refund"
    ]
    assert (credited["payload"]["amount_cents"], credited["payload"]["balance_cents"]) == (
        830,
        1585,
    )
    (note,) = (await billing.get(f"{T}/credit-notes"))["credit_notes"]
    assert (note["total_cents"], note["available_cents"]) == (830, 0)  # refunded, not deducted
    (refund,) = (await billing.get(f"{T}/refunds"))["refunds"]
    assert (refund["method"], refund["amount_cents"], refund["created_by"]) == ("wallet", 830, None)
    assert refund["credit_note_id"] == note["id"]
    family = billing.family(lea.household_id)
    movement = (await billing.get(f"{wallet_url(lea.household_id)}/movements", family))[
        "movements"
    ][0]
    assert (movement["kind"], movement["amount_cents"], movement["refund_id"]) == (
        "refund",
        830,
        refund["id"],
    )
    assert movement["label"] == f"Remboursement de l'avoir {note['number']} (annulation)"
    # Cancelled again (redelivered, replayed): nothing more; a charged cancellation: nothing.
    await billing.deliver(billing.cancelled(lea, wednesdays, cancelled, charged=False))
    await billing.deliver(billing.cancelled(lea, wednesdays, billing.booked(event)[:1], True))
    assert await balance_of(billing, lea.household_id) == 1585
    assert await billing.pool.fetchval("SELECT count(*) FROM refunds") == 1
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert account["balance_cents"] == 0  # the town owes nothing more: it is in the wallet


async def test_days_the_wallet_paid_then_released_go_back_to_it(billing, wallet_tap):
    """booking released held days although the wallet had paid them (its hold ended before
    the answer came, after a crash on its side): billing gives the money back to the
    wallet, so the end is consistent: released and not paid."""
    _, wednesdays, lea = await setting_up(billing, balance=2000)
    event = paid_from_wallet(billing, lea, wednesdays, *SEPT[:2])
    await billing.deliver(event)
    await answers(wallet_tap, 1)
    payload = parse_event(event.to_json()).payload
    release = billing.booking_event(
        "booking.BookingHoldReleased",
        **billing.who(lea, wednesdays),
        basket_id=payload["basket_id"],
        dates=payload["dates"],
        reason="insufficient_balance",
    )
    await billing.deliver(release)
    await billing.deliver(release)
    assert await balance_of(billing, lea.household_id) == 2000
    kinds = await billing.pool.fetch("SELECT kind, amount_cents FROM wallet_movements ORDER BY seq")
    assert [(r["kind"], r["amount_cents"]) for r in kinds] == [
        ("staff", 2000),
        ("debit", -830),
        ("refund", 830),
    ]
    (invoice,) = await billing.invoices()
    assert invoice["remaining_cents"] == 0  # paid, then credited and refunded
    (note,) = (await billing.get(f"{T}/credit-notes"))["credit_notes"]
    assert note["reason"] == "Réservation libérée : solde de la tirelire insuffisant"
    assert note["available_cents"] == 0
