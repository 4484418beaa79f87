"""The household file's settings in the back-office (issue 16, admin only): the town's
permissions per child (added, renamed, reordered, deactivated through family's
permission-types) and the fields whose change needs a proof (proof-settings; the address
always); the API's 409 and 422 shown; an agent refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import CSRF, Services, log_in, problem

HOME = "/gestion/reglages/dossier"


@dataclass
class Family:
    types: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"code": "sortie_seul", "label": "Rentrer seul", "position": 1, "active": True},
            {"code": "image_rights", "label": "Droit à l'image", "position": 2, "active": True},
        ]
    )
    proofs: list[str] = field(default_factory=lambda: ["address"])
    sent: list[tuple[str, str, Any]] = field(default_factory=list)


@pytest.fixture
def family() -> Family:
    return Family()


@pytest.fixture
def stand_in_routes(family: Family) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def types(request: web.Request) -> web.Response:
            return web.json_response({"items": family.types})

        async def add_type(request: web.Request) -> web.Response:
            body = await request.json()
            family.sent.append(("POST", request.path, body))
            if not body.get("label"):
                return problem(
                    422,
                    "Incorrect : label.",
                    errors=[{"field": "label", "detail": "Ce champ est obligatoire."}],
                )
            if body.get("code") == "sortie_seul":
                return problem(
                    409,
                    "Ce code existe déjà.",
                    errors=[{"field": "code", "detail": "Ce code existe déjà dans la liste."}],
                )
            family.types.append(
                {
                    "code": body.get("code", "piscine"),
                    "label": body["label"],
                    "position": 3,
                    "active": True,
                }
            )
            return web.json_response({"items": family.types}, status=201)

        async def patch_type(request: web.Request) -> web.Response:
            body = await request.json()
            family.sent.append(("PATCH", request.path, body))
            found = [p for p in family.types if p["code"] == request.match_info["code"]]
            if not found:
                return problem(404, "Inconnue.")
            found[0].update(body)
            return web.json_response({"items": family.types})

        async def proofs(request: web.Request) -> web.Response:
            return web.json_response({"proof_fields": family.proofs, "document_types": {}})

        async def put_proofs(request: web.Request) -> web.Response:
            body = await request.json()
            family.sent.append(("PUT", request.path, body))
            family.proofs = ["address", *[f for f in body["proof_fields"] if f != "address"]]
            return web.json_response({"proof_fields": family.proofs, "document_types": {}})

        app.router.add_get(f"{t}/permission-types", types)
        app.router.add_post(f"{t}/permission-types", add_type)
        app.router.add_patch(f"{t}/permission-types/{{code}}", patch_type)
        app.router.add_get(f"{t}/proof-settings", proofs)
        app.router.add_put(f"{t}/proof-settings", put_proofs)

    return add


async def as_role(portal: TestClient, services: tuple[Services, str], *roles: str) -> None:
    stand_in, _ = services
    stand_in.roles = list(roles)
    await log_in(portal, HOME)


async def page(portal: TestClient) -> tuple[str, str]:
    r = await portal.get(HOME)
    html = unescape(await r.text())
    assert r.status == 200, html
    return html, CSRF.search(html)[1]


async def test_an_admin_keeps_the_towns_permissions(portal, services, family):
    await as_role(portal, services, "staff", "admin")
    html, token = await page(portal)
    assert "<h1>Réglages du dossier famille</h1>" in html
    assert 'id="label-sortie_seul" name="label" type="text" value="Rentrer seul"' in html
    r = await portal.post(f"{HOME}/autorisations", data={"csrf_token": token, "label": ""})
    assert r.status == 422
    assert 'id="ajout-label-erreur">Ce champ est obligatoire.' in await r.text()
    r = await portal.post(
        f"{HOME}/autorisations",
        data={"csrf_token": token, "label": "Sortie", "code": "sortie_seul"},
    )
    assert r.status == 409
    assert 'id="ajout-code-erreur">Ce code existe déjà dans la liste.' in await r.text()
    r = await portal.post(
        f"{HOME}/autorisations",
        data={"csrf_token": token, "label": "Piscine"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, f"{HOME}?enregistre=ajout")
    assert family.sent[-1] == ("POST", "/tenants/demo/permission-types", {"label": "Piscine"})
    # Deactivated (the box left unticked), renamed, moved first.
    r = await portal.post(
        f"{HOME}/autorisations/image_rights",
        data={"csrf_token": token, "label": "Photos et vidéos", "position": "0"},
        allow_redirects=False,
    )
    assert r.status == 303
    assert family.sent[-1][2] == {"label": "Photos et vidéos", "active": False, "position": 0}
    r = await portal.post(
        f"{HOME}/autorisations/inconnue", data={"csrf_token": token, "label": "X"}
    )
    assert r.status == 404


async def test_an_admin_chooses_the_proofs_the_address_always_stays(portal, services, family):
    await as_role(portal, services, "staff", "admin")
    html, token = await page(portal)
    assert 'id="preuve-address" name="address" value="1" checked disabled' in html
    r = await portal.post(
        f"{HOME}/justificatifs",
        data={"csrf_token": token, "marital_status": "1"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, f"{HOME}?enregistre=preuves")
    assert family.sent[-1] == (
        "PUT",
        "/tenants/demo/proof-settings",
        {"proof_fields": ["marital_status"]},
    )
    html, _ = await page(portal)
    assert 'id="preuve-marital_status" name="marital_status" value="1" checked' in html


async def test_an_agent_is_told_the_page_is_for_admins(portal, services):
    await as_role(portal, services, "staff")
    r = await portal.get(HOME)
    assert r.status == 403
    assert "réservée aux administrateurs" in unescape(await r.text())
