"""Certificates as PDF: attendance of a child, payments over a period (what the ledger
knows settled the invoices), and the yearly childcare expenses for the tax credit (children
under 6 on 1 January, childcare only, net of credit notes), a page per régie; a family gets
its own household's, staff any."""

from __future__ import annotations

import io
import uuid
from datetime import date

import pypdf

from shared.testing.bus import eventually

T = "/tenants/epagny"


def attendance(billing, activity, day, *marks):
    return billing.booking_event(
        "booking.AttendanceRecorded",
        activity_id=uuid.UUID(activity["activity_id"]),
        activity_name=activity["name"],
        activity_type="PERI",
        site="École du Centre",
        date=day,
        recorded_by=uuid.uuid4(),
        marks=[
            {
                "booking_id": booking_id,
                "child_id": kid.child_id,
                "household_id": kid.household_id,
                "status": status,
                "late": False,
            }
            for kid, booking_id, status in marks
        ],
    )


async def certificate(billing, path, headers=None, status=200):
    r = await billing.client.get(path, headers=headers or billing.staff())
    assert r.status == status, await r.text()
    if status != 200:
        return (await r.json())["type"].rsplit("/", 1)[-1]
    assert r.content_type == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(await r.read()))
    pages = [" ".join(p.extract_text().replace("\u202f", " ").split()) for p in reader.pages]
    return r.headers["Content-Disposition"], pages


async def campaign(billing, regie, start, end):
    staff = billing.staff()
    body = {"regie_id": regie["id"], "period_from": start, "period_to": end}
    created = await billing.call("POST", f"{T}/campaigns", staff, body, 201)
    await billing.call("POST", f"{T}/campaigns/{created['id']}/finalise", staff)


async def test_certificates(billing):
    cantine = await billing.regie()
    peri = await billing.regie(
        code="PERI", name="Régie périscolaire", address="Mairie annexe, 74330 Epagny"
    )
    canteen = await billing.activity(cantine)  # meals: not childcare
    evening = await billing.activity(peri, mode="postpaid", name="Accueil du soir", unit="day")
    assert (canteen["childcare"], evening["childcare"]) == (False, True)
    tom = await billing.kid(first_name="Tom", birth_date=date(2017, 5, 1), qf=900)
    lea = await billing.kid(tom.household_id, first_name="Léa", birth_date=date(2020, 1, 1))
    family = billing.family(lea.household_id)
    # Canteen, prepaid: Léa's 2 meals (3,80 €, second child).
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 3), date(2026, 9, 4)))

    async def canteen_issued():
        return await billing.invoices(regie_id=cantine["id"]) or None

    await eventually(canteen_issued)
    # Evening care, postpaid: Léa 4 days (3,80 €), Tom 2 days (4,15 €), one invoice.
    lea_days = billing.validated(lea, evening, *(date(2026, 9, d) for d in (3, 4, 7, 8)))
    await billing.deliver(lea_days)
    await billing.deliver(billing.validated(tom, evening, date(2026, 9, 3), date(2026, 9, 4)))
    await campaign(billing, peri, "2026-09-01", "2026-09-30")
    booked = billing.booked(lea_days)
    # 8 Sept cancelled in time: credited, then deducted from October's invoice.
    await billing.deliver(billing.cancelled(lea, evening, booked[3:], charged=False))
    await billing.deliver(billing.validated(lea, evening, date(2026, 10, 1)))
    await campaign(billing, peri, "2026-10-01", "2026-10-31")
    for day, status in zip(booked[:3], ("present", "present", "absent"), strict=True):
        await billing.deliver(
            attendance(billing, evening, day["date"], (lea, day["booking_id"], status))
        )

    base = f"{T}/billing/households/{lea.household_id}/certificates"
    # Attendance: the days Léa was marked present.
    name, (page,) = await certificate(
        billing, f"{base}/attendance?child_id={lea.child_id}&from=2026-09-01&to=2026-09-30", family
    )
    assert "attestation-presence-20260901-20260930.pdf" in name
    for expected in (
        "Régie périscolaire",
        "Attestation de présence",
        "l'enfant Léa Martin, né(e) le 1er janvier 2020",
        "du 1er septembre 2026 au 30 septembre 2026",
        "Accueil du soir 2 03/09, 04/09",
        "Total des jours de présence 2",
        "Fait le 1er septembre 2026",
    ):
        assert expected in page, f"{expected!r} not in {page}"
    # Payments: a page per régie, what the credit notes settled.
    _, pages = await certificate(billing, f"{base}/payments?from=2026-09-01&to=2026-12-31", family)
    assert len(pages) == 2
    peri_page, cantine_page = pages
    for expected in (
        "Régie périscolaire",
        "Attestation de paiement",
        "F-PERI-2026-000001",
        "F-PERI-2026-000002",
        "Total facturé 27,30 €",  # 4 × 3,80 + 2 × 4,15, then 3,80
        "Réglé par avoirs 3,80 €",
        "Paiements enregistrés 0,00 €",
        "Reste dû 23,50 €",
        "les paiements enregistrés par la régie",
    ):
        assert expected in peri_page, f"{expected!r} not in {peri_page}"
    assert "F-CANTINE-2026-000001" in cantine_page and "Total facturé 7,60 €" in cantine_page
    # Childcare for the tax credit: Léa only (Tom was 6 on 1 January), evening care only
    # (meals excluded), less the credit note: 4 × 3,80 + 3,80 − 3,80.
    name, (page,) = await certificate(billing, f"{base}/childcare?year=2026", family)
    assert "attestation-fiscale-2026.pdf" in name
    for expected in (
        "Attestation fiscale 2026",
        "Régie périscolaire",
        "Claire Martin et Simon Martin",
        "moins de 6 ans au 1er janvier 2026",
        "Léa Martin 1er janvier 2020 19,00 € -3,80 € 15,20 €",
        "Total des frais de garde 2026 15,20 €",
        "Les frais de repas sont exclus",
    ):
        assert expected in page, f"{expected!r} not in {page}"
    assert "Tom" not in page and "Régie restauration" not in page
    # Staff get any household's; nothing to certify, another household, bad queries.
    await certificate(billing, f"{base}/childcare?year=2026")
    assert await certificate(billing, f"{base}/childcare?year=2025", status=404) == (
        "nothing-to-certify"
    )
    other = billing.family(uuid.uuid4())
    await certificate(billing, f"{base}/childcare?year=2026", other, status=403)
    stranger = uuid.uuid4()
    code = await certificate(
        billing,
        f"{base}/attendance?child_id={stranger}&from=2026-09-01&to=2026-09-30",
        status=404,
    )
    assert code == "child-not-found"
    await certificate(billing, f"{base}/payments?from=2026-09-30&to=2026-09-01", status=422)
    await certificate(billing, f"{base}/payments?from=2026-09-01", status=422)
    await certificate(billing, f"{base}/childcare?year=1990", status=422)
