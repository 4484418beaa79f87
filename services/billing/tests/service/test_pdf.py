"""Documents as PDF: an invoice (régie, payer, lines per child, total, credit deducted,
already paid, remaining, due date, legal mentions, logo) and a credit note, downloaded by
the family (its own only) and by staff."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pypdf
from PIL import Image

from shared.testing.bus import eventually

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


def png(width: int = 120, height: int = 40) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 160)).save(out, "PNG")
    return out.getvalue()


async def pdf(billing, path, headers=None, status=200):
    r = await billing.client.get(path, headers=headers or billing.staff())
    assert r.status == status, await r.text()
    if status != 200:
        return None
    assert r.content_type == "application/pdf"
    body = await r.read()
    assert body.startswith(b"%PDF-")
    return r, pypdf.PdfReader(io.BytesIO(body))


def text(reader) -> str:
    # Normalise the spaces a French amount holds (narrow no-break space in thousands).
    raw = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(raw.replace("\u202f", " ").replace("\xa0", " ").split())


async def issued(billing, count):
    async def found():
        rows = await billing.invoices()
        return rows if len(rows) >= count else None

    return await eventually(found)


async def test_an_invoice_and_a_credit_note_as_pdf(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900, birth_date=date(2015, 1, 1))
    tom = await billing.kid(lea.household_id, first_name="Tom", birth_date=date(2019, 1, 1))
    await billing.call(
        "PUT",
        f"{T}/billing/households/{lea.household_id}/profile",
        billing.staff(),
        {
            "resident": True,
            "payer_name": "Claire Martin",
            "payer_address": "12 rue des Tilleuls\n74330 Epagny Metz-Tessy",
            "payer_email": "claire@example.org",
        },
    )
    family = billing.family(lea.household_id)
    basket = uuid.uuid4()
    first = billing.validated(lea, canteen, *SEPT, basket_id=basket)
    await billing.publish(first)
    await billing.publish(billing.validated(tom, canteen, *SEPT[:2], basket_id=basket))
    (invoice,) = await issued(billing, 1)
    r, reader = await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf", family)
    assert "F-CANTINE-2026-000001.pdf" in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "no-store"
    page = text(reader)
    for expected in (
        "Régie restauration scolaire",
        "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
        "Claire Martin",
        "12 rue des Tilleuls",
        "Facture n° F-CANTINE-2026-000001",
        "Date d'émission 1er septembre 2026",
        "Date limite de paiement 1er septembre 2026",
        "Léa",
        "Tom",
        "du 03/09/2026 au 08/09/2026 4 repas 4,15 € 16,60 €",
        "du 03/09/2026 au 04/09/2026 2 repas 3,80 € 7,60 €",
        "QF ≥ 801, enfant de rang 2",
        "Total de la facture 24,20 €",
        "Déjà payé 0,00 €",
        "Reste à payer 24,20 €",
        "Montant à régler au plus tard le 1er septembre 2026.",
        "Payable au Trésor public.",
        "Page 1 / 1",
    ):
        assert expected in page, f"{expected!r} not in:\n{page}"
    # Cancelled in time: a credit note, deducted from the next invoice (a line of its own).
    await billing.deliver(billing.cancelled(lea, canteen, billing.booked(first)[2:], False))
    (note,) = (await billing.get(f"{T}/credit-notes", family))["credit_notes"]
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))
    second = next(x for x in await issued(billing, 2) if x["id"] != invoice["id"])
    _, reader = await pdf(billing, f"{T}/invoices/{second['id']}/pdf", family)
    page = text(reader)
    for expected in (
        "Facture n° F-CANTINE-2026-000002",
        "Avoir A-CANTINE-2026-000001 déduit",
        "Total de la facture 4,15 €",
        "Avoirs déduits -4,15 €",
        "Reste à payer 0,00 €",
        "Les avoirs déduits couvrent cette facture : rien à payer.",
    ):
        assert expected in page, f"{expected!r} not in:\n{page}"
    r, reader = await pdf(billing, f"{T}/credit-notes/{note['id']}/pdf", family)
    assert "avoir-A-CANTINE-2026-000001.pdf" in r.headers["Content-Disposition"]
    page = text(reader)
    for expected in (
        "Avoir n° A-CANTINE-2026-000001",
        "Motif Annulation par la famille",
        "du 07/09/2026 au 08/09/2026 2 repas 4,15 € 8,30 €",
        "Total de l'avoir 8,30 €",
        "Déduit de la facture F-CANTINE-2026-000002 -4,15 €",
        "Reste à déduire 4,15 €",
    ):
        assert expected in page, f"{expected!r} not in:\n{page}"
    # Staff download any; another household's documents are not found, nor are unknown ids.
    await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf")
    other = billing.family(uuid.uuid4())
    await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf", other, status=404)
    await pdf(billing, f"{T}/credit-notes/{note['id']}/pdf", other, status=404)
    await pdf(billing, f"{T}/invoices/{uuid.uuid4()}/pdf", status=404)
    await pdf(billing, f"{T}/invoices/not-an-id/pdf", status=404)
    await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf", billing.staff("annecy"), status=403)


async def test_a_regie_logo_is_printed_on_its_documents(billing):
    regie = await billing.regie()
    staff = billing.staff()
    logo = f"{T}/regies/{regie['id']}/logo"
    r = await billing.client.put(logo, data=png(), headers={**staff, "Content-Type": "image/png"})
    assert r.status == 200, await r.text()
    assert (await r.json())["has_logo"] is True
    r = await billing.client.get(logo, headers=staff)
    assert r.status == 200 and r.content_type == "image/png"
    refused = await billing.client.put(
        logo, data=b"not an image", headers={**staff, "Content-Type": "image/png"}
    )
    assert refused.status == 415
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=300)
    await billing.deliver(billing.validated(lea, canteen, *SEPT))
    (invoice,) = await issued(billing, 1)
    _, reader = await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf")
    assert len(reader.pages[0].images) == 1
    assert "Total de la facture 4,80 €" in text(reader)
    r = await billing.client.delete(logo, headers=staff)
    assert r.status == 204
    assert (await billing.get(f"{T}/regies/{regie['id']}"))["has_logo"] is False
    await billing.get(logo, status=404)
    _, reader = await pdf(billing, f"{T}/invoices/{invoice['id']}/pdf")
    assert len(reader.pages[0].images) == 0
    family = billing.family(lea.household_id)
    await billing.get(logo, family, status=403)
