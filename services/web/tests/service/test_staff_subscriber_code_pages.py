"""The subscriber code on the back-office household file (family stood in): the letter's PDF
passed on from the family service, a new code after a confirmation then shown, an unknown
household a French 404, families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
UNKNOWN = "0f0f0f0f-0000-4000-8000-0000000000ff"
PDF = b"%PDF-1.7 lettre"


class Family:
    """The stood-in family service's state: the household's code."""

    def __init__(self) -> None:
        self.code = "ABCDE-23456"
        self.renew_status = 201


@pytest.fixture
def family() -> Family:
    return Family()


def the_household(code: str) -> dict[str, Any]:
    return {
        "id": HOUSEHOLD,
        "subscriber_code": code,
        "address": {
            "line1": "3 place de la Mairie",
            "line2": "",
            "postal_code": "74330",
            "city": "Epagny",
        },
        "phones": [],
        "guardians": [
            {
                "id": "22222222-2222-4222-8222-222222222222",
                "first_name": "Karim",
                "last_name": "Benali",
                "phones": [],
            }
        ],
        "children": [],
        "quotient": None,
        "accounts": [],
        "pending_changes": 0,
    }


@pytest.fixture
def stand_in_routes(family: Family) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, dict(request.query)))
            return header in services.valid_access

        async def household(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Ce foyer n'existe pas.")
            return web.json_response(the_household(family.code))

        async def letter(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Ce foyer n'existe pas.")
            name = f"lettre-code-abonne-{family.code}.pdf"
            return web.Response(
                body=PDF,
                content_type="application/pdf",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )

        async def renew(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Ce foyer n'existe pas.")
            if family.renew_status != 201:
                return problem(family.renew_status, "Erreur.")
            family.code = "KMNPQ-78923"
            return web.json_response(
                {"household_id": HOUSEHOLD, "subscriber_code": family.code}, status=201
            )

        async def empty(request: web.Request) -> web.Response:
            allowed(request)
            return web.json_response({"items": [], "total": 0, "page": 1, "per_page": 50})

        app.router.add_get(f"{t}/households/{{id}}", household)
        app.router.add_get(f"{t}/households/{{id}}/subscriber-letter", letter)
        app.router.add_post(f"{t}/households/{{id}}/subscriber-code", renew)
        app.router.add_get(f"{t}/changes", empty)
        app.router.add_get(f"{t}/households/{{id}}/documents", empty)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/foyers")
    return stand_in


def called(stand_in: Services, method: str, path_end: str) -> int:
    return sum(1 for m, path, _, _ in stand_in.calls if m == method and path.endswith(path_end))


async def test_the_file_links_the_letter_and_a_new_code(portal, services):
    await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}")
    assert r.status == 200
    html = await r.text()
    assert f'href="/gestion/foyers/{HOUSEHOLD}/lettre-code-abonne"' in html
    assert "Lettre du code abonné (PDF)" in html
    assert f'href="/gestion/foyers/{HOUSEHOLD}/nouveau-code"' in html
    assert f'href="/gestion/foyers/{HOUSEHOLD}/tirelire"' in html  # the wallet's page


async def test_the_letter_is_the_family_services_pdf(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/lettre-code-abonne")
    assert r.status == 200
    assert r.content_type == "application/pdf"
    assert await r.read() == PDF
    assert 'filename="lettre-code-abonne-ABCDE-23456.pdf"' in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert called(stand_in, "GET", f"/households/{HOUSEHOLD}/subscriber-letter") == 1
    r = await portal.get(f"/gestion/foyers/{UNKNOWN}/lettre-code-abonne")
    assert r.status == 404 and "Page introuvable" in await r.text()


async def test_a_new_code_after_a_confirmation(portal, services, family):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/nouveau-code")
    assert r.status == 200
    html = await r.text()
    assert "Générer un nouveau code abonné pour le foyer de Karim Benali ?" in html
    assert "ABCDE-23456" in html and "cessera de fonctionner immédiatement" in html
    assert not called(stand_in, "POST", "/subscriber-code")  # nothing before the confirmation
    r = await portal.post(
        f"/gestion/foyers/{HOUSEHOLD}/nouveau-code",
        data={"csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert r.status == 303
    assert r.headers["Location"] == f"/gestion/foyers/{HOUSEHOLD}/nouveau-code?fait=1"
    assert called(stand_in, "POST", f"/households/{HOUSEHOLD}/subscriber-code") == 1
    r = await portal.get(r.headers["Location"])
    html = await r.text()
    assert 'Le nouveau code abonné est <strong class="code">KMNPQ-78923</strong>' in html
    assert "L'ancien code ne fonctionne plus" in html and "ABCDE-23456" not in html


async def test_a_post_without_the_csrf_token_or_to_an_unknown_household(portal, services, family):
    stand_in = await staff_in(portal, services)
    r = await portal.post(f"/gestion/foyers/{HOUSEHOLD}/nouveau-code", data={})
    assert r.status == 403
    assert not called(stand_in, "POST", "/subscriber-code")
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/nouveau-code")
    token = csrf_of(await r.text())
    r = await portal.post(f"/gestion/foyers/{UNKNOWN}/nouveau-code", data={"csrf_token": token})
    assert r.status == 404
    r = await portal.get(f"/gestion/foyers/{UNKNOWN}/nouveau-code")
    assert r.status == 404
    family.renew_status = 500
    r = await portal.post(f"/gestion/foyers/{HOUSEHOLD}/nouveau-code", data={"csrf_token": token})
    assert r.status == 503  # the French "service unavailable" page, never a 500
    assert family.code == "ABCDE-23456"


async def test_families_may_not(portal, services):
    await log_in(portal)
    for path in (
        f"/gestion/foyers/{HOUSEHOLD}/lettre-code-abonne",
        f"/gestion/foyers/{HOUSEHOLD}/nouveau-code",
    ):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path
    stand_in, _ = services
    assert not called(stand_in, "GET", "/subscriber-letter")
