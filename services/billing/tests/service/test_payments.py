"""Counter payments (staff): spread over the chosen invoices or the oldest unpaid first,
never beyond what each owes, the excess a credit deducted from the next invoice; receipts
numbered R-… gapless; reversal of a bounced cheque; concurrent payments never settle an
invoice twice; remittance slips (numbered B-…, CSV and PDF)."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pypdf
import pytest

from billing import store
from billing.usecases.payments import apply_payment_in
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL
from shared.uow import UnitOfWork

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]  # 4 × 4,15 € = 16,60 €
EVENTS = [
    "billing.InvoiceIssued",
    "billing.CreditNoteIssued",
    "billing.PaymentReceived",
    "billing.PaymentRefused",
]


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, EVENTS) as tap:
        yield tap


async def invoiced(billing, *batches: list[date], qf: int = 900):
    """A household with an invoice per batch of days (oldest first), issued."""
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=qf)
    for count, days in enumerate(batches, start=1):
        await billing.deliver(billing.validated(lea, canteen, *days))

        async def issued(count: int = count) -> Any:
            rows = await billing.invoices(household_id=lea.household_id)
            return rows if len(rows) >= count else None

        await eventually(issued)
    rows = await billing.invoices(household_id=lea.household_id)
    return regie, canteen, lea, sorted(rows, key=lambda r: r["number"])


async def pay(billing, regie, lea, status: int = 201, **body: Any) -> Any:
    return await billing.call(
        "POST",
        f"{T}/payments",
        billing.staff(),
        {"regie_id": regie["id"], "household_id": str(lea.household_id), **body},
        status,
    )


async def test_a_cash_payment_settles_the_oldest_first_and_keeps_the_excess(billing):
    regie, canteen, lea, (first, second) = await invoiced(billing, SEPT, [date(2026, 9, 10)])
    assert (first["remaining_cents"], second["remaining_cents"]) == (1660, 415)
    payment = await pay(billing, regie, lea, method="cash", amount_cents=2500)
    assert payment["number"] == "R-CANTINE-2026-000001"
    assert (payment["amount_cents"], payment["credit_cents"]) == (2500, 425)
    assert payment["credit_available_cents"] == 425
    assert payment["received_on"] == "2026-09-01"
    assert [(a["number"], a["amount_cents"]) for a in payment["allocations"]] == [
        (first["number"], 1660),
        (second["number"], 415),
    ]
    # The invoices read as paid; the receipt's event says what each still owes.
    for invoice in await billing.invoices(household_id=lea.household_id):
        assert invoice["remaining_cents"] == 0
        assert invoice["paid_cents"] == invoice["total_cents"]
        assert invoice["payment_status"] == "paid"
    assert await billing.invoices(household_id=lea.household_id, status="current") == []
    (event,) = await billing.events("billing.PaymentReceived")
    body = event["payload"]
    assert (body["number"], body["method"], body["amount_cents"], body["credit_cents"]) == (
        "R-CANTINE-2026-000001",
        "cash",
        2500,
        425,
    )
    assert [
        (a["invoice_number"], a["amount_cents"], a["remaining_cents"]) for a in body["allocations"]
    ] == [(first["number"], 1660, 0), (second["number"], 415, 0)]
    assert body["regie_name"] == regie["name"] and body["payer_account_id"] is None
    # The balance is the town's debt: −4,25 €.
    family = billing.family(lea.household_id)
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert (account["balance_cents"], account["credit_cents"]) == (-425, 425)
    # The excess is deducted from the next invoice, as a credit note would be.
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 11), date(2026, 9, 14)))

    async def third() -> Any:
        rows = await billing.invoices(household_id=lea.household_id, status="current")
        return rows[0] if rows else None

    invoice = await eventually(third)
    assert (invoice["total_cents"], invoice["credit_cents"], invoice["remaining_cents"]) == (
        830,
        425,
        405,
    )
    assert invoice["lines"][-1]["label"] == "Trop-perçu du paiement R-CANTINE-2026-000001 déduit"
    assert invoice["lines"][-1]["credit_note_id"] is None
    again = await billing.get(f"{T}/payments/{payment['id']}")
    assert again["credit_available_cents"] == 0
    issued = await billing.events("billing.InvoiceIssued", 3)
    assert issued[-1]["payload"]["amount_due_cents"] == 405


async def test_a_payment_settles_the_chosen_invoices_in_order_never_beyond_them(billing):
    regie, _, lea, (first, second) = await invoiced(billing, SEPT, [date(2026, 9, 10)])
    payment = await pay(
        billing,
        regie,
        lea,
        method="cheque",
        amount_cents=1000,
        invoice_ids=[second["id"]],
        reference={"cheque_number": "1234567", "bank": "La Banque Postale"},
    )
    assert [(a["invoice_id"], a["amount_cents"]) for a in payment["allocations"]] == [
        (second["id"], 415)
    ]
    assert payment["credit_cents"] == 585
    assert payment["reference"] == {"cheque_number": "1234567", "bank": "La Banque Postale"}
    first = await billing.get(f"{T}/invoices/{first['id']}")
    assert first["remaining_cents"] == 1660  # not chosen: untouched, the excess is a credit
    # Partial payment of the oldest.
    partial = await pay(
        billing, regie, lea, method="cesu", amount_cents=600, reference={"title_count": 4}
    )
    assert partial["number"] == "R-CANTINE-2026-000002"
    assert [(a["invoice_id"], a["amount_cents"]) for a in partial["allocations"]] == [
        (first["id"], 600)
    ]
    first = await billing.get(f"{T}/invoices/{first['id']}")
    assert (first["remaining_cents"], first["paid_cents"]) == (1060, 600)
    assert first["payment_status"] == "partially_paid"
    # Payments listed, newest first, filtered by invoice and method.
    listed = (await billing.get(f"{T}/payments?invoice_id={first['id']}"))["payments"]
    assert [p["number"] for p in listed] == ["R-CANTINE-2026-000002"]
    cheques = (await billing.get(f"{T}/payments?method=cheque"))["payments"]
    assert [p["number"] for p in cheques] == ["R-CANTINE-2026-000001"]


async def test_bad_counter_payments_are_refused_naming_the_field(billing):
    regie, _, lea, (invoice,) = await invoiced(billing, SEPT)
    problem = await pay(
        billing, regie, lea, 422, method="cheque", amount_cents=100, reference={"bank": "LBP"}
    )
    assert problem["field"] == "cheque_number"
    assert "numéro du chèque" in problem["detail"]
    problem = await pay(billing, regie, lea, 422, method="cash", amount_cents=0)
    assert problem["errors"][0]["field"] == "amount_cents"
    problem = await pay(billing, regie, lea, 422, method="card", amount_cents=100)
    assert problem["errors"][0]["field"] == "method"
    problem = await pay(
        billing, regie, lea, 422, method="cash", amount_cents=100, reference={"bank": "LBP"}
    )
    assert problem["field"] == "bank"
    await pay(
        billing, regie, lea, 404, method="cash", amount_cents=100, invoice_ids=[str(uuid.uuid4())]
    )
    other = await billing.regie(code="PERI", name="Régie périscolaire")
    await pay(
        billing, other, lea, 422, method="cash", amount_cents=100, invoice_ids=[invoice["id"]]
    )
    await billing.call(
        "POST",
        f"{T}/payments",
        billing.staff(),
        {
            "regie_id": regie["id"],
            "household_id": str(uuid.uuid4()),
            "method": "cash",
            "amount_cents": 100,
        },
        404,
    )
    family = billing.family(lea.household_id)
    await billing.call(
        "POST",
        f"{T}/payments",
        family,
        {
            "regie_id": regie["id"],
            "household_id": str(lea.household_id),
            "method": "cash",
            "amount_cents": 100,
        },
        403,
    )
    # Nothing was written by any of them.
    assert await billing.pool.fetchval("SELECT count(*) FROM payments") == 0
    assert await billing.pool.fetchval("SELECT count(*) FROM ledger WHERE kind = 'payment'") == 0
    assert await billing.pool.fetchval("SELECT count(*) FROM counters WHERE kind = 'payment'") == 0


async def test_a_bounced_cheque_is_reversed_once(billing):
    regie, canteen, lea, (invoice,) = await invoiced(billing, SEPT)
    payment = await pay(
        billing,
        regie,
        lea,
        method="cheque",
        amount_cents=2000,
        reference={"cheque_number": "0000042", "bank": "Crédit Agricole"},
    )
    assert payment["credit_cents"] == 340
    # Part of its excess is deducted from a later invoice before the cheque bounces.
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))

    async def later() -> Any:
        rows = await billing.invoices(household_id=lea.household_id)
        return [r for r in rows if r["id"] != invoice["id"]] or None

    (second,) = await eventually(later)
    assert (second["credit_cents"], second["remaining_cents"]) == (340, 75)
    path = f"{T}/payments/{payment['id']}/reverse"
    reversed_ = await billing.call(
        "POST", path, billing.staff(), {"reason": "Chèque impayé : sans provision"}
    )
    assert reversed_["status"] == "reversed"
    assert reversed_["reversal_reason"] == "Chèque impayé : sans provision"
    assert reversed_["credit_available_cents"] == 0
    first = await billing.get(f"{T}/invoices/{invoice['id']}")
    assert (first["remaining_cents"], first["paid_cents"]) == (1660, 0)
    second = await billing.get(f"{T}/invoices/{second['id']}")
    assert second["remaining_cents"] == 415  # what the bounced excess paid is owed again
    problem = await billing.call("POST", path, billing.staff(), {"reason": "encore"}, 409)
    assert problem["detail"] == "Ce paiement a déjà été annulé."
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account")
    assert account["balance_cents"] == 1660 + 415
    # The ledger only grew: the payment's entries, then their opposites.
    kinds = await billing.pool.fetch(
        "SELECT kind, amount_cents FROM ledger WHERE related_id = $1 ORDER BY seq",
        uuid.UUID(payment["id"]),
    )
    assert [(r["kind"], r["amount_cents"]) for r in kinds] == [
        ("payment", -1660),
        ("payment", -340),
        ("allocation", 340),
        ("payment", 1660),
        ("payment", 340),
        ("allocation", -340),
    ]
    await billing.call("POST", path, billing.family(lea.household_id), {"reason": "x"}, 403)
    await billing.call(
        "POST", f"{T}/payments/{uuid.uuid4()}/reverse", billing.staff(), {"reason": "x"}, 404
    )


async def test_concurrent_payments_never_settle_an_invoice_beyond_its_total(billing):
    regie, _, lea, (invoice,) = await invoiced(billing, SEPT)
    invoice_id = uuid.UUID(invoice["id"])

    async def one() -> dict[str, Any]:
        uow = UnitOfWork.on(billing.pool, producer="billing", tenant=billing.TENANT)
        async with uow:
            return await apply_payment_in(
                uow,
                billing.TENANT,
                regie_id=uuid.UUID(regie["id"]),
                payer_id=lea.household_id,
                household_id=lea.household_id,
                method="cash",
                amount_cents=500,
                received_on=date(2026, 9, 1),
                invoice_ids=[invoice_id],
                reference={},
                recorded_by=None,
                now=billing.NOW,
            )

    results = await asyncio.gather(*(one() for _ in range(8)))
    settled = sorted(sum(a["amount_cents"] for a in r["allocations"]) for r in results)
    assert sum(settled) == 1660
    assert settled == [0, 0, 0, 0, 160, 500, 500, 500]
    assert sum(r["credit_cents"] for r in results) == 8 * 500 - 1660
    row = await store.get_invoice(billing.pool, billing.TENANT, invoice_id)
    assert (row["remaining_cents"], row["paid_cents"]) == (0, 1660)
    numbers = sorted(r["number"] for r in results)
    assert numbers == [f"R-CANTINE-2026-{n:06d}" for n in range(1, 9)]


async def test_a_family_reads_its_own_payments_only(billing):
    regie, _, lea, _ = await invoiced(billing, SEPT)
    payment = await pay(
        billing,
        regie,
        lea,
        method="transfer",
        amount_cents=1660,
        reference={"transfer_reference": "VIR 2026/09"},
    )
    family = billing.family(lea.household_id)
    mine = (await billing.get(f"{T}/payments", family))["payments"]
    assert [p["id"] for p in mine] == [payment["id"]]
    assert (await billing.get(f"{T}/payments/{payment['id']}", family))["status"] == "recorded"
    stranger = billing.family(uuid.uuid4())
    assert (await billing.get(f"{T}/payments", stranger))["payments"] == []
    await billing.get(f"{T}/payments/{payment['id']}", stranger, status=404)
    # The family downloads its receipt.
    r = await billing.client.get(f"{T}/payments/{payment['id']}/pdf", headers=family)
    assert r.status == 200 and r.content_type == "application/pdf"
    assert (await r.read()).startswith(b"%PDF")


async def test_remittance_slips_gather_cheques_once(billing):
    regie, _, lea, _ = await invoiced(billing, SEPT)
    cheques = []
    for n, bank in enumerate(["La Banque Postale", "Crédit Mutuel"], start=1):
        cheques.append(
            await pay(
                billing,
                regie,
                lea,
                method="cheque",
                amount_cents=500 * n,
                reference={"cheque_number": f"000{n}", "bank": bank, "drawer": "M. Durand"},
            )
        )
    await pay(billing, regie, lea, method="cash", amount_cents=300)
    slip = await billing.call(
        "POST",
        f"{T}/remittances",
        billing.staff(),
        {"regie_id": regie["id"], "method": "cheque"},
        201,
    )
    assert slip["number"] == "B-CANTINE-2026-000001"
    assert (slip["method"], slip["payment_count"], slip["total_cents"]) == ("cheque", 2, 1500)
    assert [p["number"] for p in slip["payments"]] == [c["number"] for c in cheques]
    # Remitted once: a second slip has nothing to take.
    problem = await billing.call(
        "POST",
        f"{T}/remittances",
        billing.staff(),
        {"regie_id": regie["id"], "method": "cheque"},
        409,
    )
    assert problem["title"] == "Nothing to remit"
    payment = await billing.get(f"{T}/payments/{cheques[0]['id']}")
    assert (payment["remittance_id"], payment["remittance_number"]) == (
        slip["id"],
        "B-CANTINE-2026-000001",
    )
    waiting = (await billing.get(f"{T}/payments?remitted=false"))["payments"]
    assert [p["method"] for p in waiting] == ["cash"]
    listed = (await billing.get(f"{T}/remittances?regie_id={regie['id']}"))["remittances"]
    assert [s["number"] for s in listed] == ["B-CANTINE-2026-000001"]
    r = await billing.client.get(f"{T}/remittances/{slip['id']}/csv", headers=billing.staff())
    assert r.status == 200
    text = (await r.read()).decode("utf-8")
    assert text.startswith("\ufeffBordereau;Reçu;Date de réception;")
    rows = text.strip().split("\r\n")
    assert rows[1].split(";")[1:3] == ["R-CANTINE-2026-000001", "01/09/2026"]
    assert ";Chèque;n° 0001 — La Banque Postale — tireur : M. Durand;" in rows[1]
    assert rows[1].endswith(";5,00") and rows[-1] == "Total;;;;;;;;15,00"
    r = await billing.client.get(f"{T}/remittances/{slip['id']}/pdf", headers=billing.staff())
    assert r.status == 200 and (await r.read()).startswith(b"%PDF")
    # Chosen payments: another method's, or one remitted already, is refused.
    await billing.call(
        "POST",
        f"{T}/remittances",
        billing.staff(),
        {"regie_id": regie["id"], "method": "cash", "payment_ids": [cheques[1]["id"]]},
        409,
    )
    await billing.get(f"{T}/remittances", billing.family(lea.household_id), status=403)
    await billing.get(f"{T}/remittances/{uuid.uuid4()}", status=404)


async def test_the_accounting_export_and_the_certificate_show_payments(billing):
    regie, canteen, lea, (first,) = await invoiced(billing, SEPT)
    cheque = await pay(
        billing,
        regie,
        lea,
        method="cheque",
        amount_cents=2000,
        reference={"cheque_number": "0000042", "bank": "Crédit Agricole"},
    )
    await pay(billing, regie, lea, method="cash", amount_cents=100)
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))

    async def second() -> Any:
        rows = await billing.invoices(household_id=lea.household_id)
        return [r for r in rows if r["id"] != first["id"]] or None

    (later,) = await eventually(second)
    # The cheque bounces on 15 September.
    billing.at(billing.NOW.replace(day=15))
    await billing.call(
        "POST",
        f"{T}/payments/{cheque['id']}/reverse",
        billing.staff(),
        {"reason": "Chèque impayé"},
    )
    r = await billing.client.get(
        f"{T}/regies/{regie['id']}/exports/accounting.csv?from=2026-09-01&to=2026-09-30",
        headers=billing.staff(),
    )
    assert r.status == 200
    rows = [line.split(";") for line in (await r.read()).decode("utf-8-sig").split("\r\n")]
    assert rows[0][-2:] == ["Document lié", "Mode de paiement"]
    summary = [(x[0], x[1], x[2], x[11], x[12], x[13]) for x in rows[1:] if x != [""]]
    assert summary == [
        ("Facture", first["number"], "01/09/2026", "16,60", "", ""),
        ("Facture", later["number"], "01/09/2026", "4,15", "", ""),
        # Both excesses, oldest first, deducted from the later invoice.
        ("Trop-perçu déduit", later["number"], "01/09/2026", "-3,40", cheque["number"], "Chèque"),
        (
            "Trop-perçu déduit",
            later["number"],
            "01/09/2026",
            "-0,75",
            "R-CANTINE-2026-000002",
            "Espèces",
        ),
        ("Paiement", cheque["number"], "01/09/2026", "-16,60", first["number"], "Chèque"),
        ("Paiement", cheque["number"], "01/09/2026", "-3,40", "", "Chèque"),
        ("Paiement", "R-CANTINE-2026-000002", "01/09/2026", "-1,00", "", "Espèces"),
        ("Trop-perçu réintégré", later["number"], "15/09/2026", "3,40", cheque["number"], "Chèque"),
        ("Paiement annulé", cheque["number"], "15/09/2026", "16,60", first["number"], "Chèque"),
        ("Paiement annulé", cheque["number"], "15/09/2026", "3,40", "", "Chèque"),
    ]
    # A payment's rows are per invoice and activity (what it paid of the invoice's lines of
    # that activity), naming it; its excess names none.
    assert [(x[0], x[9], x[10], x[12]) for x in rows[1:] if x[0].startswith("Paiement")] == [
        ("Paiement", "", "Cantine", first["number"]),
        ("Paiement", "", "", ""),
        ("Paiement", "", "", ""),
        ("Paiement annulé", "", "Cantine", first["number"]),
        ("Paiement annulé", "", "", ""),
    ]
    # The invoices less what settled them (the rows naming an invoice or deducted from one;
    # an excess alone is the payer's credit) is what remains due.
    settled = sum(
        int(x[11].replace(",", ""))
        for x in rows[1:]
        if x != [""]
        and (x[0] == "Facture" or x[0].startswith("Trop-perçu") or x[12].startswith("F-"))
    )
    remaining = 0
    for invoice in (first, later):
        remaining += (await billing.get(f"{T}/invoices/{invoice['id']}"))["remaining_cents"]
    assert settled == remaining == 1660 + 340
    # The payment certificate lists the payments received, not the bounced one.
    r = await billing.client.get(
        f"{T}/billing/households/{lea.household_id}/certificates/payments"
        "?from=2026-09-01&to=2026-09-30",
        headers=billing.family(lea.household_id),
    )
    assert r.status == 200, await r.text()
    (page,) = [
        " ".join(p.extract_text().replace("\u202f", " ").split())
        for p in pypdf.PdfReader(io.BytesIO(await r.read())).pages
    ]
    assert "Paiements reçus du 1er septembre 2026 au 30 septembre 2026" in page
    assert "R-CANTINE-2026-000002 1er septembre 2026 Espèces 1,00 €" in page
    assert cheque["number"] not in page
    assert "Total des paiements reçus 1,00 €" in page
