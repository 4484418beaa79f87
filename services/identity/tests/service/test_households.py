"""Household anonymisation (family.HouseholdAnonymised) and late links to such a household."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import jwt

from identity.events import on_household_anonymised
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event, new_event
from shared.testing.bus import eventually
from shared.testing.plugin import AMQP_URL

Portal = Any


def subject(body: dict[str, Any]) -> uuid.UUID:
    return uuid.UUID(jwt.decode(body["access_token"], options={"verify_signature": False})["sub"])


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


async def link(
    portal: Portal, bus_namespace: Any, account_id: uuid.UUID, household: uuid.UUID
) -> None:
    event = await publish(
        bus_namespace,
        "family.HouseholdLinked",
        {"household_id": household, "account_id": account_id, "linked_by": "staff"},
    )
    await handled(portal, event)


async def household_of(portal: Portal, account_id: uuid.UUID) -> Any:
    return await portal.pool.fetchval("SELECT household_id FROM accounts WHERE id = $1", account_id)


async def test_anonymised_household_unlinks_its_accounts_and_ends_their_sessions(
    portal: Portal, bus_namespace: Any
) -> None:
    first = await portal.family("anonyme1@live.fr")
    second = await portal.family("anonyme2@live.fr")
    other = await portal.family("voisin@live.fr")
    household, neighbours = uuid.uuid4(), uuid.uuid4()
    await link(portal, bus_namespace, subject(first), household)
    await link(portal, bus_namespace, subject(second), household)
    await link(portal, bus_namespace, subject(other), neighbours)

    # Only the first account is listed: the second, linked to it too, is unlinked as well.
    deletion_request = uuid.uuid4()
    event = await publish(
        bus_namespace,
        "family.HouseholdAnonymised",
        {
            "household_id": household,
            "deletion_request_id": deletion_request,
            "account_ids": [subject(first)],
        },
    )
    await handled(portal, event)
    assert await household_of(portal, subject(first)) is None
    assert await household_of(portal, subject(second)) is None
    assert await household_of(portal, subject(other)) == neighbours

    # Their sessions are over: the family logs in again, and the new token has no household.
    for body in (first, second):
        r = await portal.post("/token/refresh", {"refresh_token": body["refresh_token"]})
        assert r.status == 401
    again = await portal.login("anonyme1@live.fr")
    claims = jwt.decode(again["access_token"], options={"verify_signature": False})
    assert claims["household_id"] is None
    me = await (await portal.get("/me", again["access_token"])).json()
    assert me["household_id"] is None
    # The other household's family is not affected.
    r = await portal.post("/token/refresh", {"refresh_token": other["refresh_token"]})
    assert r.status == 200
    claims = jwt.decode((await r.json())["access_token"], options={"verify_signature": False})
    assert claims["household_id"] == str(neighbours)

    r = await portal.get("/audit?action=household_anonymised", portal.admins["epagny"])
    audit = await r.json()
    assert audit["total"] == 2
    assert {item["account_id"] for item in audit["items"]} == {
        str(subject(first)),
        str(subject(second)),
    }
    assert all(
        item["details"]
        == {"household_id": str(household), "deletion_request_id": str(deletion_request)}
        for item in audit["items"]
    )


async def test_anonymisation_handled_again_changes_nothing(
    portal: Portal, bus_namespace: Any
) -> None:
    body = await portal.family("deuxfois@live.fr")
    household = uuid.uuid4()
    await link(portal, bus_namespace, subject(body), household)
    payload = {"household_id": household, "account_ids": [subject(body)]}
    await handled(portal, await publish(bus_namespace, "family.HouseholdAnonymised", payload))
    again = await portal.login("deuxfois@live.fr")

    # Another copy (a new event id: the inbox does not catch it), run by the handler itself.
    event = new_event("family.HouseholdAnonymised", payload, tenant_id="epagny", producer="family")
    async with portal.pool.acquire() as conn, conn.transaction():
        await on_household_anonymised(HandlerContext(conn, portal.client.app), event)

    r = await portal.get("/audit?action=household_anonymised", portal.admins["epagny"])
    assert (await r.json())["total"] == 1
    # The session opened after the anonymisation is not ended by the copy.
    r = await portal.post("/token/refresh", {"refresh_token": again["refresh_token"]})
    assert r.status == 200


async def test_anonymisation_of_a_household_nobody_is_linked_to_is_recorded(
    portal: Portal, bus_namespace: Any
) -> None:
    household = uuid.uuid4()
    payload = {"household_id": household, "account_ids": [uuid.uuid4()]}
    await handled(portal, await publish(bus_namespace, "family.HouseholdAnonymised", payload))
    r = await portal.get("/audit?action=household_anonymised", portal.admins["epagny"])
    audit = await r.json()
    assert audit["total"] == 1
    assert audit["items"][0]["account_id"] is None


async def test_a_late_link_to_an_anonymised_household_is_ignored(
    portal: Portal, bus_namespace: Any
) -> None:
    body = await portal.family("tardif@live.fr")
    household = uuid.uuid4()
    payload = {"household_id": household, "account_ids": [subject(body)]}
    # The link was published before the anonymisation but arrives after it.
    await handled(portal, await publish(bus_namespace, "family.HouseholdAnonymised", payload))
    await link(portal, bus_namespace, subject(body), household)
    assert await household_of(portal, subject(body)) is None
    r = await portal.post("/token/refresh", {"refresh_token": body["refresh_token"]})
    claims = jwt.decode((await r.json())["access_token"], options={"verify_signature": False})
    assert claims["household_id"] is None
    # A link to another household still works.
    other = uuid.uuid4()
    await link(portal, bus_namespace, subject(body), other)
    assert await household_of(portal, subject(body)) == other
