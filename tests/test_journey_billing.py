"""Journey across services, from a basket validated to the invoice in the family's mailbox
and its PDF; then a day cancelled in time becomes a credit note, deducted from the next
invoice. identity (accounts, tokens), family (household, link), booking (activity,
enrollment, baskets, cancellation), billing (prices, invoices, credit notes) and notify
(emails through a real SMTP server), each with its own schema, talking only through RabbitMQ.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from billing.app import create_app as create_billing
from billing.settings import BillingSettings
from booking.app import create_app as create_booking
from booking.settings import BookingSettings
from family.app import create_app as create_family
from family.settings import FamilySettings
from identity import commands
from identity.app import create_app as create_identity
from identity.settings import IdentitySettings
from notify.app import create_app as create_notify
from notify.settings import NotifySettings
from shared.keys import CONSUMERS
from shared.testing.bus import eventually
from shared.testing.smtp import smtp_server

PASSWORD = "Demo-2026-portail"
FAMILY_EMAIL = "famille@demo.example"
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
        identity_settings = make_settings(IdentitySettings)
        identity = await aiohttp_client(create_identity(identity_settings))
        jwks = str(identity.make_url("/.well-known/jwks.json"))
        verified = {"jwks_url": jwks, "jwt_issuer": identity_settings.jwt_issuer}
        notify = await aiohttp_client(
            create_notify(
                make_settings(
                    NotifySettings,
                    smtp_port=smtp.port,
                    dispatch_sweep_seconds=0.1,
                    mail_basket_grace_seconds=0.5,
                    **verified,
                )
            )
        )
        family = await aiohttp_client(create_family(make_settings(FamilySettings, **verified)))
        booking = await aiohttp_client(create_booking(make_settings(BookingSettings, **verified)))
        billing = await aiohttp_client(
            create_billing(
                make_settings(
                    BillingSettings,
                    basket_invoice_grace_seconds=0.5,
                    basket_invoice_sweep_seconds=0.2,
                    **verified,
                )
            )
        )
        clients = (identity, notify, family, booking, billing)

        async def consuming() -> bool:
            return all(c.running for client in clients for c in client.app[CONSUMERS])

        await eventually(consuming, timeout=20)
        await commands.load_demo(identity_settings)

        async def login(email: str) -> dict[str, str]:
            response = await identity.post(
                "/tenants/demo/login", json={"login": email, "password": PASSWORD}
            )
            assert response.status == 200, await response.text()
            return {"Authorization": f"Bearer {(await response.json())['access_token']}"}

        async def call(
            client: Any, method: str, path: str, headers: Any, body: Any = None, status: int = 0
        ) -> Any:
            response = await client.request(method, path, headers=headers, json=body)
            expected = (status,) if status else (200, 201)
            assert response.status in expected, f"{path}: {await response.text()}"
            return await response.json()

        staff = await login("agent@demo.example")
        household = await call(family, "POST", "/tenants/demo/households", staff, demo_household)
        (child,) = household["children"]
        await call(
            family,
            "POST",
            "/tenants/demo/me/household/link",
            await login(FAMILY_EMAIL),
            {"code": household["subscriber_code"]},
        )

        async def linked_token() -> dict[str, str] | None:
            headers = await login(FAMILY_EMAIL)
            response = await booking.get("/tenants/demo/enrollments", headers=headers)
            return headers if response.status == 200 else None

        parent = await eventually(linked_token, timeout=15, interval=0.3)

        # Staff: a holiday week in booking, billed prepaid by the canteen's régie.
        start = date.today() + timedelta(days=35 - date.today().weekday())
        activity = await call(
            booking,
            "POST",
            "/tenants/demo/activities",
            staff,
            {
                "name": "Centre de loisirs — semaine de vacances",
                "type": "VACANCES",
                "site": "Centre du Lac",
                "period_from": start.isoformat(),
                "period_to": (start + timedelta(days=4)).isoformat(),
                "weekdays": [1, 2, 3, 4, 5],
                "capacity": 10,
                "booking_deadline": {"days_before": 2, "at": "23:59"},
                "cancel_deadline": {"days_before": 2, "at": "23:59"},
            },
        )
        regie = await call(
            billing,
            "POST",
            "/tenants/demo/regies",
            staff,
            {
                "code": "ENFANCE",
                "name": "Régie Enfance-Jeunesse",
                "address": "Mairie, 1 place de la Mairie, 74330 Epagny Metz-Tessy",
                "email": "regie@demo.example",
            },
        )
        await call(
            billing,
            "PUT",
            f"/tenants/demo/billing/activities/{activity['id']}",
            staff,
            {
                "regie_id": regie["id"],
                "name": "Centre de loisirs",
                "billing_mode": "prepaid",
                "unit": "day",
            },
        )
        await call(
            billing,
            "POST",
            f"/tenants/demo/billing/activities/{activity['id']}/price-grids",
            staff,
            {"valid_from": (start - timedelta(days=60)).isoformat(), "brackets": BRACKETS},
        )
        days = await call(booking, "GET", f"/tenants/demo/activities/{activity['id']}/days", staff)
        dates = [d["date"] for d in days["days"]]

        async def enrolled() -> dict[str, Any] | None:
            response = await booking.post(
                "/tenants/demo/enrollments",
                headers=parent,
                json={"child_id": child["id"], "activity_id": activity["id"]},
            )
            return await response.json() if response.status == 201 else None

        await eventually(enrolled, timeout=15, interval=0.3)

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
