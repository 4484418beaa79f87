"""Recovery by the treasury against the real Postgres: after the last reminder and the
régie's delay, staff gather a régie's unpaid invoices on a numbered collection docket (CSV
and PDF for the finance office); those invoices are in recovery for good: no more
reminders, flagged for the payments area. Dockets never take an invoice twice."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from billing.settings import BillingSettings
from billing.store import reminders as reminders_store
from billing.usecases.payments import apply_payment_in
from shared.testing.bus import eventually
from shared.uow import unit_of_work

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]  # 16,60 €
SCHEDULE = {"offsets_days": [10], "minimum_cents": 500, "recovery_after_days": 15}
ADDRESS = "3 rue des Lilas\n74330 Epagny Metz-Tessy"


def paris(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 6, 0, tzinfo=UTC)


@pytest.fixture
def billing_settings(make_settings: Callable[..., Any]) -> BillingSettings:
    return make_settings(
        BillingSettings,
        basket_invoice_grace_seconds=0.2,
        basket_invoice_sweep_seconds=0.1,
        reminder_sweep_seconds=0,
    )


async def setup(billing, schedule: dict[str, Any] | None = SCHEDULE):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    if schedule is not None:
        await billing.call(
            "PUT", f"{T}/regies/{regie['id']}/reminder-schedule", billing.staff(), schedule
        )
    return regie, canteen


async def invoiced(billing, canteen, days=SEPT, profile: dict[str, Any] | None = None):
    kid = await billing.kid(qf=900)
    if profile is not None:
        await billing.call(
            "PUT",
            f"{T}/billing/households/{kid.household_id}/profile",
            billing.staff(),
            profile,
        )
    await billing.deliver(billing.validated(kid, canteen, *days))

    async def found():
        rows = await billing.invoices(household_id=kid.household_id)
        return rows[0] if rows else None

    return kid, await eventually(found)


async def run(billing, day: date) -> list[tuple[str, int]]:
    billing.at(paris(day))
    body = await billing.call("POST", f"{T}/reminders/run", billing.staff(), {})
    return [(r["number"], r["level"]) for r in body["reminders"]]


async def pay(billing, invoice: dict[str, Any], cents: int) -> None:
    """A counter payment, recorded through apply_payment_in (ledger entries)."""
    uow = unit_of_work(billing.client.app, billing.TENANT)
    async with uow:
        await apply_payment_in(
            uow,
            billing.TENANT,
            regie_id=uuid.UUID(invoice["regie_id"]),
            payer_id=uuid.UUID(invoice["payer_id"]),
            household_id=uuid.UUID(invoice["household_id"]),
            method="cash",
            amount_cents=cents,
            received_on=date(2026, 9, 20),
            invoice_ids=[uuid.UUID(invoice["id"])],
            reference={},
            recorded_by=None,
            now=paris(date(2026, 9, 20)),
        )


async def docket(billing, regie, status: int = 201, body: Any = None) -> Any:
    path = f"{T}/regies/{regie['id']}/recovery-dockets"
    return await billing.call("POST", path, billing.staff(), body or {}, status)


async def test_invoices_go_to_recovery_after_the_last_reminder(billing):
    regie, canteen = await setup(billing)
    profile = {"payer_name": "Claire Martin", "payer_address": ADDRESS, "payer_email": None}
    lea, a = await invoiced(billing, canteen, profile=profile)
    _, paid = await invoiced(billing, canteen)
    _, small = await invoiced(billing, canteen, days=SEPT[:1])  # under the minimum
    billing.at(paris(date(2026, 9, 5)))
    _, d = await invoiced(billing, canteen)  # due 5 September
    assert sorted(await run(billing, date(2026, 9, 11))) == sorted(
        [(a["number"], 1), (paid["number"], 1)]
    )
    await pay(billing, paid, 1660)
    await pay(billing, a, 660)  # partly paid: 10,00 € left
    assert await run(billing, date(2026, 9, 15)) == [(d["number"], 1)]

    # 25 September: A's last reminder was 14 days ago, the régie waits 15.
    billing.at(paris(date(2026, 9, 25)))
    preview = f"{T}/regies/{regie['id']}/recoverable-invoices"
    assert (await billing.get(preview))["invoices"] == []
    problem = await docket(billing, regie, 409)
    assert problem["type"].endswith("/nothing-to-recover")

    billing.at(paris(date(2026, 9, 26)))
    (eligible,) = (await billing.get(preview))["invoices"]
    assert (eligible["invoice_id"], eligible["amount_due_cents"]) == (a["id"], 1000)
    refused = await docket(billing, regie, 409, {"invoice_ids": [a["id"], d["id"]]})
    assert refused["type"].endswith("/invoice-not-recoverable")
    assert refused["invoice_ids"] == [d["id"]]
    first = await docket(billing, regie)
    assert first["number"] == "T-CANTINE-2026-0001"
    assert (first["created_on"], first["invoice_count"], first["total_cents"]) == (
        "2026-09-26",
        1,
        1000,
    )
    (item,) = first["items"]
    assert item == {
        "position": 1,
        "invoice_id": a["id"],
        "number": a["number"],
        "household_id": str(lea.household_id),
        "payer_id": str(lea.household_id),
        "issue_date": "2026-09-01",
        "due_date": "2026-09-01",
        "total_cents": 1660,
        "amount_due_cents": 1000,
        "debtor": {"name": "Claire Martin", "address": ADDRESS, "email": None},
        "last_reminder_level": 1,
        "last_reminded_on": "2026-09-11",
    }
    assert await billing.get(f"{T}/recovery-dockets/{first['id']}") == first

    # In recovery for good: no more reminders even with a longer schedule; flagged for the
    # payments area (no online payment); the family and staff see it.
    ids = [uuid.UUID(a["id"]), uuid.UUID(d["id"]), uuid.UUID(small["id"])]
    assert await reminders_store.in_recovery(billing.pool, ids) == {uuid.UUID(a["id"])}
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/reminder-schedule",
        billing.staff(),
        {**SCHEDULE, "offsets_days": [10, 25]},
    )
    assert await run(billing, date(2026, 10, 20)) == [(d["number"], 2)]
    seen = await billing.get(f"{T}/invoices/{a['id']}/reminders", billing.family(lea.household_id))
    assert seen["in_recovery"] is True
    read = await billing.get(f"{T}/invoices/{a['id']}", billing.family(lea.household_id))
    assert (read["in_recovery"], [r["level"] for r in read["reminders"]]) == (True, [1])
    overdue = (await billing.get(f"{T}/overdue-invoices?in_recovery=true"))["invoices"]
    assert [(r["number"], r["docket_number"]) for r in overdue] == [
        (a["number"], "T-CANTINE-2026-0001")
    ]
    others = (await billing.get(f"{T}/overdue-invoices?in_recovery=false"))["invoices"]
    assert sorted(r["number"] for r in others) == sorted([small["number"], d["number"]])
    assert await docket(billing, regie, 409)  # D's last reminder (20 October) is too recent

    # 4 November: D goes, on the next number; A is not taken twice.
    billing.at(paris(date(2026, 11, 4)))
    second = await docket(billing, regie)
    assert second["number"] == "T-CANTINE-2026-0002"
    assert [i["number"] for i in second["items"]] == [d["number"]]
    assert second["items"][0]["last_reminder_level"] == 2
    listed = (await billing.get(f"{T}/recovery-dockets?regie_id={regie['id']}"))["dockets"]
    assert [x["number"] for x in listed] == ["T-CANTINE-2026-0002", "T-CANTINE-2026-0001"]
    assert "items" not in listed[0]
    assert (await billing.get(f"{T}/recovery-dockets?regie_id={uuid.uuid4()}"))["dockets"] == []
    households = (await billing.get(f"{T}/overdue-households?household_id={lea.household_id}"))[
        "households"
    ]
    assert (households[0]["in_recovery_count"], households[0]["in_recovery_cents"]) == (1, 1000)


async def test_the_docket_export_and_pdf(billing):
    regie, canteen = await setup(billing)
    profile = {"payer_name": "Claire Martin", "payer_address": ADDRESS, "payer_email": None}
    _, a = await invoiced(billing, canteen, profile=profile)
    _, b = await invoiced(billing, canteen)
    await run(billing, date(2026, 9, 11))
    billing.at(paris(date(2026, 9, 26)))
    made = await docket(billing, regie)
    r = await billing.client.get(
        f"{T}/recovery-dockets/{made['id']}/export.csv", headers=billing.staff()
    )
    assert r.status == 200 and r.content_type == "text/csv"
    assert "bordereau-T-CANTINE-2026-0001.csv" in r.headers["Content-Disposition"]
    raw = await r.read()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header, *lines = rows
    assert header[5:11] == [
        "Numéro de facture",
        "Date d'émission",
        "Date d'échéance",
        "Débiteur",
        "Adresse du débiteur",
        "Courriel du débiteur",
    ]
    by_number = {line[5]: dict(zip(header, line, strict=True)) for line in lines}
    assert set(by_number) == {a["number"], b["number"]}
    mine = by_number[a["number"]]
    assert mine["Bordereau"] == "T-CANTINE-2026-0001"
    assert mine["Régie"] == "Régie restauration scolaire"
    assert mine["Débiteur"] == "Claire Martin"
    assert mine["Adresse du débiteur"] == "3 rue des Lilas, 74330 Epagny Metz-Tessy"
    assert (mine["Date d'émission"], mine["Date d'échéance"]) == ("01/09/2026", "01/09/2026")
    assert (mine["Montant facturé"], mine["Reste à recouvrer"]) == ("16,60", "16,60")
    assert (mine["Dernière relance"], mine["Date de la dernière relance"]) == ("1", "11/09/2026")
    # No billing contact set: the guardians' names, as the invoice printed them.
    assert by_number[b["number"]]["Débiteur"] == "Claire Martin et Simon Martin"
    pdf = await billing.client.get(
        f"{T}/recovery-dockets/{made['id']}/pdf", headers=billing.staff()
    )
    assert pdf.status == 200 and pdf.content_type == "application/pdf"
    assert (await pdf.read()).startswith(b"%PDF")
    # Staff only; unknown dockets are not found.
    family = billing.family(uuid.uuid4())
    for path in ("", "/export.csv", "/pdf"):
        await billing.get(f"{T}/recovery-dockets/{made['id']}{path}", family, status=403)
        await billing.get(f"{T}/recovery-dockets/{uuid.uuid4()}{path}", status=404)
    await billing.call("POST", f"{T}/regies/{regie['id']}/recovery-dockets", family, {}, status=403)
    await billing.get(f"{T}/regies/{regie['id']}/recoverable-invoices", family, status=403)


async def test_two_dockets_at_once_never_take_an_invoice_twice(billing):
    regie, canteen = await setup(billing)
    numbers = []
    for _ in range(4):
        _, invoice = await invoiced(billing, canteen)
        numbers.append(invoice["number"])
    await run(billing, date(2026, 9, 11))
    billing.at(paris(date(2026, 9, 26)))
    path = f"{T}/regies/{regie['id']}/recovery-dockets"

    async def attempt() -> tuple[int, Any]:
        r = await billing.client.post(path, json={}, headers=billing.staff())
        return r.status, await r.json()

    results = await asyncio.gather(*(attempt() for _ in range(3)))
    assert sorted(status for status, _ in results) == [201, 409, 409]
    (made,) = [body for status, body in results if status == 201]
    assert sorted(i["number"] for i in made["items"]) == sorted(numbers)
    assert await billing.pool.fetchval("SELECT count(*) FROM recovery_items") == 4
    assert await billing.pool.fetchval("SELECT count(*) FROM recovery_dockets") == 1


async def test_a_regie_needs_a_schedule_and_input_is_checked(billing):
    regie, canteen = await setup(billing, schedule=None)
    await invoiced(billing, canteen)
    billing.at(paris(date(2027, 1, 1)))
    problem = await docket(billing, regie, 409)
    assert problem["type"].endswith("/no-reminder-schedule")
    await billing.get(f"{T}/regies/{uuid.uuid4()}/recoverable-invoices", status=404)
    await billing.call(
        "POST", f"{T}/regies/{uuid.uuid4()}/recovery-dockets", billing.staff(), {}, 404
    )
    bad = await docket(billing, regie, 422, {"invoice_ids": ["pas-un-id"]})
    assert [e["field"] for e in bad["errors"]] == ["invoice_ids.0"]
    # A régie that sends no reminders: recovery after the due date and the delay.
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/reminder-schedule",
        billing.staff(),
        {"offsets_days": [], "recovery_after_days": 30},
    )
    billing.at(paris(date(2026, 9, 30)))
    await docket(billing, regie, 409)
    billing.at(paris(date(2026, 10, 1)))
    assert (await docket(billing, regie))["invoice_count"] == 1


async def test_an_invoice_sent_to_recovery_can_no_longer_be_paid_by_card(billing):
    regie, canteen = await setup(billing)
    lea, invoice = await invoiced(billing, canteen)
    await run(billing, date(2026, 9, 11))
    billing.at(paris(date(2026, 9, 26)))
    await docket(billing, regie)
    await billing.call(
        "PUT",
        f"{T}/regies/{regie['id']}/card-payment",
        billing.staff(),
        {"backend": "dummy", "options": {"origin": "Portail Famille"}},
    )
    body = await billing.call(
        "POST",
        f"{T}/card-payments",
        billing.family(lea.household_id),
        {"invoice_ids": [invoice["id"]], "email": "claire@example.fr"},
        409,
    )
    assert body["type"].endswith("/invoice-in-recovery")
    assert "Trésor public" in body["detail"]
