"""Journey across services: staff invite the guardians of an imported household in one
action (family's onboarding run → identity creates each account already linked → notify
emails the invitation through a real SMTP server); the guardian whose email another account
uses is reported, and so is the one whose invitation the mail server refused (550: notify's
emails, asked as the staff report asks); the invited parent sets a password and lands on the
household."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from shared.testing.bus import eventually
from shared.testing.journeys import PASSWORD, five_services
from shared.testing.smtp import smtp_server

INVITED = "claire.durand@example.fr"
UNKNOWN = "jules.durand@example.fr"  # no such mailbox: the server refuses it for good
REFUSAL = "550 5.1.1 <jules.durand@example.fr>: Recipient address rejected"


async def test_staff_invite_the_imported_guardians_who_then_reach_their_household(
    make_settings, aiohttp_client, demo_household
):
    with smtp_server() as smtp:
        suite = await five_services(make_settings, aiohttp_client, smtp)
        call = suite.call
        smtp.refuse_to(UNKNOWN, REFUSAL)
        staff = await suite.login("agent@demo.example")
        # Three guardians: one new, one whose mailbox does not exist, one whose email the
        # demo family account already uses.
        household: dict[str, Any] = dict(demo_household)
        household["guardians"] = [
            {"first_name": "Claire", "last_name": "Durand", "email": INVITED},
            {"first_name": "Jules", "last_name": "Durand", "email": UNKNOWN},
            *demo_household["guardians"],
        ]
        opened = await call(suite.family, "POST", "/tenants/demo/households", staff, household)
        run = await call(
            suite.family,
            "POST",
            "/tenants/demo/onboarding-runs",
            staff,
            {"household_ids": [opened["id"]]},
            status=201,
        )
        assert (run["total"], run["pending"]) == (3, 3)

        async def done() -> dict[str, Any] | None:
            body = await call(
                suite.family, "GET", f"/tenants/demo/onboarding-runs/{run['id']}", staff
            )
            return body if body["done"] else None

        report = await eventually(done, timeout=20, interval=0.3)
        states = {g["email"]: (g["state"], g["reason"]) for g in report["guardians"]}
        assert states == {
            INVITED: ("invited", None),
            UNKNOWN: ("invited", None),  # for family and identity: the account is made
            "famille@demo.example": ("skipped", "email_taken"),
        }
        accounts = {g["email"]: g["account_id"] for g in report["guardians"] if g["account_id"]}

        # The report's question to notify (as the staff page asks it): of the run's invited
        # accounts, whose invitation did the mail server refuse? Jules's, with its answer.
        async def refused() -> list[Any] | None:
            page = await call(
                suite.notify,
                "GET",
                "/tenants/demo/emails?event_type=identity.AccountInvited&status=failed"
                f"&account_id={accounts[INVITED]},{accounts[UNKNOWN]}",
                staff,
            )
            return page["items"] or None

        (bounced,) = await eventually(refused, timeout=20, interval=0.3)
        assert bounced["account_id"] == accounts[UNKNOWN]
        assert bounced["recipient"] == UNKNOWN
        assert (
            bounced["last_error"].startswith("550")
            and "Recipient address rejected" in (bounced["last_error"])
        )
        assert smtp.to(UNKNOWN) == []

        # notify emails the invitation (once).
        def invitations() -> list[Any]:
            return [
                m
                for m in smtp.to(INVITED)
                if str(m["Subject"]).startswith("Votre compte sur le portail")
            ]

        async def invitation() -> Any:
            return invitations() or None

        (message,) = await eventually(invitation, timeout=20, interval=0.2)
        text = message.get_body(("plain",)).get_content()
        url = re.search(r"https?://\S+", text)
        assert url, text
        token = parse_qs(urlparse(url.group(0)).query)["token"][0]
        accepted = await suite.identity.post(
            "/tenants/demo/invitation/accept", json={"token": token, "password": PASSWORD}
        )
        assert accepted.status == 200, await accepted.text()
        parent = {"Authorization": f"Bearer {(await accepted.json())['access_token']}"}
        me = await call(suite.identity, "GET", "/tenants/demo/me", parent)
        assert me["household_id"] == opened["id"]  # linked from the start
        if me["terms"]["must_accept"]:
            version = me["terms"]["current_version"]
            tokens = await call(
                suite.identity, "POST", "/tenants/demo/me/terms", parent, {"version": version}
            )
            parent = {"Authorization": f"Bearer {tokens['access_token']}"}
        mine = await call(suite.family, "GET", "/tenants/demo/me/household", parent)
        assert mine["id"] == opened["id"]

        # A second run leaves her out; resuming the first asks nobody again.
        again = await call(
            suite.family,
            "POST",
            "/tenants/demo/onboarding-runs",
            staff,
            {"household_ids": [opened["id"]]},
            status=201,
        )
        reasons = {g["email"]: g["reason"] for g in again["guardians"]}
        assert reasons[INVITED] == reasons[UNKNOWN] == "already_invited"
        resumed = await call(
            suite.family, "POST", f"/tenants/demo/onboarding-runs/{run['id']}/resume", staff
        )
        assert resumed["pending"] == 0
        assert len(invitations()) == 1
