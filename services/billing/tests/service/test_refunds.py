"""Refunds: staff give a credit note's available amount back instead of letting it be
deducted from the next invoice; numbered V-… gapless, written in the ledger."""

from __future__ import annotations

import uuid
from datetime import date

from shared.testing.bus import eventually

T = "/tenants/epagny"
SEPT = [date(2026, 9, d) for d in (3, 4, 7, 8)]


async def issued(billing, count: int = 1, **query):
    async def found():
        rows = await billing.invoices(**query)
        return rows if len(rows) >= count else None

    return await eventually(found)


async def credited(billing):
    """A household invoiced for four days, two of them cancelled: a credit note of 830."""
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    validated = billing.validated(lea, canteen, *SEPT)
    await billing.deliver(validated)
    await issued(billing)
    await billing.deliver(
        billing.cancelled(lea, canteen, billing.booked(validated)[2:], charged=False)
    )
    (note,) = (await billing.get(f"{T}/credit-notes"))["credit_notes"]
    assert note["available_cents"] == 830
    return lea, canteen, note


async def test_a_refunded_credit_is_no_longer_deducted(billing):
    lea, canteen, note = await credited(billing)
    refund = await billing.call(
        "POST",
        f"{T}/credit-notes/{note['id']}/refund",
        billing.staff(),
        {"method": "transfer", "reference": "VIR-2026-09-001"},
        status=201,
    )
    assert refund["number"] == "V-CANTINE-2026-000001"
    assert (refund["amount_cents"], refund["method"], refund["reference"]) == (
        830,
        "transfer",
        "VIR-2026-09-001",
    )
    assert (refund["credit_note_id"], refund["credit_note_number"]) == (
        note["id"],
        "A-CANTINE-2026-000001",
    )
    assert refund["household_id"] == str(lea.household_id)
    note = await billing.get(f"{T}/credit-notes/{note['id']}")
    assert note["available_cents"] == 0
    # The next invoice deducts nothing.
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 10)))
    invoices = await issued(billing, 2)
    second = next(x for x in invoices if x["number"] == "F-CANTINE-2026-000002")
    assert [x["kind"] for x in second["lines"]] == ["charge"]
    assert (second["total_cents"], second["credit_cents"], second["remaining_cents"]) == (
        415,
        0,
        415,
    )
    # The ledger accounts for it: invoiced 1660 + 415, credited 830, refunded 830.
    family = billing.family(lea.household_id)
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account", family)
    assert account["balance_cents"] == 1660 - 830 + 830 + 415
    assert [(e["kind"], e["number"]) for e in account["entries"]] == [
        ("invoice", "F-CANTINE-2026-000001"),
        ("credit_note", "A-CANTINE-2026-000001"),
        ("refund", "V-CANTINE-2026-000001"),
        ("invoice", "F-CANTINE-2026-000002"),
    ]
    # Staff list refunds, by household.
    listed = (await billing.get(f"{T}/refunds?household_id={lea.household_id}"))["refunds"]
    assert [r["number"] for r in listed] == ["V-CANTINE-2026-000001"]
    other = (await billing.get(f"{T}/refunds?household_id={uuid.uuid4()}"))["refunds"]
    assert other == []


async def test_refunding_twice_is_a_conflict(billing):
    _, _, note = await credited(billing)
    path = f"{T}/credit-notes/{note['id']}/refund"
    await billing.call("POST", path, billing.staff(), {"method": "cheque"}, status=201)
    problem = await billing.call("POST", path, billing.staff(), {"method": "cash"}, status=409)
    assert problem["detail"].startswith("Cet avoir n'a plus rien de disponible")
    assert await billing.pool.fetchval("SELECT count(*) FROM refunds") == 1
    assert await billing.pool.fetchval("SELECT last FROM counters WHERE kind = 'refund'") == 1


async def test_only_staff_refund(billing):
    lea, _, note = await credited(billing)
    family = billing.family(lea.household_id)
    await billing.call(
        "POST",
        f"{T}/credit-notes/{note['id']}/refund",
        family,
        {"method": "cash"},
        status=403,
    )
    await billing.get(f"{T}/refunds", family, status=403)
    await billing.call(
        "POST",
        f"{T}/credit-notes/{uuid.uuid4()}/refund",
        billing.staff(),
        {"method": "cash"},
        status=404,
    )
    await billing.call(
        "POST",
        f"{T}/credit-notes/{note['id']}/refund",
        billing.staff(),
        {"method": "bitcoin"},
        status=422,
    )
    assert (await billing.get(f"{T}/credit-notes/{note['id']}"))["available_cents"] == 830
