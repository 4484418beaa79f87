"""Journey across services, from a household's creation to the booking recap in the family's
mailbox: identity (accounts, tokens), family (household, child, link by subscriber code),
booking (activity, enrollment, basket validated) and notify (email through a real SMTP
server), each service with its own schema, talking only through RabbitMQ."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.testing.bus import eventually
from shared.testing.journeys import five_services
from shared.testing.smtp import smtp_server

FAMILY_EMAIL = "famille@demo.example"


async def test_a_household_books_a_holiday_week_and_gets_the_recap(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        # (billing runs too: this activity has no price, so it bills nothing.)
        suite = await five_services(make_settings, aiohttp_client, smtp)
        family, booking = suite.family, suite.booking
        login, call = suite.login, suite.call

        # Staff open the household file with one child (family → booking: ChildRegistered).
        staff = await login("agent@demo.example")
        household = await call(
            family,
            "POST",
            "/tenants/demo/households",
            staff,
            demo_household,
        )
        (child,) = household["children"]

        # The family links its account (family → identity and notify: HouseholdLinked).
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
            return headers if response.status == 200 else None  # 403 until linked

        parent = await eventually(linked_token, timeout=15, interval=0.3)

        # A holiday week a month from now, one place left on its first day.
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
        days = await call(booking, "GET", f"/tenants/demo/activities/{activity['id']}/days", staff)
        dates = [d["date"] for d in days["days"]][:3]
        assert len(dates) == 3

        async def enrolled() -> dict[str, Any] | None:  # once booking knows the child
            response = await booking.post(
                "/tenants/demo/enrollments",
                headers=parent,
                json={"child_id": child["id"], "activity_id": activity["id"]},
            )
            return await response.json() if response.status == 201 else None

        enrollment = await eventually(enrolled, timeout=15, interval=0.3)
        assert enrollment["status"] == "approved"

        basket = await call(
            booking,
            "POST",
            "/tenants/demo/baskets",
            parent,
            {"lines": [{"child_id": child["id"], "activity_id": activity["id"], "dates": dates}]},
        )
        result = await call(
            booking, "POST", f"/tenants/demo/baskets/{basket['id']}/validate", parent, {}
        )
        assert [line["outcome"] for line in result["lines"]] == ["confirmed"] * 3

        # booking → notify: one recap email listing every date, to the linked guardian.
        async def recap() -> Any:
            return next(
                (m for m in smtp.to(FAMILY_EMAIL) if "réservations" in str(m["Subject"])), None
            )

        mail = await eventually(recap, timeout=20, interval=0.2)
        assert "Léo" in str(mail["Subject"])
        text = mail.get_body(preferencelist=("plain",)).get_content()
        assert "Centre de loisirs" in text
        for day in dates:
            assert str(date.fromisoformat(day).day) in text
        # The demo accounts' activation emails went out too (identity → notify).
        assert any("Bienvenue" in str(m["Subject"]) for m in smtp.to(FAMILY_EMAIL))
