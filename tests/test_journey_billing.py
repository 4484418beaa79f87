"""Journey across services, from a basket validated to the invoice in the family's mailbox
and its PDF; then a day cancelled in time becomes a credit note, deducted from the next
invoice. identity (accounts, tokens), family (household, link), booking (activity,
enrollment, baskets, cancellation), billing (prices, invoices, credit notes) and notify
(emails through a real SMTP server), each with its own schema, talking only through RabbitMQ.
"""

from __future__ import annotations

import uuid
from typing import Any

from shared.testing.bus import eventually
from shared.testing.journeys import FAMILY_EMAIL, enrolled_in_a_holiday_week, five_services
from shared.testing.smtp import smtp_server

# The household's quotient is unknown to billing: the maximum price applies (4,15 €).
BRACKETS = [
    {"qf_min": 0, "qf_max": 450, "amounts": [120]},
    {"qf_min": 451, "qf_max": 800, "amounts": [250]},
    {"qf_min": 801, "qf_max": None, "amounts": [415]},
]
PRICE = 415


async def test_a_basket_is_invoiced_emailed_downloaded_and_a_cancelled_day_credited(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        suite = await five_services(make_settings, aiohttp_client, smtp)
        week = await enrolled_in_a_holiday_week(suite, demo_household, BRACKETS)
        booking, billing, call = suite.booking, suite.billing, suite.call
        parent, child, activity, dates = week.parent, week.child, week.activity, week.dates
        household = week.household

        async def book(days: list[str]) -> dict[str, Any]:
            basket = await call(
                booking,
                "POST",
                "/tenants/demo/baskets",
                parent,
                {
                    "lines": [
                        {"child_id": child["id"], "activity_id": activity["id"], "dates": days}
                    ]
                },
            )
            return await call(
                booking, "POST", f"/tenants/demo/baskets/{basket['id']}/validate", parent, {}
            )

        # 1. Three days booked: one invoice of 3 × 4,15 €, emailed, downloadable as a PDF.
        validated = await book(dates[:3])
        assert validated["confirmed"] == 3

        async def invoices(count: int) -> list[dict[str, Any]] | None:
            body = await call(billing, "GET", "/tenants/demo/invoices", parent)
            return body["invoices"] if len(body["invoices"]) >= count else None

        (invoice,) = await eventually(lambda: invoices(1), timeout=20, interval=0.3)
        assert invoice["number"].startswith("F-ENFANCE-")
        assert invoice["total_cents"] == 3 * PRICE
        assert invoice["household_id"] == household["id"]

        def mail(subject: str) -> Any:
            async def found() -> Any:
                return next(
                    (m for m in smtp.to(FAMILY_EMAIL) if subject in str(m["Subject"])), None
                )

            return found

        email = await eventually(mail(invoice["number"]), timeout=20, interval=0.2)
        text = email.get_body(preferencelist=("plain",)).get_content()
        assert "12,45 €" in text and "Régie Enfance-Jeunesse" in text
        assert not any(
            invoice["number"] in str(m["Subject"]) for m in smtp.to("agent@demo.example")
        )

        pdf = await billing.get(f"/tenants/demo/invoices/{invoice['id']}/pdf", headers=parent)
        assert pdf.status == 200 and pdf.content_type == "application/pdf"
        assert (await pdf.read()).startswith(b"%PDF")
        # Nobody else's: an unknown invoice id answers like another household's (404).
        other = await billing.get(f"/tenants/demo/invoices/{uuid.uuid4()}/pdf", headers=parent)
        assert other.status == 404

        # 2. The first day cancelled before the deadline: a credit note, emailed.
        first = next(line for line in validated["lines"] if line["date"] == dates[0])
        await call(
            booking, "POST", f"/tenants/demo/bookings/{first['booking_id']}/cancel", parent, {}
        )

        async def credit_notes() -> list[dict[str, Any]] | None:
            body = await call(billing, "GET", "/tenants/demo/credit-notes", parent)
            return body["credit_notes"] or None

        (credit,) = await eventually(credit_notes, timeout=20, interval=0.3)
        assert credit["total_cents"] == PRICE and credit["number"].startswith("A-ENFANCE-")
        await eventually(mail(credit["number"]), timeout=20, interval=0.2)

        # 3. The next basket's invoice deducts the credit.
        await book(dates[3:4])
        newest, _ = await eventually(lambda: invoices(2), timeout=20, interval=0.3)
        assert newest["total_cents"] == PRICE
        assert newest["credit_cents"] == PRICE
        assert newest["remaining_cents"] == 0
