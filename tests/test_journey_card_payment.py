"""Journey across services: a basket validated in booking is invoiced by billing, the family
pays the invoice by card through eopayment's dummy backend (the payment started in billing,
then the bank's notification exactly as the dummy page sends it, sent twice), the invoice
is paid once, billing.PaymentReceived goes out and notify emails the receipt to the family
through a real SMTP server. identity, family, booking, billing and notify each with its own
schema, talking only through RabbitMQ."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from billing.app import create_app as create_billing
from billing.dummy_page import page_answer
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
PUBLIC = "https://portail.demo.test/api/billing"
BRACKETS = [{"qf_min": 0, "qf_max": None, "amounts": [415]}]
PRICE = 415


async def test_a_basket_invoice_is_paid_by_card_once_and_the_receipt_emailed(
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
                    public_url=PUBLIC,
                    portal_url="https://portail.demo.test",
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

        # Staff: a holiday week billed prepaid by a régie taking card payments online.
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
            f"/tenants/demo/regies/{regie['id']}/card-payment",
            staff,
            {"backend": "dummy", "options": {"origin": "Portail Famille"}},
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

        # 1. The family validates a basket of three days: one invoice of 3 × 4,15 €.
        basket = await call(
            booking,
            "POST",
            "/tenants/demo/baskets",
            parent,
            {
                "lines": [
                    {"child_id": child["id"], "activity_id": activity["id"], "dates": dates[:3]}
                ]
            },
        )
        validated = await call(
            booking, "POST", f"/tenants/demo/baskets/{basket['id']}/validate", parent, {}
        )
        assert validated["confirmed"] == 3

        async def current() -> list[dict[str, Any]] | None:
            body = await call(billing, "GET", "/tenants/demo/invoices?status=current", parent)
            return body["invoices"] or None

        (invoice,) = await eventually(current, timeout=20, interval=0.3)
        assert invoice["total_cents"] == invoice["remaining_cents"] == 3 * PRICE
        assert invoice["basket_id"] == basket["id"]

        # 2. It pays by card: the bank's page for 12,45 €, never the browser's amount.
        started = await call(
            billing,
            "POST",
            "/tenants/demo/card-payments",
            parent,
            {"invoice_ids": [invoice["id"]], "email": FAMILY_EMAIL},
            201,
        )
        query = parse_qs(urlsplit(started["payment_url"]).query)
        assert query["amount"] == ["12.45"]
        # 3. The dummy page notifies billing (signed, paid), and the bank sends it twice.
        answer = page_answer(started["payment_url"], paid=True)
        assert answer.notification_url.startswith(PUBLIC)
        for _ in range(2):
            response = await billing.post(
                answer.notification_url[len(PUBLIC) :],
                data=answer.body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert response.status == 200, await response.text()
        # The browser comes back: sent to the portal, which reads the transaction.
        back = await billing.get(answer.return_url[len(PUBLIC) :], allow_redirects=False)
        assert back.status == 303
        assert back.headers["Location"].endswith(
            f"transaction={started['transaction_id']}&statut=paid"
        )
        tx = await call(
            billing, "GET", f"/tenants/demo/card-payments/{started['transaction_id']}", parent
        )
        assert tx["status"] == "paid" and tx["payment_number"].startswith("R-ENFANCE-")

        # 4. Paid once: nothing left on the invoice, one payment.
        paid = await call(billing, "GET", f"/tenants/demo/invoices/{invoice['id']}", parent)
        assert (paid["remaining_cents"], paid["paid_cents"]) == (0, 3 * PRICE)
        body = await call(billing, "GET", "/tenants/demo/payments", parent)
        (payment,) = body["payments"]
        assert (payment["method"], payment["amount_cents"], payment["credit_cents"]) == (
            "card",
            3 * PRICE,
            0,
        )

        # 5. notify emails the receipt to the family, once.
        def receipts() -> list[Any]:
            return [m for m in smtp.to(FAMILY_EMAIL) if payment["number"] in str(m["Subject"])]

        async def emailed() -> Any:
            return receipts() or None

        (email,) = await eventually(emailed, timeout=20, interval=0.2)
        text = email.get_body(preferencelist=("plain",)).get_content()
        assert "12,45 €" in text and invoice["number"] in text
        assert "Régie Enfance-Jeunesse" in text
        await asyncio.sleep(1.0)  # a second PaymentReceived would have been emailed by now
        assert len(receipts()) == 1
