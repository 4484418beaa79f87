"""The town's online features in the back-office (issue 16, admin only): the four switches
read from identity's settings, saved with PATCH /tenants/{t}/settings, the families' portal
following at once; an agent is refused; identity's 422 is shown."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import CSRF, Services, log_in, problem

ALL_ON = {"family_edits": True, "online_booking": True, "wallet": True, "direct_debit": True}


@dataclass
class Identity:
    features: dict[str, bool] = field(default_factory=lambda: dict(ALL_ON))
    patched: list[dict[str, Any]] = field(default_factory=list)
    next_status: int | None = None


@pytest.fixture
def identity() -> Identity:
    return Identity()


@pytest.fixture
def stand_in_routes(identity: Identity) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def admin(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "")
            return header.removeprefix("Bearer ") in services.valid_access and (
                "admin" in services.roles
            )

        async def read(request: web.Request) -> web.Response:
            if not admin(request):
                return problem(403, "Réservé aux administrateurs.")
            return web.json_response({"slug": "demo", "features": identity.features})

        async def patch(request: web.Request) -> web.Response:
            if not admin(request):
                return problem(403, "Réservé aux administrateurs.")
            body = await request.json()
            identity.patched.append(body)
            if identity.next_status is not None:
                status, identity.next_status = identity.next_status, None
                return problem(status, "Certaines informations sont incorrectes : wallet.")
            identity.features.update(body)
            services.features = dict(identity.features)  # the public page follows
            return web.json_response({"slug": "demo", "features": identity.features})

        app.router.add_get(f"{t}/settings", read)
        app.router.add_patch(f"{t}/settings", patch)

    return add


async def as_role(portal: TestClient, services: tuple[Services, str], *roles: str) -> None:
    stand_in, _ = services
    stand_in.roles = list(roles)
    await log_in(portal, "/gestion/reglages")


async def page(portal: TestClient, path: str, status: int = 200) -> str:
    r = await portal.get(path)
    text = unescape(await r.text())
    assert r.status == status, text
    return text


async def test_an_admin_turns_features_off_and_the_portal_follows(portal, services, identity):
    await as_role(portal, services, "staff", "admin")
    html = await page(portal, "/gestion/reglages")
    assert '<a href="/gestion/reglages" aria-current="page">Réglages</a>' in html
    for name in ALL_ON:
        assert f'id="{name}" name="{name}" value="1" checked' in html
    token = CSRF.search(html)[1]
    r = await portal.post(
        "/gestion/reglages",
        data={"csrf_token": token, "online_booking": "1", "direct_debit": "1"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "/gestion/reglages?enregistre=1")
    assert identity.patched == [
        {"family_edits": False, "online_booking": True, "wallet": False, "direct_debit": True}
    ]
    html = await page(portal, "/gestion/reglages?enregistre=1")
    assert "Les réglages sont enregistrés" in html
    assert 'id="family_edits" name="family_edits" value="1" aria' in html  # unticked
    assert 'id="online_booking" name="online_booking" value="1" checked' in html


async def test_identity_s_refusal_is_shown_and_nothing_is_said_saved(portal, services, identity):
    await as_role(portal, services, "staff", "admin")
    token = CSRF.search(await page(portal, "/gestion/reglages"))[1]
    identity.next_status = 422
    r = await portal.post("/gestion/reglages", data={"csrf_token": token, "wallet": "1"})
    html = unescape(await r.text())
    assert r.status == 422 and "Les réglages n'ont pas été enregistrés" in html
    assert "Certaines informations sont incorrectes : wallet." in html
    assert 'id="wallet" name="wallet" value="1" checked' in html  # what was asked, kept


async def test_an_agent_or_a_family_cannot_change_the_settings(portal, services, identity):
    await as_role(portal, services, "staff")
    html = await page(portal, "/gestion/reglages", status=403)
    assert "réservée aux administrateurs" in html
    assert 'href="/gestion/reglages"' not in html
    token = CSRF.search(html)[1]  # the logout form's: the refusal is not the CSRF's
    r = await portal.post("/gestion/reglages", data={"csrf_token": token, "wallet": "1"})
    assert r.status == 403 and "réservée aux administrateurs" in unescape(await r.text())
    assert identity.patched == []
