"""Who sees which documents: a family its household's only, staff their tenant's with
filters; another household's invoice or credit note is not found."""

from __future__ import annotations

import uuid
from datetime import date

from shared.testing.bus import eventually

T = "/tenants/epagny"


async def two_households(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    max_ = await billing.kid(first_name="Max", qf=300)
    lea_event = billing.validated(lea, canteen, date(2026, 9, 3), date(2026, 9, 4))
    await billing.publish(lea_event)
    await billing.publish(billing.validated(max_, canteen, date(2026, 9, 3)))

    async def both():
        rows = await billing.invoices()
        return rows if len(rows) == 2 else None

    await eventually(both)
    await billing.deliver(billing.cancelled(lea, canteen, billing.booked(lea_event)[:1], False))
    return regie, lea, max_


async def test_a_family_sees_only_its_own_documents(billing):
    _, lea, max_ = await two_households(billing)
    lea_family, max_family = billing.family(lea.household_id), billing.family(max_.household_id)
    (own,) = await billing.invoices(lea_family)
    (other,) = await billing.invoices(max_family)
    assert own["household_id"] == str(lea.household_id) and own["total_cents"] == 830
    assert other["total_cents"] == 120
    await billing.get(f"{T}/invoices/{own['id']}", lea_family)
    await billing.get(f"{T}/invoices/{other['id']}", lea_family, status=404)
    await billing.get(f"{T}/invoices/{uuid.uuid4()}", lea_family, status=404)
    await billing.get(f"{T}/invoices/not-a-uuid", lea_family, status=404)
    # A family's filter on another household is ignored: it still sees its own.
    assert [x["id"] for x in await billing.invoices(max_family, household_id=lea.household_id)] == [
        other["id"]
    ]
    (note,) = (await billing.get(f"{T}/credit-notes", lea_family))["credit_notes"]
    assert (await billing.get(f"{T}/credit-notes", max_family))["credit_notes"] == []
    await billing.get(f"{T}/credit-notes/{note['id']}", max_family, status=404)
    await billing.get(f"{T}/billing/households/{lea.household_id}/account", max_family, status=403)
    # Not linked to a household, another tenant, no token.
    unlinked = billing.tokens.header(tenant="epagny", roles=("family",))
    await billing.get(f"{T}/invoices", unlinked, status=403)
    await billing.get(f"{T}/invoices", billing.staff("annecy"), status=403)
    assert (await billing.client.get(f"{T}/invoices")).status == 401


async def test_staff_list_the_tenant_documents_with_filters(billing):
    regie, lea, _ = await two_households(billing)
    everything = await billing.invoices()
    assert sorted(x["number"] for x in everything) == [
        "F-CANTINE-2026-000001",
        "F-CANTINE-2026-000002",
    ]
    assert [x["household_id"] for x in await billing.invoices(household_id=lea.household_id)] == [
        str(lea.household_id)
    ]
    number = everything[0]["number"]
    assert [x["number"] for x in await billing.invoices(number=number)] == [number]
    assert len(await billing.invoices(regie_id=regie["id"], year=2026)) == 2
    assert await billing.invoices(year=2025) == []
    assert len(await billing.invoices(issued_from="2026-09-01", issued_to="2026-09-01")) == 2
    assert len(await billing.invoices(limit=1)) == 1
    assert len(await billing.invoices(status="current")) == 2
    notes = await billing.get(f"{T}/credit-notes?household_id={lea.household_id}")
    assert [n["number"] for n in notes["credit_notes"]] == ["A-CANTINE-2026-000001"]
    await billing.get(f"{T}/invoices?status=paid", status=422)
    account = await billing.get(f"{T}/billing/households/{lea.household_id}/account")
    assert account["balance_cents"] == 830 - 415
    assert account["regies"] == [
        {"regie_id": regie["id"], "regie_name": regie["name"], "balance_cents": 415}
    ]
