"""Guardians of imported households invited by family's onboarding run
(family.GuardianInvitationRequested): the account is created already linked to the
household, invited once (AccountInvited), and the answer tells family what happened."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import jwt

from shared.events.envelope import Event, new_event
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

Portal = Any


async def publish(bus_namespace: Any, event_type: str, payload: dict[str, Any]) -> Event:
    """What the family service's relay does."""
    event = new_event(event_type, payload, tenant_id="epagny", producer="family")
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{bus_namespace.name}.events")
        await exchange.publish(
            aio_pika.Message(json.dumps(event.to_json()).encode(), message_id=str(event.id)),
            routing_key=event_type,
        )
    finally:
        await connection.close()
    return event


async def handled(portal: Portal, event: Event) -> None:
    async def done() -> Any:
        return await portal.pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event.id)

    await eventually(done)


def request(run: uuid.UUID, household: uuid.UUID, guardian: uuid.UUID, email: str) -> Any:
    return {
        "run_id": run,
        "household_id": household,
        "guardian_id": guardian,
        "email": email,
        "display_name": "Claire Martin",
        "requested_by": uuid.uuid4(),
    }


async def test_a_guardian_is_invited_once_with_the_household_linked(
    portal: Portal, bus_namespace: Any
) -> None:
    async with EventTap(
        AMQP_URL,
        bus_namespace.name,
        ["identity.GuardianInvitationAnswered", "identity.AccountInvited"],
    ) as tap:
        run, household, guardian = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        asked = request(run, household, guardian, "Claire.Martin@example.fr")
        await handled(
            portal, await publish(bus_namespace, "family.GuardianInvitationRequested", asked)
        )
        (answer,) = await tap.wait_for(1, event_type="identity.GuardianInvitationAnswered")
        account_id = answer["payload"]["account_id"]
        assert answer["payload"] == {
            "run_id": str(run),
            "household_id": str(household),
            "guardian_id": str(guardian),
            "outcome": "invited",
            "account_id": account_id,
        }
        (invited,) = await tap.wait_for(1, event_type="identity.AccountInvited")
        assert invited["payload"]["email"] == "claire.martin@example.fr"
        assert invited["payload"]["roles"] == ["family"]
        assert invited["payload"]["invitation_url"]

        # The account is linked already: accepting the invitation gives a token with the
        # household.
        token = portal.link_token(invited["payload"]["invitation_url"])
        r = await portal.post("/invitation/accept", {"token": token, "password": portal.PASSWORD})
        assert r.status == 200, await r.text()
        claims = jwt.decode((await r.json())["access_token"], options={"verify_signature": False})
        assert claims["household_id"] == str(household)
        assert claims["sub"] == account_id

        # Asked again (a resumed run): the same answer, no second invitation.
        again = await publish(bus_namespace, "family.GuardianInvitationRequested", asked)
        await handled(portal, again)
        answers = await tap.wait_for(2, event_type="identity.GuardianInvitationAnswered")
        assert answers[1]["payload"] == answer["payload"]
        assert len(tap.of_type("identity.AccountInvited")) == 1
        count = await portal.pool.fetchval(
            "SELECT count(*) FROM accounts WHERE email = 'claire.martin@example.fr'"
        )
        assert count == 1
        audit = await portal.pool.fetchval(
            "SELECT details->>'mode' FROM audit_log WHERE action = 'account_created'"
            " AND account_id = $1",
            uuid.UUID(account_id),
        )
        assert audit == "onboarding"


async def test_an_email_used_by_another_account_is_reported_not_invited(
    portal: Portal, bus_namespace: Any
) -> None:
    await portal.family("deja.inscrit@example.fr")
    async with EventTap(
        AMQP_URL,
        bus_namespace.name,
        ["identity.GuardianInvitationAnswered", "identity.AccountInvited"],
    ) as tap:
        run, household, guardian = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        event = await publish(
            bus_namespace,
            "family.GuardianInvitationRequested",
            request(run, household, guardian, "deja.inscrit@example.fr"),
        )
        await handled(portal, event)
        (answer,) = await tap.wait_for(1, event_type="identity.GuardianInvitationAnswered")
        assert answer["payload"]["outcome"] == "email_taken"
        assert answer["payload"]["account_id"] is None
        assert tap.of_type("identity.AccountInvited") == []
        # The existing account is left as it was (not linked to the household).
        linked = await portal.pool.fetchval(
            "SELECT household_id FROM accounts WHERE email = 'deja.inscrit@example.fr'"
        )
        assert linked is None


async def test_a_guardian_of_two_imported_households_gets_one_account_with_both(
    portal: Portal, bus_namespace: Any
) -> None:
    async with EventTap(
        AMQP_URL,
        bus_namespace.name,
        ["identity.GuardianInvitationAnswered", "identity.AccountInvited"],
    ) as tap:
        run, first, second = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        # Parents apart: her guardian record in each household, with her one email.
        for household in (first, second):
            asked = request(run, household, uuid.uuid4(), "claire.martin@example.fr")
            await handled(
                portal, await publish(bus_namespace, "family.GuardianInvitationRequested", asked)
            )
        answers = await tap.wait_for(2, event_type="identity.GuardianInvitationAnswered")
        assert [a["payload"]["outcome"] for a in answers] == ["invited", "invited"]
        account_id = answers[0]["payload"]["account_id"]
        assert answers[1]["payload"]["account_id"] == account_id
        assert answers[1]["payload"]["household_id"] == str(second)
        # One invitation: after it, both subscriptions, the first one current.
        (invited,) = tap.of_type("identity.AccountInvited")
        token = portal.link_token(invited["payload"]["invitation_url"])
        r = await portal.post("/invitation/accept", {"token": token, "password": portal.PASSWORD})
        assert r.status == 200, await r.text()
        claims = jwt.decode((await r.json())["access_token"], options={"verify_signature": False})
        assert claims["household_id"] == str(first)
        households = await portal.pool.fetch(
            "SELECT household_id FROM account_households WHERE account_id = $1",
            uuid.UUID(account_id),
        )
        assert {h["household_id"] for h in households} == {first, second}
        assert len(tap.of_type("identity.AccountInvited")) == 1
