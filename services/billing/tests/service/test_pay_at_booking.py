"""Days paid at booking [002], through the bus against the real Postgres and RabbitMQ: they
are invoiced at once (no grace), due on the day the hold ends; when booking releases them
(booking.BookingHoldReleased) what was invoiced is credited, and the credit settles the
unpaid invoice, so that a payment arriving after the release is not lost but stays the
payer's credit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from billing.dummy_page import page_answer
from billing.settings import BillingSettings
from shared.events.envelope import parse_event
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

T = "/tenants/epagny"
PUBLIC = "http://billing.test/api/billing"
JULY = [date(2026, 7, d) for d in (6, 7, 8)]
# The hold ends at 00:30 on 2 September in Paris (22:30 UTC the day before).
DUE_AT = datetime(2026, 9, 1, 22, 30, tzinfo=UTC)


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    # A long grace: what is invoiced at once shows it did not wait for it.
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=60,
        basket_invoice_sweep_seconds=0.1,
        public_url=PUBLIC,
        portal_url="https://portail.epagny.test",
    )


@pytest.fixture
async def payment_tap(bus_namespace: Any) -> Any:
    events = ["billing.PaymentReceived", "billing.ActivityPaymentSet"]
    async with EventTap(AMQP_URL, bus_namespace.name, events) as tap:
        yield tap


def at_booking(billing, kid, activity, *days, basket_id=None, due_at=DUE_AT):
    return billing.booking_event(
        "booking.ReservationValidated",
        **billing.who(kid, activity),
        basket_id=basket_id or uuid.uuid4(),
        dates=[{"booking_id": uuid.uuid4(), "date": d, "late": False} for d in days],
        waiting_dates=[],
        payment="at_booking",
        payment_due_at=due_at,
    )


def released(billing, kid, activity, event, reason="payment_expired", dates=None):
    payload = parse_event(event.to_json()).payload
    return billing.booking_event(
        "booking.BookingHoldReleased",
        **billing.who(kid, activity),
        basket_id=payload["basket_id"],
        dates=dates if dates is not None else payload["dates"],
        reason=reason,
    )


async def camp_setting(billing):
    regie = await billing.regie()
    camp = await billing.activity(
        regie,
        name="Centre de loisirs",
        payment="at_booking",
        hold_minutes=30,
        grid={"valid_from": "2026-01-01", "brackets": billing.BRACKETS},
    )
    lea = await billing.kid(qf=900)
    return regie, camp, lea


async def test_held_days_are_invoiced_at_once_due_when_the_hold_ends(billing):
    _, camp, lea = await camp_setting(billing)
    basket = uuid.uuid4()
    await billing.deliver(at_booking(billing, lea, camp, *JULY, basket_id=basket))
    (invoice,) = await billing.invoices()
    assert invoice["status"] == "issued" and invoice["basket_id"] == str(basket)
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-09-01", "2026-09-02")
    assert (invoice["total_cents"], invoice["remaining_cents"]) == (1245, 1245)
    (issued,) = await billing.events("billing.InvoiceIssued")
    assert issued["payload"]["due_date"] == "2026-09-02"
    assert issued["payload"]["basket_id"] == str(basket)
    # Days invoiced otherwise still wait for the basket's grace (60 s here).
    canteen = await billing.activity(await billing.regie(code="CANT2"), name="Cantine")
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 3)))
    assert len(await billing.invoices()) == 1
    assert await billing.pool.fetchval("SELECT count(*) FROM invoices WHERE status = 'draft'") == 1


async def test_a_release_credits_the_invoice_once(billing):
    _, camp, lea = await camp_setting(billing)
    event = at_booking(billing, lea, camp, *JULY)
    await billing.deliver(event)
    (invoice,) = await billing.invoices()
    release = released(billing, lea, camp, event)
    await billing.deliver(release)
    (note_event,) = await billing.events("billing.CreditNoteIssued")
    assert note_event["payload"]["total_cents"] == 1245
    assert note_event["payload"]["invoice_ids"] == [invoice["id"]]
    assert note_event["payload"]["reason"] == (
        "Réservation libérée : paiement non reçu dans le délai"
    )
    # The credit settles the released invoice: nothing left to pay or to remind, no credit
    # left over to deduct from the next invoice.
    (invoice,) = await billing.invoices()
    assert invoice["remaining_cents"] == 0
    (note,) = (await billing.get(f"{T}/credit-notes"))["credit_notes"]
    assert note["available_cents"] == 0
    note = await billing.get(f"{T}/credit-notes/{note['id']}")
    assert [a["invoice_id"] for a in note["allocations"]] == [invoice["id"]]
    family = billing.family(lea.household_id)
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert account["balance_cents"] == 0
    # Redelivered, replayed: nothing more.
    await billing.deliver(release)
    await billing.deliver(
        billing.booking_event(
            "booking.BookingHoldReleased", **parse_event(release.to_json()).payload
        )
    )
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 1
    statuses = await billing.pool.fetch("SELECT DISTINCT status FROM bookings")
    assert [r["status"] for r in statuses] == ["cancelled"]


async def test_a_release_of_days_never_invoiced_changes_nothing(billing):
    _, camp, lea = await camp_setting(billing)
    event = at_booking(billing, lea, camp, *JULY)
    # Released before billing saw them (events out of order), then validated late.
    await billing.deliver(released(billing, lea, camp, event, reason="payment_refused"))
    await billing.deliver(event)
    assert await billing.pool.fetchval("SELECT count(*) FROM invoices") == 0
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 0
    # A wallet's refusal released: billing had invoiced nothing.
    await billing.deliver(
        released(billing, lea, camp, at_booking(billing, lea, camp, JULY[0]), "wallet_inactive")
    )
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 0


async def test_part_of_the_days_released(billing):
    _, camp, lea = await camp_setting(billing)
    event = at_booking(billing, lea, camp, *JULY)
    await billing.deliver(event)
    await billing.deliver(released(billing, lea, camp, event, dates=billing.booked(event)[:1]))
    (invoice,) = await billing.invoices()
    assert (invoice["total_cents"], invoice["remaining_cents"]) == (1245, 830)


async def test_a_card_payment_after_the_release_is_the_payers_credit(billing, payment_tap):
    """The family started paying by card; booking released the days before the bank's
    answer came: the money is kept as the payer's credit (PaymentReceived settling nothing,
    credit_cents), deducted from its next invoice, never lost."""
    regie, camp, lea = await camp_setting(billing)
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    event = at_booking(billing, lea, camp, *JULY)
    await billing.deliver(event)
    (invoice,) = await billing.invoices()
    family = billing.family(lea.household_id)
    started = await billing.call(
        "POST",
        f"{T}/card-payments",
        family,
        {"invoice_ids": [invoice["id"]], "email": "claire@example.fr"},
        201,
    )
    await billing.deliver(released(billing, lea, camp, event))
    # Released: nothing left to start paying.
    await billing.call(
        "POST",
        f"{T}/card-payments",
        family,
        {"invoice_ids": [invoice["id"]], "email": "claire@example.fr"},
        409,
    )
    answer = page_answer(started["payment_url"], paid=True)
    r = await billing.client.post(
        answer.notification_url[len(PUBLIC) :],
        data=answer.body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status == 200, await r.text()
    (received,) = await payment_tap.wait_for(1, event_type="billing.PaymentReceived")
    assert (received["payload"]["method"], received["payload"]["amount_cents"]) == ("card", 1245)
    assert received["payload"]["allocations"] == []  # booking confirms nothing with it
    assert received["payload"]["credit_cents"] == 1245
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert account["balance_cents"] == -1245  # the town owes the family: nothing lost
    # The next basket's invoice deducts that credit.
    await billing.deliver(at_booking(billing, lea, camp, date(2026, 7, 15)))

    async def second():
        rows = await billing.invoices()
        return rows if len(rows) == 2 else None

    newest = (await eventually(second))[0]
    assert (newest["total_cents"], newest["credit_cents"], newest["remaining_cents"]) == (
        415,
        415,
        0,
    )
