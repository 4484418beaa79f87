"""Fixtures of the identity service tests: the service against the test Postgres and bus."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

import altcha
import pytest
from aiohttp.test_utils import TestClient

from identity import commands
from identity.app import create_app
from identity.settings import IdentitySettings
from shared.keys import POOL
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL

IDENTITY_EVENTS = [
    "identity.AccountRegistered",
    "identity.AccountActivated",
    "identity.AccountInvited",
    "identity.PasswordResetRequested",
    "identity.PasswordChanged",
    "identity.EmailChangeRequested",
    "identity.EmailChanged",
    "identity.AccountLocked",
]
PASSWORD = "Cantine2025!x"


def link_token(url: str) -> str:
    return parse_qs(urlparse(url).query)["token"][0]


def solve(challenge: dict[str, Any]) -> str:
    """What the ALTCHA widget does in the browser."""
    parsed = altcha.Challenge.from_dict(json.loads(json.dumps(challenge)))
    solution = altcha.solve_challenge(parsed, timeout=10)
    assert solution is not None
    return altcha.Payload(parsed, solution).to_base64()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Portal:
    """Drives the identity API like the portal's front end would."""

    client: TestClient
    settings: IdentitySettings
    tap: EventTap
    admins: dict[str, str] = field(default_factory=dict)  # tenant -> admin access token
    # Test modules cannot import this conftest (importlib mode): they use these through it.
    PASSWORD = PASSWORD
    bearer = staticmethod(bearer)
    link_token = staticmethod(link_token)

    async def create_tenant(self, slug: str = "epagny", **extra: Any) -> str:
        """The command, then the admin accepts the invitation; returns the admin token."""
        args = argparse.Namespace(
            slug=slug,
            name=f"Ville de {slug}",
            contact_email=f"famille@{slug}.fr",
            contact_phone="04 50 00 00 00",
            admin_email=f"admin@{slug}.fr",
            admin_name="Agent Principal",
            temporary_password=False,
            terms_version=extra.get("terms_version"),
            terms_url=extra.get("terms_url"),
        )
        result = await commands.create_tenant(self.settings, args)
        r = await self.client.post(
            f"/tenants/{slug}/invitation/accept",
            json={"token": link_token(result["invitation_url"]), "password": PASSWORD},
        )
        assert r.status == 200, await r.text()
        self.admins[slug] = (await r.json())["access_token"]
        return self.admins[slug]

    async def captcha(self, tenant: str = "epagny") -> str:
        r = await self.client.get(f"/tenants/{tenant}/captcha/challenge")
        assert r.status == 200
        return solve(await r.json())

    async def signup(
        self,
        email: str,
        password: str = PASSWORD,
        name: str = "Simon Durand",
        tenant: str = "epagny",
    ) -> Any:
        return await self.client.post(
            f"/tenants/{tenant}/signup",
            json={
                "display_name": name,
                "email": email,
                "password": password,
                "captcha": await self.captcha(tenant),
            },
        )

    async def event(
        self, event_type: str, email: str, index: int = 0, tenant: str = "epagny"
    ) -> dict[str, Any]:
        """The `index`-th event of this type about this email (waits for it)."""

        def matching() -> list[dict[str, Any]]:
            return [
                m
                for m in self.tap.of_type(event_type)
                if m["tenant_id"] == tenant
                and email in (m["payload"].get("email"), m["payload"].get("new_email"))
            ]

        deadline = 10.0
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        while len(matching()) <= index:
            if loop.time() > end:
                raise AssertionError(f"no {event_type} #{index} for {email}")
            await asyncio.sleep(0.05)
        return matching()[index]

    async def family(
        self, email: str, password: str = PASSWORD, tenant: str = "epagny"
    ) -> dict[str, Any]:
        """Sign up, activate, log in: the login body."""
        r = await self.signup(email, password, tenant=tenant)
        assert r.status == 202, await r.text()
        event = await self.event("identity.AccountRegistered", email, tenant=tenant)
        r = await self.client.post(
            f"/tenants/{tenant}/activation",
            json={"token": link_token(event["payload"]["activation_url"])},
        )
        assert r.status == 200, await r.text()
        return await self.login(email, password, tenant=tenant)

    @property
    def pool(self) -> Any:
        return self.client.app[POOL]

    async def post(self, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = bearer(token) if token else {}
        return await self.client.post(f"/tenants/epagny{path}", json=body, headers=headers)

    async def get(self, path: str, token: str | None = None) -> Any:
        headers = bearer(token) if token else {}
        return await self.client.get(f"/tenants/epagny{path}", headers=headers)

    async def login(
        self, login: str, password: str = PASSWORD, tenant: str = "epagny", status: int = 200
    ) -> dict[str, Any]:
        r = await self.client.post(
            f"/tenants/{tenant}/login", json={"login": login, "password": password}
        )
        assert r.status == status, await r.text()
        return await r.json()


FAST = {
    # Tiny proof of work and short throttling: the tests stay fast.
    "captcha_cost": 1,
    "captcha_min_counter": 0,
    "captcha_max_counter": 3,
    "login_base_delay_seconds": 0.05,
    "login_max_delay_seconds": 0.2,
    "login_lock_minutes": 0.05,
}


@pytest.fixture
def identity_settings(make_settings: Callable[..., Any]) -> IdentitySettings:
    return make_settings(IdentitySettings, **FAST)


@pytest.fixture
async def tap(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, IDENTITY_EVENTS) as tap:
        yield tap


@pytest.fixture
def make_portal(
    aiohttp_client: Any, make_settings: Callable[..., Any], tap: EventTap
) -> Callable[..., Any]:
    """A portal whose service has some settings changed (throttling tests)."""

    async def make(**overrides: Any) -> Portal:
        settings = make_settings(IdentitySettings, **{**FAST, **overrides})
        client = await aiohttp_client(create_app(settings))
        portal = Portal(client, settings, tap)
        await portal.create_tenant("epagny")
        return portal

    return make


@pytest.fixture
async def portal(
    aiohttp_client: Any, identity_settings: IdentitySettings, tap: EventTap
) -> AsyncIterator[Portal]:
    client = await aiohttp_client(create_app(identity_settings))
    portal = Portal(client, identity_settings, tap)
    await portal.create_tenant("epagny")
    yield portal
