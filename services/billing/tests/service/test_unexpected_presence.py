"""An unexpected presence as booking's attendance sheet records it (a booking billing never
saw validated, marked present in one AttendanceRecorded event): a postpaid campaign from
attendance charges it where the activity bills unexpected presences, and only there."""

from __future__ import annotations

import uuid
from datetime import date

T = "/tenants/epagny"
SEPT = {"period_from": "2026-09-01", "period_to": "2026-09-30"}


async def test_an_unexpected_presence_is_charged_where_the_activity_says_so(billing):
    regie = await billing.regie(code="PERI", name="Régie périscolaire")
    charged, free = [
        await billing.activity(
            regie,
            mode="postpaid",
            name=name,
            unit="day",
            postpaid_source="attendance",
            bill_unexpected=bill,
        )
        for name, bill in (("Accueil du soir", True), ("Accueil du matin", False))
    ]
    lea = await billing.kid(qf=900)
    for activity in (charged, free):
        # What booking's POST .../attendance/unexpected publishes: a fresh booking, present.
        await billing.deliver(
            billing.booking_event(
                "booking.AttendanceRecorded",
                activity_id=uuid.UUID(activity["activity_id"]),
                activity_name=activity["name"],
                activity_type="PERI",
                site="École du Centre",
                date=date(2026, 9, 17),
                recorded_by=uuid.uuid4(),
                marks=[
                    {
                        "booking_id": uuid.uuid4(),
                        "child_id": lea.child_id,
                        "household_id": lea.household_id,
                        "status": "present",
                        "late": False,
                    }
                ],
            )
        )

    campaign = await billing.call(
        "POST", f"{T}/campaigns", billing.staff(), {"regie_id": regie["id"], **SEPT}, 201
    )
    (draft,) = (await billing.get(f"{T}/campaigns/{campaign['id']}/invoices"))["invoices"]
    assert draft["household_id"] == str(lea.household_id)
    assert [(x["label"], x["quantity"]) for x in draft["lines"]] == [
        ("Accueil du soir — Léa", "1.00")
    ]
    assert draft["lines"][0]["amount_cents"] > 0
