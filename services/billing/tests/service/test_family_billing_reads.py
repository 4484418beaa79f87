"""What a family's portal reads before offering the wallet and the direct debit: the wallet
settings (is there a wallet, its top-up limits) and the régies collecting by direct debit
(no bank details)."""

from __future__ import annotations

import uuid
from datetime import date

from .test_direct_debit import COLLECTION, collecting, invoiced, later, paper_mandate, run

T = "/tenants/epagny"
CREDITOR = {
    "creditor_id": "FR72ZZZ123456",
    "creditor_name": "Régie restauration scolaire d'Epagny",
    "iban": "FR7630001000000079412345605",
    "bic": "BDFEFRPP",
}


async def test_a_family_reads_the_wallet_settings(billing):
    family = billing.family(uuid.uuid4())
    settings = await billing.get(f"{T}/billing/wallet-settings", family)
    assert settings["regie_id"] is None
    assert (settings["top_up_min_cents"], settings["top_up_max_cents"]) == (500, 30000)
    regie = await billing.regie()
    await billing.call(
        "PUT", f"{T}/billing/wallet-settings", billing.staff(), {"regie_id": regie["id"]}
    )
    settings = await billing.get(f"{T}/billing/wallet-settings", family)
    assert settings["regie_id"] == regie["id"]
    # Designating the régie stays staff's.
    r = await billing.client.put(
        f"{T}/billing/wallet-settings", json={"regie_id": regie["id"]}, headers=family
    )
    assert r.status == 403


async def test_a_family_reads_the_regies_collecting_by_direct_debit(billing):
    family = billing.family(uuid.uuid4())
    assert (await billing.get(f"{T}/billing/direct-debit-regies", family))["regies"] == []
    collecting = await billing.regie()
    await billing.regie(code="SPORT", name="Régie sport")  # no creditor settings: not offered
    await billing.call(
        "PUT", f"{T}/regies/{collecting['id']}/direct-debit", billing.staff(), CREDITOR
    )
    (only,) = (await billing.get(f"{T}/billing/direct-debit-regies", family))["regies"]
    assert only == {
        "regie_id": collecting["id"],
        "regie_name": collecting["name"],
        "creditor_name": CREDITOR["creditor_name"],
        "prenotification_days": only["prenotification_days"],
    }
    assert "iban" not in str(only).lower()
    other_town = billing.family(uuid.uuid4(), tenant="annecy")
    r = await billing.client.get(f"{T}/billing/direct-debit-regies", headers=other_town)
    assert r.status in (401, 403)


async def test_a_family_reads_its_announced_and_collected_debits(billing):
    regie, canteen = await collecting(billing)
    lea = await billing.kid(qf=900)
    family = billing.family(lea.household_id)
    debits = f"{T}/billing/households/{lea.household_id}/direct-debits"
    assert (await billing.get(debits, family))["debits"] == []
    mandate = await paper_mandate(billing, regie, lea)
    later(billing, 60)
    due = await invoiced(billing, lea, canteen, date(2026, 9, 7), date(2026, 9, 8))
    await run(billing, regie)
    (debit,) = (await billing.get(debits, family))["debits"]
    assert (debit["invoice_number"], debit["amount_cents"]) == (due["number"], 830)
    assert (debit["collection_date"], debit["status"]) == (COLLECTION, "collected")
    assert debit["rum"] == mandate["rum"] and debit["reason_label"] is None
    assert debit["iban_masked"] == "FR76 **** **** **** **** **** 189"
    assert "FR7630006000011234567890189" not in str(debit)
    other = await billing.kid(qf=900, first_name="Tom")
    await billing.get(debits, billing.family(other.household_id), 403)
    assert (await billing.get(debits))["debits"][0]["id"] == debit["id"]  # staff
