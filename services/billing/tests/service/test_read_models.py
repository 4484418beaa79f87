"""What billing keeps of family's and booking's events: QFs (the one in force prices), the
children (an older event changes nothing), anonymisation (issued documents keep their copy),
justified absences (credited when already invoiced)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from shared.testing.bus import eventually

T = "/tenants/epagny"


async def price(billing, kid, activity, day="2026-09-03"):
    body = {
        "household_id": str(kid.household_id),
        "lines": [
            {"child_id": str(kid.child_id), "activity_id": activity["activity_id"], "dates": [day]}
        ],
    }
    quote = await billing.call("POST", f"{T}/quotes", billing.staff(), body)
    return quote["lines"][0]["unit_cents"]


async def test_the_quotient_in_force_prices(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid()
    assert await price(billing, lea, canteen) == 415  # unknown: the maximum
    await billing.quotient(lea.household_id, 300)
    assert await price(billing, lea, canteen) == 120
    await billing.quotient(lea.household_id, 600, valid_from=date(2026, 10, 1), valid_until=None)
    assert await price(billing, lea, canteen) == 120
    assert await price(billing, lea, canteen, "2026-10-05") == 250
    assert await price(billing, lea, canteen, "2027-01-05") == 250  # the open one, not expired


async def test_children_and_anonymisation(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    child = {
        "child_id": lea.child_id,
        "household_id": lea.household_id,
        "last_name": "Martin",
        "birth_date": date(2018, 5, 3),
        "sex": "F",
        "school": None,
        "grade": None,
        "diet": "standard",
        "image_rights": False,
    }
    newer = billing.family_event("family.ChildUpdated", **child, first_name="Léane")
    older = billing.family_event("family.ChildUpdated", **child, first_name="Lea")
    older = type(older)(**{**older.__dict__, "occurred_at": datetime.now(UTC) - timedelta(1)})
    await billing.deliver(newer)
    await billing.deliver(older)
    name = await billing.pool.fetchval(
        "SELECT first_name FROM children WHERE child_id = $1", lea.child_id
    )
    assert name == "Léane"
    await billing.deliver(billing.validated(lea, canteen, date(2026, 9, 3)))

    async def issued():
        return await billing.invoices()

    (invoice,) = await eventually(issued)
    assert invoice["lines"][0]["label"] == "Cantine — Léane"
    payers = f"{T}/billing/households/{lea.household_id}/payers"
    await billing.call(
        "POST", payers, billing.staff(), {"name": "Simon Martin", "address": "8 rue Haute"}, 201
    )
    await billing.deliver(
        billing.family_event(
            "family.HouseholdAnonymised",
            household_id=lea.household_id,
            deletion_request_id=uuid.uuid4(),
            account_ids=[],
        )
    )
    profile = await billing.get(f"{T}/billing/households/{lea.household_id}/profile")
    assert profile["guardian_names"] == ["Anonyme"] and profile["payer_name"] is None
    (kept,) = await billing.invoices()
    assert kept["payer"]["name"] == "Claire Martin et Simon Martin"  # an accounting record
    named = (await billing.get(payers))["payers"][1]
    assert (named["name"], named["address"]) == ("Anonyme", None)


async def test_a_justified_absence_on_an_invoiced_day_is_credited(billing):
    regie = await billing.regie()
    canteen = await billing.activity(regie)
    lea = await billing.kid(qf=900)
    validated = billing.validated(lea, canteen, date(2026, 9, 3), date(2026, 9, 4))
    await billing.deliver(validated)

    async def issued():
        return await billing.invoices()

    await eventually(issued)
    day = billing.booked(validated)[0]
    await billing.deliver(
        billing.booking_event(
            "booking.AbsenceJustified",
            **billing.who(lea, canteen),
            absence_id=uuid.uuid4(),
            booking_id=day["booking_id"],
            date=day["date"],
            late=False,
            reason="illness",
            note=None,
            decided_by=uuid.uuid4(),
        )
    )
    (event,) = await billing.events("billing.CreditNoteIssued")
    assert event["payload"]["reason"] == "Absence justifiée"
    assert event["payload"]["total_cents"] == 415
