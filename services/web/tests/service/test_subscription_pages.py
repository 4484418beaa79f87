"""My subscriptions (real Postgres for the sessions; identity and family stood in): an account
linked to two households sees them on its account page, switches with « Passer à ce foyer »
(the session's tokens replaced by identity's new ones, the old session ended, a notice on
the home page), sees the header's switcher, and adds a household with its subscriber code."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web

from ..conftest import TENANT, Services, csrf_of, log_in, problem

MARTIN = "0f8a7c1e-1111-4222-8333-900000000001"
BENALI = "0f8a7c1e-1111-4222-8333-900000000002"
LABELS = {MARTIN: "Foyer Martin – Durand", BENALI: "Foyer Benali"}
CODES = {"ABCDE-12345": BENALI}


def subscription_routes(services: Services, app: web.Application, t: str) -> None:
    state: dict[str, Any] = services.__dict__.setdefault(
        "subscriptions", {"linked": [MARTIN], "current": MARTIN}
    )

    def bearer(request: web.Request) -> str | None:
        return request.headers.get("Authorization", "").removeprefix("Bearer ") or None

    def record(request: web.Request, body: Any = None) -> str | None:
        token = bearer(request)
        services.calls.append((request.method, request.path, token, body))
        return token

    async def households(request: web.Request) -> web.Response:
        if record(request) not in services.valid_access:
            return problem(401, "Jeton invalide.")
        if state.get("down"):
            return problem(503, "Service indisponible.")
        items = [
            {
                "id": h,
                "label": LABELS[h],
                "children": ["Léa", "Hugo"] if h == MARTIN else ["Inès"],
                "linked_at": "2026-09-01T08:00:00+00:00",
                "current": h == state["current"],
            }
            for h in state["linked"]
        ]
        return web.json_response({"items": items})

    async def link(request: web.Request) -> web.Response:
        body = await request.json()
        if record(request, body) not in services.valid_access:
            return problem(401, "Jeton invalide.")
        household = CODES.get(body["code"].upper())
        if household is None:
            return problem(
                422,
                "Certaines informations sont incorrectes.",
                errors=[{"field": "code", "detail": "Ce code abonné n'est pas reconnu."}],
            )
        if household not in state["linked"]:
            state["linked"].append(household)
        return web.json_response({"household_id": household, "detail": "Rattaché."})

    async def switch(request: web.Request) -> web.Response:
        body = await request.json()
        if record(request, body) not in services.valid_access:
            return problem(401, "Jeton invalide.")
        if body["household_id"] not in state["linked"]:
            return problem(
                422,
                "Ce foyer ne fait pas partie de vos abonnements.",
                errors=[{"field": "household_id", "detail": "Pas le vôtre."}],
            )
        state["current"] = body["household_id"]
        return web.json_response(services.tokens())

    app.router.add_get(f"{t}/accounts/me/households", households)
    app.router.add_post(f"{t}/me/household/link", link)
    app.router.add_post(f"{t}/accounts/me/current-household", switch)


@pytest.fixture
def stand_in_routes() -> Callable[[Services, web.Application, str], None]:
    return subscription_routes


def switch_forms(html: str) -> list[str]:
    return re.findall(r'name="household_id" value="([^"]+)"', html)


async def test_a_family_with_one_household_can_add_another(portal, services):
    stand_in, _ = services
    await log_in(portal)
    r = await portal.get("/compte")
    html = await r.text()
    assert r.status == 200
    assert "Mes abonnements" in html and "rattaché au foyer Martin – Durand" in html
    assert switch_forms(html) == []  # one household: nothing to switch to
    assert "changer de foyer" not in html  # nor a switcher in the header

    # A wrong code is shown by its field.
    r = await portal.post("/compte/abonnements", data={"csrf_token": csrf_of(html), "code": "X"})
    assert r.status == 422
    html = await r.text()
    assert 'id="code-erreur">Ce code abonné n&#39;est pas reconnu.' in html
    assert 'aria-invalid="true"' in html
    r = await portal.post("/compte/abonnements", data={"csrf_token": csrf_of(html), "code": ""})
    assert r.status == 422 and "Saisissez le code abonné" in await r.text()

    r = await portal.post(
        "/compte/abonnements",
        data={"csrf_token": csrf_of(html), "code": "abcde-12345"},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/compte?abonnement=1#abonnements"
    assert stand_in.subscriptions["linked"] == [MARTIN, BENALI]
    r = await portal.get("/compte?abonnement=1")
    html = await r.text()
    assert "L'abonnement est ajouté" in html
    assert switch_forms(html) == [BENALI]  # the current one has no button
    assert "foyer consulté" in html and "Inès" in html


async def test_a_guardian_of_two_households_switches_from_the_account_page(portal, services):
    stand_in, _ = services
    stand_in.subscriptions.update(linked=[MARTIN, BENALI], current=MARTIN)
    await log_in(portal)
    # From the login on, the header shows the household consulted, leading to the account
    # page's section.
    home = await (await portal.get("/")).text()
    assert 'href="/compte#abonnements">Foyer Martin – Durand' in home
    r = await portal.get("/compte")
    html = await r.text()
    assert 'href="/compte#abonnements">Foyer Martin – Durand' in html
    assert "Passer à ce foyer" in html and switch_forms(html) == [BENALI]
    before = {token for token in stand_in.valid_refresh}

    # Without the CSRF token: refused, nothing switched.
    r = await portal.post("/compte/abonnements/foyer", data={"household_id": BENALI})
    assert r.status == 403 and stand_in.subscriptions["current"] == MARTIN

    r = await portal.post(
        "/compte/abonnements/foyer",
        data={"csrf_token": csrf_of(html), "household_id": BENALI},
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == "/"
    assert stand_in.subscriptions["current"] == BENALI
    # The session's tokens are identity's new ones; the old session is over.
    assert stand_in.logged_out and stand_in.logged_out[-1] in before
    (switch,) = [c for c in stand_in.calls if c[1].endswith("/current-household")]
    assert switch[3] == {"household_id": BENALI}
    r = await portal.get("/compte")
    html = await r.text()
    mine = [c for c in stand_in.calls if c[1] == f"/tenants/{TENANT}/accounts/me/households"]
    assert mine[-1][2] not in {switch[2]}  # read with the new access token
    assert 'href="/compte#abonnements">Foyer Benali' in html
    assert switch_forms(html) == [MARTIN]

    # The notice is said once, on the next page.
    r = await portal.get("/notifications")
    assert "Vous consultez maintenant le foyer" not in await r.text()


async def test_the_home_page_says_which_household_is_now_consulted(portal, services):
    stand_in, _ = services
    stand_in.subscriptions.update(linked=[MARTIN, BENALI], current=MARTIN)
    await log_in(portal)
    html = await (await portal.get("/compte")).text()
    r = await portal.post(
        "/compte/abonnements/foyer", data={"csrf_token": csrf_of(html), "household_id": BENALI}
    )
    assert r.status == 200 and str(r.url).endswith("/")
    page = await r.text()
    assert '<p class="notice" role="status">Vous consultez maintenant le foyer Benali.</p>' in page
    again = await (await portal.get("/compte")).text()
    assert "Vous consultez maintenant" not in again


async def test_a_switch_identity_refuses_is_said_on_the_account_page(portal, services):
    stand_in, _ = services
    stand_in.subscriptions.update(linked=[MARTIN, BENALI], current=MARTIN)
    await log_in(portal)
    html = await (await portal.get("/compte")).text()
    other = "0f8a7c1e-1111-4222-8333-900000000009"
    r = await portal.post(
        "/compte/abonnements/foyer", data={"csrf_token": csrf_of(html), "household_id": other}
    )
    assert r.status == 200 and "/compte" in str(r.url)
    assert "Ce foyer ne fait pas partie de vos abonnements." in await r.text()
    assert stand_in.subscriptions["current"] == MARTIN and not stand_in.logged_out
    r = await portal.post(
        "/compte/abonnements/foyer", data={"csrf_token": csrf_of(html), "household_id": "x"}
    )
    assert r.status == 404


async def test_the_account_page_is_shown_while_family_cannot_answer(portal, services):
    stand_in, _ = services
    stand_in.subscriptions.update(linked=[MARTIN, BENALI], down=True)
    await log_in(portal)
    r = await portal.get("/compte")
    html = await r.text()
    assert r.status == 200 and "Marie Durand" in html
    assert "Mes abonnements" not in html and "changer de foyer" not in html
