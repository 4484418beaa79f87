"""Journey across services: a family links its account to its household with the
subscriber code, and its next login token carries the household (family → identity)."""

from __future__ import annotations

import base64
import json

from family.app import create_app as create_family
from family.settings import FamilySettings
from identity import commands
from identity.app import create_app as create_identity
from identity.settings import IdentitySettings
from shared.testing.bus import eventually

PASSWORD = "Demo-2026-portail"


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def test_subscriber_code_link_reaches_the_next_token(
    make_settings, aiohttp_client, demo_household
):
    identity_settings = make_settings(IdentitySettings)
    identity = await aiohttp_client(create_identity(identity_settings))
    await commands.load_demo(identity_settings)
    jwks = str(identity.make_url("/.well-known/jwks.json"))
    family = await aiohttp_client(
        create_family(
            make_settings(FamilySettings, jwks_url=jwks, jwt_issuer=identity_settings.jwt_issuer)
        )
    )

    async def login(email: str) -> str:
        response = await identity.post(
            "/tenants/demo/login", json={"login": email, "password": PASSWORD}
        )
        assert response.status == 200, await response.text()
        return (await response.json())["access_token"]

    staff = {"Authorization": f"Bearer {await login('agent@demo.example')}"}
    created = await family.post(
        "/tenants/demo/households",
        headers=staff,
        json=demo_household,
    )
    assert created.status == 201, await created.text()
    household = await created.json()

    family_token = await login("famille@demo.example")
    assert _claims(family_token).get("household_id") is None
    linked = await family.post(
        "/tenants/demo/me/household/link",
        headers={"Authorization": f"Bearer {family_token}"},
        json={"code": household["subscriber_code"]},
    )
    assert linked.status == 200, await linked.text()

    async def token_has_household() -> bool:
        return _claims(await login("famille@demo.example")).get("household_id") == household["id"]

    await eventually(token_has_household, timeout=15, interval=0.3)
    mine = await family.get(
        "/tenants/demo/me/household",
        headers={"Authorization": f"Bearer {await login('famille@demo.example')}"},
    )
    assert mine.status == 200
    assert (await mine.json())["children"][0]["first_name"] == "Léo"
