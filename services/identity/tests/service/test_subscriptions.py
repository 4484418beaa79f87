"""An account linked to several households (family.HouseholdLinked twice): its tokens carry
the current one, the first linked until it switches; a switch gives new tokens, and a
refresh token in hand follows; an anonymised household leaves its accounts' lists."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import jwt

from shared.events.envelope import Event, new_event
from shared.testing.bus import eventually
from shared.testing.plugin import AMQP_URL

Portal = Any
SWITCH = "/accounts/me/current-household"


def claims(body: dict[str, Any]) -> dict[str, Any]:
    return jwt.decode(body["access_token"], options={"verify_signature": False})


async def publish(portal: Portal, bus_namespace: Any, event_type: str, payload: Any) -> Event:
    """What the family service's relay does; returns once identity has handled it."""
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

    async def done() -> Any:
        return await portal.pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event.id)

    await eventually(done)
    return event


async def link(portal: Portal, bus_namespace: Any, account: str, household: uuid.UUID) -> Event:
    payload = {"household_id": household, "account_id": account, "linked_by": "subscriber_code"}
    return await publish(portal, bus_namespace, "family.HouseholdLinked", payload)


async def households_of(portal: Portal, account: str) -> list[uuid.UUID]:
    rows = await portal.pool.fetch(
        "SELECT household_id FROM account_households WHERE account_id = $1 ORDER BY linked_at",
        uuid.UUID(account),
    )
    return [r["household_id"] for r in rows]


async def test_a_family_switches_between_its_households(portal: Portal, bus_namespace: Any) -> None:
    login = await portal.family("deux.foyers@live.fr")
    account = claims(login)["sub"]
    martin, benali = uuid.uuid4(), uuid.uuid4()
    await link(portal, bus_namespace, account, martin)
    await link(portal, bus_namespace, account, benali)
    # The same link again: nothing new.
    await link(portal, bus_namespace, account, benali)
    assert await households_of(portal, account) == [martin, benali]
    # The first link is the current household; the second does not replace it.
    before = await portal.login("deux.foyers@live.fr")
    assert claims(before)["household_id"] == str(martin)

    r = await portal.post(SWITCH, {"household_id": str(benali)}, before["access_token"])
    assert r.status == 200, await r.text()
    switched = await r.json()
    assert set(switched) >= {"access_token", "refresh_token", "expires_in", "terms"}
    assert claims(switched)["household_id"] == str(benali)
    assert claims(switched)["sub"] == account
    me = await (await portal.get("/me", switched["access_token"])).json()
    assert me["household_id"] == str(benali)
    # A refresh token from before the switch now gives the current household too.
    r = await portal.post("/token/refresh", {"refresh_token": before["refresh_token"]})
    assert r.status == 200
    assert claims(await r.json())["household_id"] == str(benali)
    r = await portal.post("/token/refresh", {"refresh_token": switched["refresh_token"]})
    assert claims(await r.json())["household_id"] == str(benali)

    # Audit-logged like other changes of the account.
    r = await portal.get("/audit?action=household_switched", portal.admins["epagny"])
    (entry,) = (await r.json())["items"]
    assert entry["account_id"] == account
    assert entry["details"] == {
        "household_id": str(benali),
        "previous_household_id": str(martin),
    }

    # And back.
    r = await portal.post(SWITCH, {"household_id": str(martin)}, switched["access_token"])
    assert claims(await r.json())["household_id"] == str(martin)


async def test_a_switch_to_a_household_not_linked_is_refused(
    portal: Portal, bus_namespace: Any
) -> None:
    mine = await portal.family("mon.foyer@live.fr")
    theirs = await portal.family("leur.foyer@live.fr")
    household, other = uuid.uuid4(), uuid.uuid4()
    await link(portal, bus_namespace, claims(mine)["sub"], household)
    await link(portal, bus_namespace, claims(theirs)["sub"], other)
    token = (await portal.login("mon.foyer@live.fr"))["access_token"]
    for refused in (other, uuid.uuid4()):
        r = await portal.post(SWITCH, {"household_id": str(refused)}, token)
        assert r.status == 422
        body = await r.json()
        assert body["errors"] == [
            {"field": "household_id", "detail": "Ce foyer ne fait pas partie de vos abonnements."}
        ]
    r = await portal.post(SWITCH, {"household_id": "pas-un-uuid"}, token)
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "household_id"
    # Unchanged; staff have no households to switch to.
    assert claims(await portal.login("mon.foyer@live.fr"))["household_id"] == str(household)
    r = await portal.post(SWITCH, {"household_id": str(household)}, portal.admins["epagny"])
    assert r.status == 403


async def test_an_anonymised_current_household_gives_way_to_another(
    portal: Portal, bus_namespace: Any
) -> None:
    both = await portal.family("deux@live.fr")
    other = await portal.family("autre@live.fr")
    account, neighbour = claims(both)["sub"], claims(other)["sub"]
    first, second = uuid.uuid4(), uuid.uuid4()
    await link(portal, bus_namespace, account, first)
    await link(portal, bus_namespace, account, second)
    await link(portal, bus_namespace, neighbour, second)
    await link(portal, bus_namespace, neighbour, first)
    session = await portal.login("deux@live.fr")
    neighbour_session = await portal.login("autre@live.fr")
    assert claims(neighbour_session)["household_id"] == str(second)

    await publish(
        portal,
        bus_namespace,
        "family.HouseholdAnonymised",
        {"household_id": first, "account_ids": [account, neighbour]},
    )
    # Its current household is gone: the other one is current, its sessions end.
    assert await households_of(portal, account) == [second]
    r = await portal.post("/token/refresh", {"refresh_token": session["refresh_token"]})
    assert r.status == 401
    assert claims(await portal.login("deux@live.fr"))["household_id"] == str(second)
    # The neighbour was on the other household: its session goes on, still there.
    assert await households_of(portal, neighbour) == [second]
    r = await portal.post("/token/refresh", {"refresh_token": neighbour_session["refresh_token"]})
    assert r.status == 200
    assert claims(await r.json())["household_id"] == str(second)
    # The last one gone: no household at all.
    await publish(
        portal,
        bus_namespace,
        "family.HouseholdAnonymised",
        {"household_id": second, "account_ids": [account, neighbour]},
    )
    assert await households_of(portal, account) == []
    assert claims(await portal.login("deux@live.fr"))["household_id"] is None
    # A switch to a forgotten household is refused.
    token = (await portal.login("deux@live.fr"))["access_token"]
    r = await portal.post(SWITCH, {"household_id": str(second)}, token)
    assert r.status == 422
