"""Printed documents: lines in a section per child, totals and what the payer reads; the
HTML escapes what staff and families typed; a PDF is made off the event loop."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

from billing import render
from billing.domain.french import decimal_text, french_date, period_text
from billing.domain.sheets import child_sections, credit_note_sheet, invoice_sheet

LEA, TOM = uuid.uuid4(), uuid.uuid4()


def line(label, child_id, amount, *, kind="charge", quantity="2", unit="meal", **extra):
    return {
        "kind": kind,
        "label": label,
        "detail": "QF 451 à 800",
        "child_id": child_id,
        "unit": unit,
        "unit_cents": amount // int(Decimal(quantity)) if kind == "charge" else amount,
        "quantity": Decimal(quantity),
        "amount_cents": amount,
        "period_from": date(2026, 9, 3),
        "period_to": date(2026, 9, 4),
        **extra,
    }


def invoice(**extra):
    return {
        "number": "F-CANTINE-2026-000017",
        "issue_date": date(2026, 10, 1),
        "due_date": date(2026, 10, 16),
        "origin": "campaign",
        "payer": {"name": "Claire Martin", "address": "3 rue des Lilas", "email": None},
        "regie": {
            "code": "CANTINE",
            "name": "Régie cantine",
            "address": "Mairie",
            "email": "r@example.org",
            "legal_mentions": "Payable au Trésor public.",
        },
        "total_cents": 1330,
        "credit_cents": 0,
        "paid_cents": 0,
        "remaining_cents": 1330,
        **extra,
    }


def test_lines_in_a_section_per_child_in_their_order():
    sections = child_sections(
        [
            line("Cantine — École du Centre — Léa", LEA, 830),
            line("Garderie — Léa", LEA, 250, quantity="2.5", unit="hour"),
            line("Cantine — Tom", TOM, 250, child_name="Tom", activity_name="Cantine"),
        ]
    )
    assert [s.name for s in sections] == ["Léa", "Tom"]
    first = sections[0]
    assert [x.activity for x in first.lines] == ["Cantine — École du Centre", "Garderie"]
    assert first.lines[1].quantity == "2,5 heures"
    assert first.lines[0].period == "du 03/09/2026 au 04/09/2026"
    assert first.subtotal_cents == 1080


def test_what_remains_to_pay_and_why():
    sheet = invoice_sheet(invoice(), [line("Cantine — Léa", LEA, 1330)])
    assert sheet["status"] == "Montant à régler au plus tard le 16 octobre 2026."
    assert sheet["origin"] == "Facturation mensuelle des prestations"
    credit = line("Avoir A-CANTINE-2026-000002 déduit", None, -1330, kind="credit")
    covered = invoice_sheet(invoice(credit_cents=1330, remaining_cents=0), [credit])
    assert covered["status"] == "Les avoirs déduits couvrent cette facture : rien à payer."
    assert covered["credits"][0]["amount_cents"] == -1330 and covered["sections"] == []
    paid = invoice_sheet(invoice(paid_cents=1330, remaining_cents=0), [])
    assert paid["status"] == "Facture acquittée : rien à payer."


def test_a_credit_note_tells_what_is_left_to_deduct():
    note = {
        "number": "A-CANTINE-2026-000002",
        "issue_date": date(2026, 9, 5),
        "reason": "Annulation par la famille",
        "payer": {"name": "Claire Martin", "address": None, "email": None},
        "regie": invoice()["regie"],
        "total_cents": 830,
        "available_cents": 0,
    }
    sheet = credit_note_sheet(note, [line("Cantine — Léa", LEA, 830)], [])
    assert sheet["status"] == "Cet avoir a été entièrement déduit."


def test_french_dates_and_quantities():
    assert french_date(date(2026, 9, 1)) == "1er septembre 2026"
    assert period_text(date(2026, 9, 3), date(2026, 9, 3)) == "le 03/09/2026"
    assert decimal_text(Decimal("3.00")) == "3" and decimal_text(Decimal("7.50")) == "7,5"


def test_what_people_typed_cannot_break_the_document():
    hostile = invoice(
        payer={"name": "<script>x</script>", "address": None, "email": None},
    )
    context = {
        **invoice_sheet(hostile, []),
        "logo": None,
        "footer": 'Régie "a" </style><h1>',
    }
    html = render.html("invoice.html.j2", context)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "</style><h1>" not in html
    assert render.css_string('a"b</style>') == '"a\\22 b\\3C /style\\3E "'


async def test_a_pdf_is_made_off_the_event_loop():
    renderer = render.PdfRenderer()
    context = {
        **invoice_sheet(invoice(), [line("Cantine — Léa", LEA, 1330)]),
        "logo": None,
        "footer": "F",
    }
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    try:
        pdf = await renderer.render("invoice.html.j2", context)
    finally:
        ticker.cancel()
        renderer.close()
    assert pdf.startswith(b"%PDF-")
    assert ticks > 5  # the loop kept running while the PDF was made
