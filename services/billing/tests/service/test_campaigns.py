"""Postpaid campaigns: drafted from bookings or attendance with each activity's rules,
reviewed with their errors and warnings, finalised with numbers and one InvoiceIssued per
invoice; a campaign run twice bills nothing twice; a corrective campaign bills what came
after."""

from __future__ import annotations

import uuid
from datetime import date

T = "/tenants/epagny"
SEPT = {"period_from": "2026-09-01", "period_to": "2026-09-30"}


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


async def setup(billing):
    regie = await billing.regie(code="PERI", name="Régie périscolaire")
    evening = await billing.activity(regie, mode="postpaid", name="Accueil du soir", unit="day")
    hourly = await billing.activity(
        regie,
        mode="postpaid",
        name="Garderie",
        unit="hour",
        postpaid_source="attendance",
        units_per_booking="2.5",
        grid={
            "valid_from": "2026-09-01",
            "effort": {"rate": "0.15", "min_cents": 50, "max_cents": 150},
        },
    )
    no_grid = await billing.activity(regie, mode="postpaid", name="Étude", grid=None)
    lea = await billing.kid(qf=900)
    max_ = await billing.kid(first_name="Max")  # no QF: the maximum price
    return regie, evening, hourly, no_grid, lea, max_


async def test_a_campaign_from_bookings_and_attendance(billing):
    regie, evening, hourly, no_grid, lea, max_ = await setup(billing)
    staff = billing.staff()
    # Evening care, from the bookings: 3 days booked, one cancelled in time, one cancelled late.
    lea_evening = billing.validated(lea, evening, *(date(2026, 9, d) for d in (3, 4, 7, 8)))
    await billing.deliver(lea_evening)
    days = billing.booked(lea_evening)
    await billing.deliver(billing.cancelled(lea, evening, days[1:2], charged=False))
    await billing.deliver(billing.cancelled(lea, evening, days[2:3], charged=True))
    await billing.deliver(billing.validated(max_, evening, date(2026, 9, 3)))
    # Hourly care, from the attendance (2,5 h a day, QF 900 × 0,15 % = 1,35 € an hour).
    lea_hourly = billing.validated(lea, hourly, *(date(2026, 9, d) for d in (3, 4, 7, 8)))
    await billing.deliver(lea_hourly)
    h = billing.booked(lea_hourly)
    for day, status in zip(h[:3], ("present", "absent", "absent_justified"), strict=True):
        await billing.deliver(
            attendance(billing, hourly, day["date"], (lea, day["booking_id"], status))
        )
    surprise = uuid.uuid4()  # present although not booked that day
    await billing.deliver(
        attendance(billing, hourly, date(2026, 9, 10), (lea, surprise, "present"))
    )
    # Days that cannot be priced: no grid, and an activity billing does not know.
    await billing.deliver(billing.validated(lea, no_grid, date(2026, 9, 3)))
    unknown = {"activity_id": str(uuid.uuid4()), "name": "Inconnue"}
    await billing.deliver(billing.validated(lea, unknown, date(2026, 9, 3)))
    # Outside the period: not in this campaign.
    await billing.deliver(billing.validated(lea, evening, date(2026, 10, 1)))

    campaign = await billing.call(
        "POST", f"{T}/campaigns", staff, {"regie_id": regie["id"], **SEPT}, 201
    )
    assert campaign["status"] == "draft" and campaign["invoice_count"] == 2
    issues = {(i["severity"], i["code"], i["child_name"]) for i in campaign["issues"]}
    assert issues == {
        ("error", "price-grid-missing", "Léa"),
        ("error", "activity-not-configured", "Léa"),
        ("warning", "quotient-unknown", "Max"),
        ("warning", "attendance-missing", "Léa"),
    }
    assert (campaign["error_count"], campaign["warning_count"]) == (2, 2)
    drafts = (await billing.get(f"{T}/campaigns/{campaign['id']}/invoices"))["invoices"]
    by_household = {d["household_id"]: d for d in drafts}
    lea_draft = by_household[str(lea.household_id)]
    assert lea_draft["number"] is None and lea_draft["status"] == "draft"
    assert [
        (x["label"], x["quantity"], x["unit_cents"], x["amount_cents"]) for x in lea_draft["lines"]
    ] == [
        ("Accueil du soir — Léa", "3.00", 415, 1245),  # 3, 8 Sept, and 7 Sept cancelled late
        ("Garderie — Léa", "7.50", 135, 1013),  # present, unjustified absence, unexpected
    ]
    assert by_household[str(max_.household_id)]["lines"][0]["detail"].startswith("QF inconnu")
    assert campaign["draft_cents"] == 1245 + 1013 + 415
    # One draft campaign of a régie at a time over a period.
    await billing.call("POST", f"{T}/campaigns", staff, {"regie_id": regie["id"], **SEPT}, 409)
    # Refreshed (a price changed meanwhile): the same days, the new prices, nothing twice.
    grid = (await billing.get(f"{T}/billing/activities/{evening['activity_id']}/price-grids"))[
        "grids"
    ][0]
    brackets = [{**b, "amounts": [a + 5 for a in b["amounts"]]} for b in billing.BRACKETS]
    await billing.call(
        "PUT",
        f"{T}/price-grids/{grid['id']}",
        staff,
        {"valid_from": "2026-09-01", "brackets": brackets},
    )
    refreshed = await billing.call("POST", f"{T}/campaigns/{campaign['id']}/refresh", staff)
    assert refreshed["draft_cents"] == 1260 + 1013 + 420
    assert await billing.pool.fetchval("SELECT count(*) FROM charges") == 7
    # Finalised: numbers, one InvoiceIssued each, due after the régie's delay.
    finalised = await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff)
    assert finalised["status"] == "finalised" and finalised["issued_cents"] == 1260 + 1013 + 420
    issued = await billing.events("billing.InvoiceIssued", 2)
    assert sorted(e["payload"]["number"] for e in issued) == [
        "F-PERI-2026-000001",
        "F-PERI-2026-000002",
    ]
    assert {e["payload"]["due_date"] for e in issued} == {"2026-09-16"}
    assert {e["payload"]["campaign_id"] for e in issued} == {campaign["id"]}
    invoices = await billing.invoices(campaign_id=campaign["id"])
    assert len(invoices) == 2 and all(i["origin"] == "campaign" for i in invoices)
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff, status=409)
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/refresh", staff, status=409)
    await billing.call("DELETE", f"{T}/campaigns/{campaign['id']}", staff, status=409)

    # Run again for the same period: nothing new to bill.
    again = await billing.call(
        "POST", f"{T}/campaigns", staff, {"regie_id": regie["id"], **SEPT}, 201
    )
    assert again["invoice_count"] == 0 and again["draft_cents"] == 0
    await billing.call("DELETE", f"{T}/campaigns/{again['id']}", staff, status=204)
    # A late mark (8 Sept present): the corrective campaign bills that day only.
    await billing.deliver(
        attendance(billing, hourly, date(2026, 9, 8), (lea, h[3]["booking_id"], "present"))
    )
    corrective = await billing.call(
        "POST",
        f"{T}/campaigns",
        staff,
        {"regie_id": regie["id"], **SEPT, "due_date": "2026-10-15"},
        201,
    )
    assert corrective["invoice_count"] == 1 and corrective["draft_cents"] == 338  # 2,5 h × 1,35 €
    await billing.call("POST", f"{T}/campaigns/{corrective['id']}/finalise", staff)
    (last,) = await billing.invoices(campaign_id=corrective["id"])
    assert (last["number"], last["due_date"]) == ("F-PERI-2026-000003", "2026-10-15")
    listed = (await billing.get(f"{T}/campaigns?regie_id={regie['id']}"))["campaigns"]
    assert sorted(c["status"] for c in listed) == ["cancelled", "finalised", "finalised"]


async def test_a_campaign_invoice_deducts_the_payer_credits_and_a_cancelled_campaign_frees_its_days(
    billing,
):
    regie, evening, _, _, lea, _ = await setup(billing)
    staff = billing.staff()
    await billing.deliver(billing.validated(lea, evening, date(2026, 9, 3), date(2026, 9, 4)))
    campaign = await billing.call(
        "POST", f"{T}/campaigns", staff, {"regie_id": regie["id"], **SEPT}, 201
    )
    await billing.call("DELETE", f"{T}/campaigns/{campaign['id']}", staff, status=204)
    assert await billing.pool.fetchval("SELECT count(*) FROM charges") == 0
    campaign = await billing.call(
        "POST", f"{T}/campaigns", staff, {"regie_id": regie["id"], **SEPT}, 201
    )
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff)
    (invoice,) = await billing.invoices(campaign_id=campaign["id"])
    assert invoice["total_cents"] == 830
    # A day of an issued postpaid invoice cancelled free of charge afterwards: credited, and
    # the credit goes to the next campaign's invoice.
    booking_id = await billing.pool.fetchval(
        "SELECT booking_id FROM charges JOIN bookings USING (booking_id) WHERE day = '2026-09-04'"
    )
    day = [{"booking_id": booking_id, "date": date(2026, 9, 4), "late": False}]
    await billing.deliver(billing.cancelled(lea, evening, day, charged=False))
    await billing.deliver(billing.validated(lea, evening, date(2026, 10, 1), date(2026, 10, 2)))
    october = {"regie_id": regie["id"], "period_from": "2026-10-01", "period_to": "2026-10-31"}
    campaign = await billing.call("POST", f"{T}/campaigns", staff, october, 201)
    await billing.call("POST", f"{T}/campaigns/{campaign['id']}/finalise", staff)
    (invoice,) = await billing.invoices(campaign_id=campaign["id"])
    assert (invoice["total_cents"], invoice["credit_cents"], invoice["remaining_cents"]) == (
        830,
        415,
        415,
    )
    assert [x["kind"] for x in invoice["lines"]] == ["charge", "credit"]
    await billing.call("POST", f"{T}/campaigns", staff, {**october, "period_to": "2026-09-30"}, 422)
    await billing.call(
        "POST", f"{T}/campaigns", staff, {**october, "regie_id": str(uuid.uuid4())}, 404
    )
    await billing.get(f"{T}/campaigns/{uuid.uuid4()}", status=404)
