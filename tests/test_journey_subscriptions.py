"""Journey across services: a guardian of two households ("Mes abonnements"). The demo
family's account is linked to two households by their subscriber codes (family), switches
between them (identity: new tokens naming the current household), and sees only the current
household's file, reservations and invoices (family, booking, billing scope by the token's
household); another household's id in a path is refused; it switches back."""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.testing.bus import eventually
from shared.testing.journeys import enrolled_in_a_holiday_week, five_services
from shared.testing.smtp import smtp_server

BRACKETS = [{"qf_min": 0, "qf_max": None, "amounts": [415]}]
SWITCH = "/tenants/demo/accounts/me/current-household"


def claims(headers: dict[str, str]) -> dict[str, Any]:
    payload = headers["Authorization"].removeprefix("Bearer ").split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_one_account_two_households_each_seen_apart(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        suite = await five_services(make_settings, aiohttp_client, smtp)
        # The first household (Durand, Léo), linked by its code, its child booked and billed.
        week = await enrolled_in_a_holiday_week(suite, demo_household, BRACKETS)
        call, staff, parent = suite.call, week.staff, week.parent
        durand, leo = week.household, week.child
        basket = await call(
            suite.booking,
            "POST",
            "/tenants/demo/baskets",
            parent,
            {
                "lines": [
                    {
                        "child_id": leo["id"],
                        "activity_id": week.activity["id"],
                        "dates": week.dates[:1],
                    }
                ]
            },
        )
        await call(
            suite.booking, "POST", f"/tenants/demo/baskets/{basket['id']}/validate", parent, {}
        )

        async def invoices(headers: dict[str, str]) -> list[dict[str, Any]]:
            return (await call(suite.billing, "GET", "/tenants/demo/invoices", headers))["invoices"]

        async def billed() -> list[dict[str, Any]] | None:
            return await invoices(parent) or None

        (invoice,) = await eventually(billed, timeout=20, interval=0.3)
        assert invoice["household_id"] == durand["id"]

        # The second household (the other parent's, Benali, Inès), linked by its own code.
        benali = await call(
            suite.family,
            "POST",
            "/tenants/demo/households",
            staff,
            {
                **demo_household,
                "guardians": [
                    {**demo_household["guardians"][0], "last_name": "Benali"},
                ],
                "children": [{**demo_household["children"][0], "first_name": "Inès", "sex": "F"}],
            },
        )
        await call(
            suite.family,
            "POST",
            "/tenants/demo/me/household/link",
            parent,
            {"code": benali["subscriber_code"]},
        )
        mine = await call(suite.family, "GET", "/tenants/demo/accounts/me/households", parent)
        assert [(h["id"], h["current"]) for h in mine["items"]] == [
            (durand["id"], True),
            (benali["id"], False),
        ]
        assert mine["items"][1]["label"] == "Foyer Benali"
        # Still on the first household after the second link.
        assert claims(await suite.login("famille@demo.example"))["household_id"] == durand["id"]

        # Switch, once identity has heard of the second link (HouseholdLinked).
        async def switched() -> dict[str, Any] | None:
            response = await suite.identity.post(
                SWITCH, headers=parent, json={"household_id": benali["id"]}
            )
            return await response.json() if response.status == 200 else None

        on_benali = bearer(await eventually(switched, timeout=15, interval=0.3))
        assert claims(on_benali)["household_id"] == benali["id"]
        file = await call(suite.family, "GET", "/tenants/demo/me/household", on_benali)
        assert file["id"] == benali["id"]
        assert [c["first_name"] for c in file["children"]] == ["Inès"]
        ines, month = file["children"][0], week.dates[0][:7]

        async def ines_calendar() -> bool:
            path = f"/tenants/demo/children/{ines['id']}/calendar?month={month}"
            return (await suite.booking.get(path, headers=on_benali)).status == 200

        await eventually(ines_calendar, timeout=15, interval=0.3)  # booking heard of her
        enrolled = await call(suite.booking, "GET", "/tenants/demo/enrollments", on_benali)
        assert enrolled["items"] == []
        assert await invoices(on_benali) == []
        # The first household's ids in paths: refused.
        for client, path in (
            (suite.booking, f"/tenants/demo/children/{leo['id']}/calendar?month={month}"),
            (suite.billing, f"/tenants/demo/invoices/{invoice['id']}/pdf"),
            (suite.billing, f"/tenants/demo/billing/households/{durand['id']}/payers"),
        ):
            response = await client.get(path, headers=on_benali)
            assert response.status in (403, 404), (path, response.status)
        listed = await call(suite.family, "GET", "/tenants/demo/accounts/me/households", on_benali)
        assert [h["current"] for h in listed["items"]] == [False, True]
        # A new login lands on the current household.
        assert claims(await suite.login("famille@demo.example"))["household_id"] == benali["id"]

        # And back: the first household's invoice and child again, the second's refused.
        response = await suite.identity.post(
            SWITCH, headers=on_benali, json={"household_id": durand["id"]}
        )
        assert response.status == 200, await response.text()
        on_durand = bearer(await response.json())
        assert claims(on_durand)["household_id"] == durand["id"]
        assert [i["id"] for i in await invoices(on_durand)] == [invoice["id"]]
        file = await call(suite.family, "GET", "/tenants/demo/me/household", on_durand)
        assert [c["first_name"] for c in file["children"]] == ["Léo"]
        response = await suite.billing.get(
            f"/tenants/demo/billing/households/{benali['id']}/payers", headers=on_durand
        )
        assert response.status == 403
        calendars = "/tenants/demo/children/{}/calendar?month=" + month
        response = await suite.booking.get(calendars.format(leo["id"]), headers=on_durand)
        assert response.status == 200
        response = await suite.booking.get(calendars.format(ines["id"]), headers=on_durand)
        assert response.status in (403, 404)
