"""Refresh rotation and reuse detection, logout, JWKS and key rotation, household link."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aio_pika
import jwt

from identity.runtime import STATE, rotate_keyring, utcnow
from shared.events.envelope import new_event
from shared.testing.bus import eventually
from shared.testing.plugin import AMQP_URL

Portal = Any


async def test_refresh_rotates_and_reuse_revokes_the_chain(portal: Portal) -> None:
    first = await portal.family("rotation@live.fr")
    r = await portal.post("/token/refresh", {"refresh_token": first["refresh_token"]})
    assert r.status == 200
    assert r.headers["Cache-Control"] == "no-store"
    second = await r.json()
    assert second["refresh_token"] != first["refresh_token"]
    # The old token comes back: stolen. The whole chain ends, the new one too.
    r = await portal.post("/token/refresh", {"refresh_token": first["refresh_token"]})
    assert r.status == 401
    assert (await r.json())["type"].endswith("/invalid-refresh-token")
    r = await portal.post("/token/refresh", {"refresh_token": second["refresh_token"]})
    assert r.status == 401
    r = await portal.get("/audit?action=refresh_token_reused", portal.admins["epagny"])
    assert (await r.json())["total"] == 1


async def test_logout_revokes_the_refresh_token(portal: Portal) -> None:
    session = await portal.family("sortie@live.fr")
    other = await portal.login("sortie@live.fr")
    r = await portal.post("/logout", {"refresh_token": session["refresh_token"]})
    assert r.status == 204
    r = await portal.post("/token/refresh", {"refresh_token": session["refresh_token"]})
    assert r.status == 401
    # Another session (another device) is not affected.
    r = await portal.post("/token/refresh", {"refresh_token": other["refresh_token"]})
    assert r.status == 200
    r = await portal.post("/token/refresh", {"refresh_token": "court"})
    assert r.status == 401


async def test_access_token_claims_and_jwks(portal: Portal) -> None:
    body = await portal.family("claims@live.fr")
    r = await portal.client.get("/.well-known/jwks.json")
    assert r.status == 200
    jwks = await r.json()
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "EdDSA"
    assert header["kid"] in {k["kid"] for k in jwks["keys"]}
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["tenant"] == "epagny"
    assert claims["roles"] == ["family"]
    assert claims["household_id"] is None
    assert claims["scope"] == "full"
    assert claims["exp"] - claims["iat"] == 900


async def test_key_rotation_keeps_old_tokens_valid(portal: Portal) -> None:
    before = await portal.family("cles@live.fr")
    old_kid = jwt.get_unverified_header(before["access_token"])["kid"]
    assert (await portal.get("/me", before["access_token"])).status == 200
    # As the command does (another process); the periodic reload then picks it up.
    await rotate_keyring(portal.pool, portal.settings, now=utcnow())
    await portal.client.app[STATE].reload_keys()
    await asyncio.sleep(0.6)  # the verifier may look again for an unknown kid
    after = await portal.login("cles@live.fr")
    new_kid = jwt.get_unverified_header(after["access_token"])["kid"]
    assert new_kid != old_kid
    jwks = await (await portal.client.get("/.well-known/jwks.json")).json()
    assert {k["kid"] for k in jwks["keys"]} == {old_kid, new_kid}
    for token in (before["access_token"], after["access_token"]):
        assert (await portal.get("/me", token)).status == 200
    # The private keys are encrypted at rest.
    stored = await portal.pool.fetch("SELECT encrypted_private_key FROM signing_keys")
    assert all(b"PRIVATE KEY" not in row["encrypted_private_key"] for row in stored)


async def test_household_link_from_the_family_service(portal: Portal, bus_namespace: Any) -> None:
    body = await portal.family("foyer@live.fr")
    account_id = jwt.decode(body["access_token"], options={"verify_signature": False})["sub"]
    household_id = uuid.uuid4()
    event = new_event(
        "family.HouseholdLinked",
        {"household_id": household_id, "account_id": uuid.UUID(account_id), "linked_by": "staff"},
        tenant_id="epagny",
        producer="family",
    )
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{bus_namespace.name}.events")
        await exchange.publish(
            aio_pika.Message(json.dumps(event.to_json()).encode(), message_id=str(event.id)),
            routing_key="family.HouseholdLinked",
        )
    finally:
        await connection.close()

    async def linked() -> Any:
        return await portal.pool.fetchval(
            "SELECT household_id FROM accounts WHERE id = $1", uuid.UUID(account_id)
        )

    assert await eventually(linked) == household_id
    r = await portal.post("/token/refresh", {"refresh_token": body["refresh_token"]})
    claims = jwt.decode((await r.json())["access_token"], options={"verify_signature": False})
    assert claims["household_id"] == str(household_id)
    me = await (await portal.get("/me", (await r.json())["access_token"])).json()
    assert me["household_id"] == str(household_id)


async def test_openapi_lists_every_endpoint(portal: Portal) -> None:
    spec = await (await portal.client.get("/openapi.json")).json()
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    expected = {
        ("/.well-known/jwks.json", "get"),
        ("/tenants/{tenant}", "get"),
        ("/tenants/{tenant}/settings", "get"),
        ("/tenants/{tenant}/settings", "patch"),
        ("/tenants/{tenant}/captcha/challenge", "get"),
        ("/tenants/{tenant}/signup", "post"),
        ("/tenants/{tenant}/activation", "post"),
        ("/tenants/{tenant}/activation/resend", "post"),
        ("/tenants/{tenant}/login", "post"),
        ("/tenants/{tenant}/token/refresh", "post"),
        ("/tenants/{tenant}/logout", "post"),
        ("/tenants/{tenant}/accounts", "post"),
        ("/tenants/{tenant}/accounts", "get"),
        ("/tenants/{tenant}/accounts/{account_id}", "get"),
        ("/tenants/{tenant}/invitation/accept", "post"),
        ("/tenants/{tenant}/me", "get"),
        ("/tenants/{tenant}/me/password", "post"),
        ("/tenants/{tenant}/me/email", "post"),
        ("/tenants/{tenant}/me/terms", "post"),
        ("/tenants/{tenant}/password/forgot", "post"),
        ("/tenants/{tenant}/password/reset", "post"),
        ("/tenants/{tenant}/email/confirm", "post"),
        ("/tenants/{tenant}/audit", "get"),
    }
    assert expected <= documented
    login = spec["paths"]["/tenants/{tenant}/login"]["post"]
    assert {"200", "401", "403", "422", "429"} <= set(login["responses"])
