"""Prepaid activities through the bus: one invoice per validated basket, numbered at once;
nothing billed twice; a cancellation before the deadline gives a credit note deducted from
the next invoice; the ledger gives the balance."""

from __future__ import annotations

import uuid
from datetime import date

from shared.events.envelope import parse_event
from shared.testing.bus import eventually

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


async def issued(billing, count: int = 1, **query):
    async def found():
        rows = await billing.invoices(**query)
        return rows if len(rows) >= count else None

    return await eventually(found)


async def test_a_validated_basket_is_one_invoice_issued_at_once(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900, birth_date=date(2015, 1, 1))
    tom = await billing.kid(lea.household_id, first_name="Tom", birth_date=date(2019, 1, 1))
    basket = uuid.uuid4()
    # booking announces one event per child and activity of the basket.
    await billing.publish(billing.validated(lea, canteen, *SEPT, basket_id=basket))
    await billing.publish(
        billing.validated(tom, canteen, *SEPT[:2], basket_id=basket, late=(SEPT[1],))
    )
    (invoice,) = await issued(billing)
    assert invoice["number"] == "F-CANTINE-2026-000001"
    assert (invoice["origin"], invoice["basket_id"]) == ("basket", str(basket))
    assert (invoice["issue_date"], invoice["due_date"]) == ("2026-09-01", "2026-09-01")
    assert [
        (x["label"], x["quantity"], x["unit_cents"], x["amount_cents"]) for x in invoice["lines"]
    ] == [
        ("Cantine — Léa", "4.00", 415, 1660),
        ("Cantine — Tom", "2.00", 380, 760),
    ]
    assert invoice["lines"][0]["detail"] == "QF ≥ 801, enfant de rang 1"
    assert (invoice["total_cents"], invoice["remaining_cents"]) == (2420, 2420)
    assert invoice["payer"] == {
        "name": "Claire Martin et Simon Martin",
        "address": None,
        "email": None,
    }
    assert invoice["regie"]["legal_mentions"].startswith("Payable au Trésor public")
    (event,) = await billing.events("billing.InvoiceIssued")
    payload = event["payload"]
    assert payload["invoice_id"] == invoice["id"] and payload["amount_due_cents"] == 2420
    assert payload["household_id"] == str(lea.household_id) and payload["due_date"] == "2026-09-01"


async def test_nothing_is_billed_twice(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=300)
    event = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(event)
    (invoice,) = await issued(billing)
    # The same event delivered again (the inbox), and replayed under a new id (the charges).
    await billing.publish(event)
    payload = parse_event(event.to_json()).payload
    replay = billing.booking_event("booking.ReservationValidated", **payload)
    await billing.deliver(replay)
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))
    invoices = await issued(billing, 2)
    assert [x["total_cents"] for x in invoices] == [120, 480]
    assert await billing.pool.fetchval("SELECT count(*) FROM charges") == 5
    assert invoice["id"] in {x["id"] for x in invoices}


async def test_cancelling_before_the_deadline_credits_the_next_invoice(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    family = billing.family(lea.household_id)
    validated = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(validated)
    (first,) = await issued(billing)
    cancelled_days = billing.booked(validated)[2:]
    await billing.deliver(billing.cancelled(lea, canteen, cancelled_days, charged=False))
    (event,) = await billing.events("billing.CreditNoteIssued")
    assert event["payload"]["number"] == "A-CANTINE-2026-000001"
    assert event["payload"]["total_cents"] == 830
    assert event["payload"]["invoice_ids"] == [first["id"]]
    notes = (await billing.get(f"{T}/credit-notes", family))["credit_notes"]
    (note,) = notes
    assert (note["total_cents"], note["available_cents"]) == (830, 830)
    assert note["lines"][0]["detail"] == "Annulation de 2 repas (QF ≥ 801, enfant de rang 1)"
    # Cancelled again (redelivered or replayed): no second credit.
    replay = billing.cancelled(lea, canteen, cancelled_days, charged=False)
    await billing.deliver(replay)
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 1
    # The next basket's invoice deducts the credit, shown as a line.
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))
    invoices = await issued(billing, 2)
    second = next(x for x in invoices if x["id"] != first["id"])
    assert second["number"] == "F-CANTINE-2026-000002"
    assert [(x["kind"], x["amount_cents"]) for x in second["lines"]] == [
        ("charge", 415),
        ("credit", -415),
    ]
    assert second["lines"][1]["label"] == "Avoir A-CANTINE-2026-000001 déduit"
    assert (second["total_cents"], second["credit_cents"], second["remaining_cents"]) == (
        415,
        415,
        0,
    )
    second_event = (await billing.events("billing.InvoiceIssued", 2))[1]
    assert second_event["payload"]["amount_due_cents"] == 0
    note = await billing.get(f"{T}/credit-notes/{note['id']}", family)
    assert note["available_cents"] == 415
    assert [a["number"] for a in note["allocations"]] == ["F-CANTINE-2026-000002"]
    # Current and archived invoices; the account derived from the ledger.
    assert [x["number"] for x in await billing.invoices(family, status="archived")] == [
        "F-CANTINE-2026-000002"
    ]
    assert [x["number"] for x in await billing.invoices(family, status="current")] == [
        "F-CANTINE-2026-000001"
    ]
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert account["balance_cents"] == 1660 - 830 + 415
    assert [e["kind"] for e in account["entries"]] == [
        "invoice",
        "credit_note",
        "invoice",
        "allocation",
    ]


async def test_a_charged_cancellation_gives_no_credit(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    validated = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(validated)
    await issued(billing)
    late = billing.cancelled(lea, canteen, billing.booked(validated)[:1], charged=True)
    await billing.deliver(late)
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 0
    status = await billing.pool.fetchval(
        "SELECT status FROM bookings WHERE booking_id = $1",
        billing.booked(validated)[0]["booking_id"],
    )
    assert status == "cancelled"


async def test_a_day_cancelled_within_the_grace_leaves_the_draft(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    validated = billing.validated(lea, canteen, *SEPT)
    cancel = billing.cancelled(lea, canteen, billing.booked(validated)[:1], charged=False)
    await billing.publish(validated)
    await billing.publish(cancel)
    (invoice,) = await issued(billing)
    assert invoice["total_cents"] == 3 * 415
    assert await billing.pool.fetchval("SELECT count(*) FROM credit_notes") == 0


async def test_promotions_postpaid_and_unpriced_days(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    evening = await billing.activity(regie, mode="postpaid", name="Accueil du soir")
    lea = await billing.kid(qf=900)
    await billing.deliver(
        billing.booking_event(
            "booking.WaitingListPromoted",
            **billing.who(lea, canteen),
            booking_id=uuid.uuid4(),
            date=date(2026, 9, 14),
            late=False,
        )
    )
    (invoice,) = await issued(billing)
    assert invoice["total_cents"] == 415 and invoice["basket_id"] is None
    # Postpaid days wait for their campaign; a day no grid covers is not invoiced.
    await billing.deliver(billing.validated(lea, evening, *SEPT))
    await billing.deliver(billing.validated(lea, canteen, date(2026, 8, 31)))
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 15)))
    invoices = await issued(billing, 2)
    assert sorted(x["total_cents"] for x in invoices) == [415, 415]
    assert await billing.pool.fetchval("SELECT count(*) FROM bookings") == 7


async def test_a_cancellation_arriving_before_its_booking_is_not_charged(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    validated = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(billing.cancelled(lea, canteen, billing.booked(validated)[:1], False))
    await billing.deliver(validated)
    (invoice,) = await issued(billing)
    assert invoice["total_cents"] == 3 * 415
