"""Refresh rotation and reuse detection, logout, JWKS and key rotation, household link."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import aio_pika
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import shared.auth as shared_auth
from identity.domain.errors import RotationPending
from identity.state import STATE, utcnow
from identity.usecases.keys import load_keyring, rotate_keyring
from shared.auth import InvalidToken, TokenVerifier
from shared.events.envelope import new_event
from shared.testing.bus import eventually
from shared.testing.plugin import AMQP_URL
from shared.uow import unit_of_work

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
    # As the command does with --activate-in-minutes 0 (another process); the periodic
    # reload then picks it up.
    await rotate_keyring(
        unit_of_work(portal.client.app), portal.settings, now=utcnow(), activate_after=timedelta(0)
    )
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


class Clocks:
    """The verifier's monotonic clock and identity's wall clock, moved by hand."""

    def __init__(self, wall: datetime) -> None:
        self.wall = wall
        self.mono = 0.0

    def monotonic(self) -> float:
        return self.mono

    def time(self) -> float:
        return self.wall.timestamp()


async def test_two_phase_rotation_reaches_verifiers_before_the_new_key_signs(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another service's verifier refetches the JWKS at most every 30 s: a key must be
    published before it signs. Time is simulated: the rotation is dated 10 min back, the
    verifier's clock is injected; the tokens themselves are real (signed now)."""
    state = portal.client.app[STATE]
    delay = portal.settings.key_activation_delay
    assert delay == timedelta(minutes=10)  # the default
    real_now = utcnow()
    rotated_at = real_now - delay - timedelta(seconds=10)  # the new key signs since 10 s
    # The deployment's first key has signed for an hour when the rotation is made.
    await portal.pool.execute(
        "UPDATE signing_keys SET created_at = $1, activates_at = $1",
        rotated_at - timedelta(hours=1),
    )
    await state.reload_keys()
    old_kid = state.current_keyring.current.kid
    clocks = Clocks(wall=rotated_at - timedelta(minutes=1))
    monkeypatch.setattr(shared_auth, "time", clocks)

    async def jwks_at_wall_clock() -> dict[str, Any]:
        """What GET /.well-known/jwks.json answered at the simulated time."""
        keyring = await load_keyring(portal.pool, state.vault, now=clocks.wall)
        return keyring.jwks(now=clocks.wall)

    def verifier(source: Any = jwks_at_wall_clock) -> TokenVerifier:
        return TokenVerifier(
            source,
            issuer=portal.settings.jwt_issuer,
            audience=portal.settings.jwt_audience,
            min_refresh_interval=30,  # what every other service uses
        )

    before = await portal.family("pivot@live.fr")
    assert jwt.get_unverified_header(before["access_token"])["kid"] == old_kid
    # Both verifiers cache the JWKS one minute before the rotation.
    quiet, busy = verifier(), verifier()
    for v in (quiet, busy):
        await v.verify(before["access_token"])
    one_phase_jwks = await jwks_at_wall_clock()  # what a one-phase rotation publishes first

    await rotate_keyring(unit_of_work(portal.client.app), portal.settings, now=rotated_at)
    await state.reload_keys()
    ring = state.current_keyring
    new_kid = ring.current.kid  # signing since 10 s (real time)
    assert new_kid != old_kid and ring.at(rotated_at).current.kid == old_kid
    # During the pending phase the old key still signs and the new one is published.
    clocks.wall, clocks.mono = rotated_at + delay - timedelta(seconds=20), 580.0
    published = {k["kid"] for k in (await jwks_at_wall_clock())["keys"]}
    assert published == {old_kid, new_kid}
    assert ring.at(clocks.wall).signing_key(clocks.wall).kid == old_kid
    # `busy` meets a forged kid 20 s before the switch: it refetches (and so learns the
    # pending key), and may not refetch again for 30 s.
    forged = jwt.encode(
        {"sub": "x"}, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers={"kid": "forged"}
    )
    with pytest.raises(InvalidToken):
        await busy.verify(forged)

    # The switch: tokens are now signed with the new key (real time, through the API).
    clocks.wall, clocks.mono = real_now, 610.0
    after = await portal.login("pivot@live.fr")
    assert jwt.get_unverified_header(after["access_token"])["kid"] == new_kid
    # `busy` refetched 20 s ago, so cannot refetch now: it knows the key from the pending
    # phase. `quiet` has not refetched since before the rotation: it may, and does.
    for v in (busy, quiet):
        caller = await v.verify(after["access_token"])
        assert caller.tenant == "epagny"
        await v.verify(before["access_token"])  # the old key's tokens stay valid

    # Without the pending phase, a verifier that refetched 10 s before the switch would not
    # have found the new key there, and would refuse its tokens for up to 30 s.
    async def one_phase() -> dict[str, Any]:
        return one_phase_jwks

    blind = verifier(one_phase)
    clocks.mono = 600.0
    await blind.verify(before["access_token"])
    clocks.mono = 610.0
    with pytest.raises(InvalidToken, match="unknown key id"):
        await blind.verify(after["access_token"])
    # One rotation at a time: another one while a key is pending is refused.
    await rotate_keyring(unit_of_work(portal.client.app), portal.settings, now=utcnow())
    with pytest.raises(RotationPending):
        await rotate_keyring(unit_of_work(portal.client.app), portal.settings, now=utcnow())


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
        ("/tenants/{tenant}/accounts/{account_id}/disable", "post"),
        ("/tenants/{tenant}/accounts/{account_id}/enable", "post"),
    }
    assert expected <= documented
    login = spec["paths"]["/tenants/{tenant}/login"]["post"]
    assert {"200", "401", "403", "422", "429"} <= set(login["responses"])
