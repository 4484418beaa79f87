"""The accounting export of a régie for a period (staff): invoices and credit notes per
activity with their accounting codes, credit notes deducted, the French CSV way."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from shared.testing.bus import eventually

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


async def export(
    billing, regie, query="from=2026-09-01&to=2026-09-30", headers=None, status=200, code="CANTINE"
):
    r = await billing.client.get(
        f"{T}/regies/{regie['id']}/exports/accounting.csv?{query}",
        headers=headers or billing.staff(),
    )
    assert r.status == status, await r.text()
    if status != 200:
        return None
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert f"export-comptable-{code}-" in r.headers["Content-Disposition"]
    body = await r.read()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))


async def test_the_accounting_export_of_a_regie(billing):
    staff = billing.staff()
    regie = await billing.regie()
    other = await billing.regie(code="CRECHE", name="Régie petite enfance")
    canteen = await billing.activity(regie, accounting_code="7067-251")
    evening = await billing.activity(
        regie, mode="postpaid", name="Accueil du soir", unit="day", accounting_code="7066-421"
    )
    nursery = await billing.activity(other, name="Crèche", accounting_code="7066-64")
    lea = await billing.kid(qf=900)
    await billing.call(
        "PUT",
        f"{T}/billing/households/{lea.household_id}/profile",
        staff,
        {
            "resident": True,
            "payer_name": "=Claire Martin",
            "payer_address": "3 rue des Lilas\n74330 Epagny",
            "payer_email": None,
        },
    )

    async def issued(count):
        async def found():
            rows = await billing.invoices()
            return rows if len(rows) >= count else None

        return await eventually(found)

    first = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(first)
    await issued(1)
    await billing.deliver(billing.cancelled(lea, canteen, billing.booked(first)[2:], False))
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))
    await billing.deliver(billing.validated(lea, nursery, date(2026, 9, 10)))
    await issued(3)
    await billing.deliver(billing.validated(lea, evening, date(2026, 9, 14), date(2026, 9, 15)))
    body = {"regie_id": regie["id"], "period_from": "2026-09-01", "period_to": "2026-09-30"}
    campaign = await billing.call("POST", f"{T}/campaigns", staff, body, 201)
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff)

    rows = await export(billing, regie)
    assert rows[0][:4] == ["Type", "Numéro", "Date", "Échéance"]
    summary = [(r[0], r[1], r[9], r[10], r[11], r[12]) for r in rows[1:]]
    assert summary == [
        ("Facture", "F-CANTINE-2026-000001", "7067-251", "Cantine", "16,60", ""),
        ("Facture", "F-CANTINE-2026-000002", "7067-251", "Cantine", "4,15", ""),
        ("Avoir déduit", "F-CANTINE-2026-000002", "", "", "-4,15", "A-CANTINE-2026-000001"),
        ("Facture", "F-CANTINE-2026-000003", "7066-421", "Accueil du soir", "8,30", ""),
        ("Avoir déduit", "F-CANTINE-2026-000003", "", "", "-4,15", "A-CANTINE-2026-000001"),
        ("Avoir", "A-CANTINE-2026-000001", "7067-251", "Cantine", "-8,30", ""),
    ]
    invoice = rows[1]
    assert invoice[2:9] == [
        "01/09/2026",
        "01/09/2026",
        "CANTINE",
        "'=Claire Martin",
        "3 rue des Lilas, 74330 Epagny",
        str(lea.household_id),
        str(lea.household_id),
    ]
    assert rows[4][3] == "16/09/2026"  # the campaign's due date
    # Another period: the header only; the other régie's documents are its own.
    assert await export(billing, regie, "from=2026-10-01&to=2026-10-31") == [rows[0]]
    assert [r[1] for r in (await export(billing, other, code="CRECHE"))[1:]] == [
        "F-CRECHE-2026-000001"
    ]
    # Staff only; another tenant's or an unknown régie; a period that ends before it starts.
    await export(billing, regie, headers=billing.family(lea.household_id), status=403)
    await export(billing, {"id": uuid.uuid4()}, status=404)
    await export(billing, regie, "from=2026-09-30&to=2026-09-01", status=422)
    await export(billing, regie, "from=2026-09-30", status=422)
