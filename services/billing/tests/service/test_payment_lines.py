"""Issue 12: a payment is spread over the invoice lines. Each euro paid is imputed to an
invoice line (a child's activity), in the lines' order, each up to what it still owes; a
reversal records the opposite amounts; the payment read shows the lines each allocation
paid, the accounting export shows the payments per invoice and activity."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from billing.settings import BillingSettings
from shared.testing.bus import eventually

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


@pytest.fixture
def billing_settings(make_settings: Any) -> BillingSettings:
    # A basket's two events (one per child and activity) land on one invoice.
    return make_settings(
        BillingSettings, basket_invoice_grace_seconds=2, basket_invoice_sweep_seconds=0.1
    )


def basket(billing, kid, activity, name: str, days: list[date], basket_id: uuid.UUID) -> Any:
    """A child's days of an activity in a basket, the activity named as booking names it."""
    return billing.booking_event(
        "booking.ReservationValidated",
        **{**billing.who(kid, activity), "activity_name": name},
        basket_id=basket_id,
        dates=[{"booking_id": uuid.uuid4(), "date": d, "late": False} for d in days],
        waiting_dates=[],
    )


async def pay(billing, regie, kid, **body: Any) -> Any:
    return await billing.call(
        "POST",
        f"{T}/payments",
        billing.staff(),
        {"regie_id": regie["id"], "household_id": str(kid.household_id), **body},
        201,
    )


def paid(payment: dict[str, Any]) -> list[Any]:
    return [
        (a["number"], a["amount_cents"], [(x["label"], x["amount_cents"]) for x in a["lines"]])
        for a in payment["allocations"]
    ]


async def test_a_payment_is_spread_over_the_invoice_lines(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie, accounting_code="7067-251")
    evening = await billing.activity(regie, name="Accueil du soir", accounting_code="7066-421")
    lea = await billing.kid(qf=900, birth_date=date(2015, 1, 1))
    tom = await billing.kid(lea.household_id, first_name="Tom", birth_date=date(2019, 1, 1))
    for count, days in enumerate((SEPT, [date(2026, 9, 10), date(2026, 9, 11)]), start=1):
        basket_id = uuid.uuid4()
        await billing.deliver(basket(billing, lea, canteen, "Cantine", days, basket_id))
        await billing.deliver(basket(billing, tom, evening, "Accueil du soir", days, basket_id))

        async def issued(count: int = count) -> Any:
            rows = await billing.invoices(household_id=lea.household_id)
            return rows if len(rows) >= count else None

        await eventually(issued)
    first, second = sorted(
        await billing.invoices(household_id=lea.household_id), key=lambda r: r["number"]
    )
    assert [(x["label"], x["amount_cents"]) for x in first["lines"]] == [
        ("Cantine — Léa", 1660),
        ("Accueil du soir — Tom", 1520),
    ]
    assert [(x["label"], x["amount_cents"]) for x in second["lines"]] == [
        ("Cantine — Léa", 830),
        ("Accueil du soir — Tom", 760),
    ]
    # A partial payment: the first invoice's lines in order, the second line partly.
    cash = await pay(billing, regie, lea, method="cash", amount_cents=2000)
    assert paid(cash) == [
        (first["number"], 2000, [("Cantine — Léa", 1660), ("Accueil du soir — Tom", 340)])
    ]
    # The rest: what the second line still owes, then the second invoice's lines.
    cheque = await pay(
        billing,
        regie,
        lea,
        method="cheque",
        amount_cents=2770,
        reference={"cheque_number": "0000042", "bank": "Crédit Agricole"},
    )
    assert paid(cheque) == [
        (first["number"], 1180, [("Accueil du soir — Tom", 1180)]),
        (second["number"], 1590, [("Cantine — Léa", 830), ("Accueil du soir — Tom", 760)]),
    ]
    (line, _) = (await billing.get(f"{T}/payments/{cheque['id']}"))["allocations"][1]["lines"]
    assert (line["child_id"], line["child_name"], line["activity_id"], line["activity_name"]) == (
        str(lea.child_id),
        "Léa",
        canteen["activity_id"],
        "Cantine",
    )
    first_line = await billing.pool.fetchval(
        "SELECT id FROM invoice_lines WHERE invoice_id = $1 AND position = 1",
        uuid.UUID(second["id"]),
    )
    assert (line["invoice_line_id"], line["position"]) == (str(first_line), 1)
    # The cheque bounces on 15 September: its lines owe again, and a new payment pays them.
    billing.at(billing.NOW.replace(day=15))
    await billing.call(
        "POST", f"{T}/payments/{cheque['id']}/reverse", billing.staff(), {"reason": "Impayé"}
    )
    again = await billing.get(f"{T}/payments/{cheque['id']}")
    assert again["status"] == "reversed" and paid(again) == paid(cheque)  # what it had paid
    later = await pay(billing, regie, lea, method="cash", amount_cents=1500)
    assert paid(later) == [
        (first["number"], 1180, [("Accueil du soir — Tom", 1180)]),
        (second["number"], 320, [("Cantine — Léa", 320)]),
    ]
    # Append-only: the cheque's amounts and their opposites; what each line has been paid.
    rows = await billing.pool.fetch(
        """SELECT p.number, pl.kind, pl.amount_cents, l.label, i.number AS invoice
           FROM payment_lines pl JOIN payments p ON p.id = pl.payment_id
           JOIN invoice_lines l ON l.id = pl.invoice_line_id
           JOIN invoices i ON i.id = pl.invoice_id
           WHERE p.id = $1 ORDER BY pl.seq""",
        uuid.UUID(cheque["id"]),
    )
    assert [(r["kind"], r["amount_cents"], r["invoice"], r["label"]) for r in rows] == [
        ("payment", 1180, first["number"], "Accueil du soir — Tom"),
        ("payment", 830, second["number"], "Cantine — Léa"),
        ("payment", 760, second["number"], "Accueil du soir — Tom"),
        ("reversal", -1180, first["number"], "Accueil du soir — Tom"),
        ("reversal", -830, second["number"], "Cantine — Léa"),
        ("reversal", -760, second["number"], "Accueil du soir — Tom"),
    ]
    net = await billing.pool.fetch(
        """SELECT i.number, l.position, coalesce(sum(pl.amount_cents), 0) AS paid
           FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
           LEFT JOIN payment_lines pl ON pl.invoice_line_id = l.id
           WHERE l.invoice_id = ANY($1::uuid[])
           GROUP BY i.number, l.position ORDER BY i.number, l.position""",
        [uuid.UUID(first["id"]), uuid.UUID(second["id"])],
    )
    assert [tuple(r) for r in net] == [
        (first["number"], 1, 1660),
        (first["number"], 2, 1520),
        (second["number"], 1, 320),
        (second["number"], 2, 0),
    ]
    remaining = [
        (await billing.get(f"{T}/invoices/{x['id']}"))["remaining_cents"] for x in (first, second)
    ]
    assert remaining == [0, 1270]
    with pytest.raises(Exception, match="append-only"):
        await billing.pool.execute("DELETE FROM payment_lines")
    # The accounting export: a payment's rows per invoice and activity, with its code.
    r = await billing.client.get(
        f"{T}/regies/{regie['id']}/exports/accounting.csv?from=2026-09-01&to=2026-09-30",
        headers=billing.staff(),
    )
    assert r.status == 200
    csv = [line.split(";") for line in (await r.read()).decode("utf-8-sig").split("\r\n")]
    body = [x for x in csv[1:] if x != [""]]
    payments = [
        (x[0], x[1], x[2], x[9], x[10], x[11], x[12], x[13])
        for x in body
        if x[0].startswith("Paiement")
    ]
    f1, f2, c, e = first["number"], second["number"], "Chèque", "Espèces"
    cantine, soir = ("7067-251", "Cantine"), ("7066-421", "Accueil du soir")
    assert payments == [
        ("Paiement", cash["number"], "01/09/2026", *cantine, "-16,60", f1, e),
        ("Paiement", cash["number"], "01/09/2026", *soir, "-3,40", f1, e),
        ("Paiement", cheque["number"], "01/09/2026", *soir, "-11,80", f1, c),
        ("Paiement", cheque["number"], "01/09/2026", *cantine, "-8,30", f2, c),
        ("Paiement", cheque["number"], "01/09/2026", *soir, "-7,60", f2, c),
        ("Paiement", later["number"], "15/09/2026", *soir, "-11,80", f1, e),
        ("Paiement", later["number"], "15/09/2026", *cantine, "-3,20", f2, e),
        ("Paiement annulé", cheque["number"], "15/09/2026", *soir, "11,80", f1, c),
        ("Paiement annulé", cheque["number"], "15/09/2026", *cantine, "8,30", f2, c),
        ("Paiement annulé", cheque["number"], "15/09/2026", *soir, "7,60", f2, c),
    ]
    # Per activity, what was invoiced less what was paid is what its lines still owe.
    owed: dict[str, int] = {}
    for x in body:
        owed[x[10]] = owed.get(x[10], 0) + int(x[11].replace(",", ""))
    assert owed == {"Cantine": 830 - 320, "Accueil du soir": 760}
