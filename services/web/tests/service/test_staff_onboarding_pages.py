"""The back-office invitations of imported families (family stood in): a run started for an
import's households or for all not invited yet, its progress (the counts refreshed by htmx
while pending) and its report of who could not be invited, the pending asked again; nobody
to invite said on the page; a family refused; a service down a French page, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

RUN = "0f0f0f0f-0000-4000-8000-0000000000a1"
HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000011"
OTHER = "0f0f0f0f-0000-4000-8000-000000000012"


class Family:
    """The stood-in family service's runs."""

    def __init__(self) -> None:
        self.started: list[Any] = []
        self.resumed = 0
        self.pending = 1
        self.nobody = False
        self.down = False

    def run(self) -> dict[str, Any]:
        guardians = [
            {
                "household_id": HOUSEHOLD,
                "guardian_id": "0f0f0f0f-0000-4000-8000-0000000000b1",
                "name": "Amélie Dupré",
                "email": "amelie.dupre@example.fr",
                "state": "pending" if self.pending else "invited",
                "reason": None,
                "reason_label": None,
                "account_id": None,
                "requested_at": "2026-06-01T08:00:00+00:00",
                "answered_at": None,
            },
            {
                "household_id": OTHER,
                "guardian_id": "0f0f0f0f-0000-4000-8000-0000000000b2",
                "name": "Paul Faure",
                "email": None,
                "state": "skipped",
                "reason": "no_email",
                "reason_label": "Aucune adresse email dans le dossier.",
                "account_id": None,
                "requested_at": None,
                "answered_at": "2026-06-01T08:00:00+00:00",
            },
        ]
        return {
            "id": RUN,
            "created_by": "0f0f0f0f-0000-4000-8000-0000000000c1",
            "created_at": "2026-06-01T08:00:00+00:00",
            "total": 2,
            "pending": self.pending,
            "invited": 1 - self.pending,
            "skipped": 1,
            "done": self.pending == 0,
            "skipped_by_reason": {"no_email": 1},
            "guardians": guardians,
        }


@pytest.fixture
def family() -> Family:
    return Family()


@pytest.fixture
def stand_in_routes(family: Family) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request, body: Any = None) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        async def runs(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if family.down:
                return problem(500, "Erreur.")
            summary = {k: v for k, v in family.run().items() if k not in ("guardians",)}
            items = [summary] if family.started else []
            return web.json_response({"items": items, "total": len(items), "page": 1})

        async def start(request: web.Request) -> web.Response:
            body = await request.json()
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            if family.nobody:
                return problem(
                    422,
                    "Aucun responsable à inviter : les familles importées ont déjà toutes été "
                    "invitées.",
                    errors=[{"field": "all", "detail": "Aucun responsable à inviter."}],
                )
            family.started.append(body)
            return web.json_response(family.run(), status=201)

        async def one(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != RUN:
                return problem(404, "Cette campagne d'invitation n'existe pas.")
            return web.json_response(family.run())

        async def resume(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != RUN:
                return problem(404, "Cette campagne d'invitation n'existe pas.")
            family.resumed += 1
            return web.json_response(family.run())

        app.router.add_get(f"{t}/onboarding-runs", runs)
        app.router.add_post(f"{t}/onboarding-runs", start)
        app.router.add_get(f"{t}/onboarding-runs/{{id}}", one)
        app.router.add_post(f"{t}/onboarding-runs/{{id}}/resume", resume)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/invitations")
    return stand_in


async def test_an_imports_households_invited_then_the_progress_and_the_report(
    portal, services, family
):
    await staff_in(portal, services)
    r = await portal.get("/gestion/invitations")
    assert r.status == 200
    html = await r.text()
    assert "Aucune invitation n'a encore été lancée." in html
    # The import report's form: its households.
    r = await portal.post(
        "/gestion/invitations",
        data=[
            ("csrf_token", csrf_of(html)),
            ("household_id", HOUSEHOLD),
            ("household_id", OTHER),
        ],
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"/gestion/invitations/{RUN}"
    assert family.started == [{"household_ids": [HOUSEHOLD, OTHER]}]
    r = await portal.get(r.headers["Location"])
    html = await r.text()
    assert r.status == 200
    assert "Création des comptes en cours : 1 en attente sur 2." in html
    assert f'hx-get="/gestion/invitations/{RUN}" hx-trigger="every 3s"' in html
    # The report: who could not be invited, and why, with their household.
    assert "Paul Faure" in html and "Aucune adresse email dans le dossier." in html
    assert f'href="/gestion/foyers/{OTHER}"' in html
    assert "Relancer les invitations en attente" in html

    # htmx asks for the counts alone; once done, it stops refreshing.
    family.pending = 0
    r = await portal.get(f"/gestion/invitations/{RUN}", headers={"HX-Request": "true"})
    fragment = await r.text()
    assert r.status == 200 and "<h1>" not in fragment
    assert "Toutes les demandes ont été traitées : 1 invitation envoyée" in fragment
    assert "hx-get" not in fragment

    # The list of runs links the report.
    r = await portal.get("/gestion/invitations")
    assert f'href="/gestion/invitations/{RUN}"' in await r.text()


async def test_all_not_yet_invited_and_the_pending_asked_again(portal, services, family):
    await staff_in(portal, services)
    r = await portal.get("/gestion/invitations")
    token = csrf_of(await r.text())
    r = await portal.post("/gestion/invitations", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303
    assert family.started == [{"all": True}]
    r = await portal.post(
        f"/gestion/invitations/{RUN}/relancer", data={"csrf_token": token}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == f"/gestion/invitations/{RUN}"
    assert family.resumed == 1
    # Nobody left to invite: said on the page.
    family.nobody = True
    r = await portal.post("/gestion/invitations", data={"csrf_token": token})
    assert r.status == 422
    html = await r.text()
    assert "Aucune invitation n'a été lancée" in html and "déjà toutes été invitées" in html


async def test_unknown_run_csrf_service_down_and_families(portal, services, family):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/invitations/0f0f0f0f-0000-4000-8000-0000000000ff")
    assert r.status == 404 and "Page introuvable" in await r.text()
    r = await portal.post("/gestion/invitations", data={})
    assert r.status == 403
    assert not family.started
    family.down = True
    r = await portal.get("/gestion/invitations")
    assert r.status == 503
    await portal.post("/deconnexion", data={"csrf_token": csrf_of(await r.text())})
    stand_in.roles = ["family"]
    portal.session.cookie_jar.clear()
    await log_in(portal)
    r = await portal.get("/gestion/invitations", allow_redirects=False)
    assert r.status == 403 and "réservée aux agents" in await r.text()
