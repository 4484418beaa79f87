"""Journey across services: a basket validated in booking is invoiced by billing, the family
pays the invoice by card through eopayment's dummy backend (the payment started in billing,
then the bank's notification exactly as the dummy page sends it, sent twice), the invoice
is paid once, billing.PaymentReceived goes out and notify emails the receipt to the family
through a real SMTP server. identity, family, booking, billing and notify each with its own
schema, talking only through RabbitMQ."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

from billing.dummy_page import page_answer
from shared.testing.bus import eventually
from shared.testing.journeys import FAMILY_EMAIL, enrolled_in_a_holiday_week, five_services
from shared.testing.smtp import smtp_server

PUBLIC = "https://portail.demo.test/api/billing"
BRACKETS = [{"qf_min": 0, "qf_max": None, "amounts": [415]}]
PRICE = 415


async def test_a_basket_invoice_is_paid_by_card_once_and_the_receipt_emailed(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        suite = await five_services(
            make_settings,
            aiohttp_client,
            smtp,
            public_url=PUBLIC,
            portal_url="https://portail.demo.test",
        )
        week = await enrolled_in_a_holiday_week(suite, demo_household, BRACKETS, card_payments=True)
        booking, billing, call = suite.booking, suite.billing, suite.call
        parent, child, activity, dates = week.parent, week.child, week.activity, week.dates

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
