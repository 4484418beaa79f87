"""Subscriber-code letters in batch from the back-office (family stood in): by default the
households no account is linked to (`linked=false`), the whole search in one PDF (every page
of it gathered) or the households ticked; the family service's PDF passed on with the town's
letterhead; nothing ticked, or a household gone, said in French; linked from the households'
search and the invitations page; families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

PDF = b"%PDF-1.7 lettres"


def household(n: int, *, linked: bool) -> dict[str, Any]:
    return {
        "id": f"0f0f0f0f-0000-4000-8000-{n:012d}",
        "subscriber_code": f"ABCDE-{n:05d}",
        "address": {"line1": "1 rue", "line2": "", "postal_code": "74330", "city": "Epagny"},
        "guardians": [f"Parent{n} Martin"],
        "children": [f"Enfant{n} Martin"],
        "created_at": "2026-09-01T08:00:00+00:00",
        "linked": linked,  # the stand-in's own field: whether an account is linked
    }


class Family:
    """The stood-in family service: 130 households, the odd ones with a linked account."""

    def __init__(self) -> None:
        self.households = [household(n, linked=n % 2 == 1) for n in range(1, 131)]
        self.searches: list[dict[str, str]] = []
        self.batches: list[dict[str, Any]] = []


@pytest.fixture
def family() -> Family:
    return Family()


@pytest.fixture
def stand_in_routes(family: Family) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, dict(request.query)))
            return header in services.valid_access

        async def search(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            query = dict(request.query)
            family.searches.append(query)
            found = [h for h in family.households if query.get("q", "") in " ".join(h["guardians"])]
            if "linked" in query:
                found = [h for h in found if h["linked"] == (query["linked"] == "true")]
            page, per_page = int(query.get("page", "1")), int(query.get("per_page", "20"))
            assert per_page <= 100  # the family API's largest page
            items = found[(page - 1) * per_page : page * per_page]
            body = {"items": items, "total": len(found), "page": page, "per_page": per_page}
            return web.json_response(body)

        async def letters(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            body = await request.json()
            family.batches.append(body)
            known = {h["id"] for h in family.households}
            if any(i not in known for i in body["household_ids"]):
                return problem(422, "Le foyer n'existe pas.")
            return web.Response(
                body=PDF,
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="lettres-code-abonne.pdf"'},
            )

        async def no_runs(request: web.Request) -> web.Response:
            allowed(request)
            return web.json_response({"items": [], "total": 0, "page": 1, "per_page": 50})

        app.router.add_get(f"{t}/households", search)
        app.router.add_post(f"{t}/subscriber-letters", letters)
        app.router.add_get(f"{t}/onboarding-runs", no_runs)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/foyers")
    return stand_in


def unlinked_ids(family: Family) -> list[str]:
    return [h["id"] for h in family.households if not h["linked"]]


async def test_the_page_lists_the_households_without_an_account_first(portal, services, family):
    await staff_in(portal, services)
    html = await (await portal.get("/gestion/foyers")).text()
    assert 'href="/gestion/foyers/lettres"' in html
    r = await portal.get("/gestion/foyers/lettres")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Lettres des codes abonnés</h1>" in html
    assert family.searches[-1]["linked"] == "false"
    assert "65 foyers sans compte rattaché" in html
    assert 'id="sans_compte" name="sans_compte" value="1" checked' in html
    first_page = unlinked_ids(family)[:20]
    for household_id in first_page:
        assert f'name="foyer" value="{household_id}" checked' in html
    assert "Télécharger les lettres des 65 foyers trouvés (PDF)" in html
    assert 'href="/gestion/foyers/lettres?q=&amp;sans_compte=1&amp;page=2"' in html
    # Without the box ticked: the search over every household, as typed.
    html = await (await portal.get("/gestion/foyers/lettres?q=Parent12")).text()
    assert "linked" not in family.searches[-1] and family.searches[-1]["q"] == "Parent12"
    assert 'value="1" checked' not in html.split('id="sans_compte"')[1][:40]


async def test_the_whole_search_in_one_pdf(portal, services, family):
    await staff_in(portal, services)
    html = await (await portal.get("/gestion/foyers/lettres")).text()
    r = await portal.post(
        "/gestion/foyers/lettres",
        data={"csrf_token": csrf_of(html), "q": "", "sans_compte": "1", "tous": "1"},
    )
    assert r.status == 200
    assert r.content_type == "application/pdf" and await r.read() == PDF
    assert 'filename="lettres-code-abonne.pdf"' in r.headers["Content-Disposition"]
    assert r.headers["Cache-Control"] == "private, no-store"
    (batch,) = family.batches
    assert batch["household_ids"] == unlinked_ids(family)  # 65: both pages of 100 read
    assert batch["town"] and batch["portal_url"].startswith("http")


async def test_the_ticked_households_only(portal, services, family):
    await staff_in(portal, services)
    html = await (await portal.get("/gestion/foyers/lettres")).text()
    chosen = unlinked_ids(family)[3:5]
    r = await portal.post(
        "/gestion/foyers/lettres",
        data=[
            ("csrf_token", csrf_of(html)),
            ("sans_compte", "1"),
            ("foyer", chosen[0]),
            ("foyer", "pas-un-foyer"),
            ("foyer", chosen[1]),
            ("foyer", chosen[0]),
        ],
    )
    assert r.status == 200 and await r.read() == PDF
    assert family.batches[-1]["household_ids"] == chosen


async def test_nothing_ticked_or_a_household_gone_is_said(portal, services, family):
    await staff_in(portal, services)
    html = await (await portal.get("/gestion/foyers/lettres")).text()
    token = csrf_of(html)
    r = await portal.post("/gestion/foyers/lettres", data={"csrf_token": token, "sans_compte": "1"})
    assert r.status == 422
    html = await r.text()
    assert "Cochez au moins un foyer." in html and "<title>Erreur" in html
    assert not family.batches
    gone = "0f0f0f0f-0000-4000-8000-0000000009ff"
    r = await portal.post("/gestion/foyers/lettres", data={"csrf_token": token, "foyer": gone})
    assert r.status == 422
    assert "Un des foyers choisis n&#39;existe plus" in await r.text()
    # More than the family service prints at once: refused before asking it.
    family.households = [household(n, linked=False) for n in range(1, 502)]
    r = await portal.post(
        "/gestion/foyers/lettres",
        data={"csrf_token": token, "sans_compte": "1", "tous": "1"},
    )
    assert r.status == 422 and "Plus de 500 foyers" in await r.text()
    assert len(family.batches) == 1


async def test_without_csrf_or_as_a_family(portal, services, family):
    stand_in = await staff_in(portal, services)
    r = await portal.post("/gestion/foyers/lettres", data={"tous": "1", "sans_compte": "1"})
    assert r.status == 403 and not family.batches
    stand_in.roles = ["family"]
    await portal.post("/deconnexion", data={})
    portal.session.cookie_jar.clear()
    await log_in(portal)
    r = await portal.get("/gestion/foyers/lettres", allow_redirects=False)
    assert r.status == 403 and "réservée aux agents" in await r.text()
    assert not family.batches


async def test_the_invitations_page_links_the_letters(portal, services, family):
    await staff_in(portal, services)
    r = await portal.get("/gestion/invitations")
    assert r.status == 200
    assert 'href="/gestion/foyers/lettres"' in await r.text()
