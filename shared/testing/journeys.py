"""What the in-process cross-service journeys (tests/test_journey_*.py) share: identity,
notify, family, booking and billing each started with its own schema, talking only through
RabbitMQ, notify sending to a real SMTP server; and the staff's usual setup, a family enrolled
in a holiday week billed by a régie."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

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
from shared.testing.smtp import RecordingHandler

PASSWORD = "Demo-2026-portail"
FAMILY_EMAIL = "famille@demo.example"
STAFF_EMAIL = "agent@demo.example"


@dataclass
class Suite:
    identity: TestClient
    notify: TestClient
    family: TestClient
    booking: TestClient
    billing: TestClient

    async def login(self, email: str) -> dict[str, str]:
        response = await self.identity.post(
            "/tenants/demo/login", json={"login": email, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        return {"Authorization": f"Bearer {(await response.json())['access_token']}"}

    async def call(
        self,
        client: TestClient,
        method: str,
        path: str,
        headers: Any,
        body: Any = None,
        status: int = 0,
    ) -> Any:
        response = await client.request(method, path, headers=headers, json=body)
        expected = (status,) if status else (200, 201)
        assert response.status in expected, f"{path}: {await response.text()}"
        return await response.json()


async def five_services(
    make_settings: Callable[..., Any],
    aiohttp_client: Callable[..., Any],
    smtp: RecordingHandler,
    **billing_settings: Any,
) -> Suite:
    """The five services started, every consumer running, the demo tenant loaded."""
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
                **billing_settings,
                **verified,
            )
        )
    )
    suite = Suite(identity, notify, family, booking, billing)

    async def consuming() -> bool:
        clients = (identity, notify, family, booking, billing)
        return all(c.running for client in clients for c in client.app[CONSUMERS])

    await eventually(consuming, timeout=20)
    await commands.load_demo(identity_settings)
    return suite


async def linked_household(
    suite: Suite, staff: dict[str, str], household: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Staff open `household` for the demo family, which links it with its subscriber code:
    the household as staff opened it, and the family's token once booking knows the link."""
    opened = await suite.call(suite.family, "POST", "/tenants/demo/households", staff, household)
    await suite.call(
        suite.family,
        "POST",
        "/tenants/demo/me/household/link",
        await suite.login(FAMILY_EMAIL),
        {"code": opened["subscriber_code"]},
    )

    async def linked_token() -> dict[str, str] | None:
        headers = await suite.login(FAMILY_EMAIL)
        response = await suite.booking.get("/tenants/demo/enrollments", headers=headers)
        return headers if response.status == 200 else None

    return opened, await eventually(linked_token, timeout=15, interval=0.3)


@dataclass
class HolidayWeek:
    staff: dict[str, str]
    household: dict[str, Any]  # as staff opened it
    parent: dict[str, str]  # the family's token, issued after the link
    child: dict[str, Any]
    activity: dict[str, Any]
    regie: dict[str, Any]
    dates: list[str]  # the week's open days


async def enrolled_in_a_holiday_week(
    suite: Suite,
    household: dict[str, Any],
    brackets: list[dict[str, Any]],
    *,
    card_payments: bool = False,
) -> HolidayWeek:
    """Staff open `household` for the demo family, which links it; a holiday week in five
    weeks' time billed prepaid by the régie ENFANCE at `brackets` (its card payments on
    eopayment's dummy backend if asked); the household's only child enrolled in it."""
    call = suite.call
    staff = await suite.login(STAFF_EMAIL)
    opened, parent = await linked_household(suite, staff, household)
    (child,) = opened["children"]
    start = date.today() + timedelta(days=35 - date.today().weekday())
    activity = await call(
        suite.booking,
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
        suite.billing,
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
    if card_payments:
        await call(
            suite.billing,
            "PUT",
            f"/tenants/demo/regies/{regie['id']}/card-payment",
            staff,
            {"backend": "dummy", "options": {"origin": "Portail Famille"}},
        )
    await call(
        suite.billing,
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
        suite.billing,
        "POST",
        f"/tenants/demo/billing/activities/{activity['id']}/price-grids",
        staff,
        {"valid_from": (start - timedelta(days=60)).isoformat(), "brackets": brackets},
    )
    days = await call(
        suite.booking, "GET", f"/tenants/demo/activities/{activity['id']}/days", staff
    )

    async def enrolled() -> dict[str, Any] | None:
        response = await suite.booking.post(
            "/tenants/demo/enrollments",
            headers=parent,
            json={"child_id": child["id"], "activity_id": activity["id"]},
        )
        return await response.json() if response.status == 201 else None

    await eventually(enrolled, timeout=15, interval=0.3)
    return HolidayWeek(
        staff=staff,
        household=opened,
        parent=parent,
        child=child,
        activity=activity,
        regie=regie,
        dates=[d["date"] for d in days["days"]],
    )
