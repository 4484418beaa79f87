"""The back-office households' pages over HTTP (family, billing and notify stood in): the
search passed on to the family API and its results, the whole file with each section, a
section whose service fails said on the page (never a 500), the French 404 of an unknown
household or child, the health record read through the staff API, families refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
UNKNOWN = "0f0f0f0f-0000-4000-8000-0000000000ff"
INES = "11111111-1111-4111-8111-111111111111"
ACCOUNT = "9a1c0c1e-2222-4333-8444-955555555555"
CODE = "ABCD-2345"


def the_household() -> dict[str, Any]:
    return {
        "id": HOUSEHOLD,
        "subscriber_code": CODE,
        "address": {
            "line1": "3 place de la Mairie",
            "line2": "",
            "postal_code": "74330",
            "city": "Epagny",
        },
        "phones": ["06 12 34 56 78"],
        "guardians": [
            {
                "id": "22222222-2222-4222-8222-222222222222",
                "first_name": "Karim",
                "last_name": "Benali",
                "relationship": "father",
                "email": "karim@example.fr",
                "phones": [],
            }
        ],
        "children": [
            {
                "id": INES,
                "first_name": "Inès",
                "last_name": "Benali",
                "birth_date": "2018-04-02",
                "sex": "F",
                "school": "École du Lac",
                "grade": "CP",
                "diet": "no_pork",
                "image_rights": False,
                "has_health_record": True,
                "has_photo": False,
                "contacts": [
                    {
                        "id": "33333333-3333-4333-8333-333333333333",
                        "child_id": INES,
                        "first_name": "Mona",
                        "last_name": "Benali",
                        "phone": "0611223344",
                        "relationship": "Tante",
                        "can_pick_up": True,
                        "can_pick_up_given_at": "2026-09-03T08:00:00+00:00",
                        "emergency": True,
                        "emergency_given_at": None,
                    }
                ],
            }
        ],
        "quotient": None,
        "accounts": [
            {
                "account_id": ACCOUNT,
                "linked_by": "subscriber_code",
                "linked_at": "2026-09-01T08:00:00+00:00",
            }
        ],
        "pending_changes": 1,
        "created_at": "2026-08-20T08:00:00+00:00",
    }


class Answers:
    """What the stood-in services answer, changed by each test."""

    def __init__(self) -> None:
        self.billing_down = False
        self.search_status = 200
        self.health: dict[str, Any] | None = {
            "child_id": INES,
            "allergies": ["arachide"],
            "pai": True,
            "pai_details": "Trousse d'urgence",
            "vaccinations": [],
            "doctor": None,
            "treatments": "",
            "remarks": "",
            "certified": True,
            "certified_at": None,
            "certified_by": None,
            "updated_at": "2026-09-02T08:00:00+00:00",
        }


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def stand_in_routes(answers: Answers) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, dict(request.query)))
            return header in services.valid_access

        async def search(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if answers.search_status != 200:
                return problem(answers.search_status, "Certaines informations sont incorrectes.")
            q = request.query.get("q", "").lower()
            found = the_household()
            items = []
            if q in ("ines", "inès", CODE.lower()):
                items = [
                    {
                        **{k: found[k] for k in ("id", "subscriber_code", "address")},
                        "guardians": ["Karim Benali"],
                        "children": ["Inès Benali"],
                    }
                ]
            return web.json_response(
                {"items": items, "total": len(items), "page": 1, "per_page": 20}
            )

        async def household(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Ce foyer n'existe pas.")
            return web.json_response(the_household())

        async def changes(request: web.Request) -> web.Response:
            allowed(request)
            return web.json_response(
                {
                    "items": [
                        {
                            "id": "44444444-4444-4444-8444-444444444444",
                            "household_id": HOUSEHOLD,
                            "entity": "child",
                            "operation": "update",
                            "summary": "Régime d'Inès",
                            "status": "rejected",
                            "reason": "Pièce manquante",
                            "submitted_at": "2026-09-03T08:00:00+00:00",
                        }
                    ],
                    "total": 1,
                    "page": 1,
                    "per_page": 50,
                }
            )

        async def documents(request: web.Request) -> web.Response:
            allowed(request)
            return web.json_response(
                {
                    "items": [
                        {
                            "id": "55555555-5555-4555-8555-555555555555",
                            "member_kind": "child",
                            "member_id": INES,
                            "document_type": "vaccinations",
                            "document_label": "Carnet de vaccination",
                            "filename": "carnet.pdf",
                            "size": 2048,
                            "status": "pending",
                            "valid_until": None,
                            "reason": None,
                            "uploaded_at": "2026-09-04T08:00:00+00:00",
                        }
                    ],
                    "total": 1,
                    "page": 1,
                    "per_page": 50,
                }
            )

        async def health(request: web.Request) -> web.Response:
            allowed(request)
            if answers.health is None:
                return problem(404, "Aucune fiche sanitaire.")
            return web.json_response(answers.health)

        async def invoices(request: web.Request) -> web.Response:
            allowed(request)
            if answers.billing_down:
                return problem(500, "Erreur.")
            return web.json_response(
                {
                    "invoices": [
                        {
                            "id": "66666666-6666-4666-8666-666666666666",
                            "number": "F2026-000123",
                            "status": "issued",
                            "issue_date": "2026-10-01",
                            "due_date": "2026-10-31",
                            "total_cents": 4140,
                            "remaining_cents": 4140,
                            "payment_status": "unpaid",
                            "in_recovery": False,
                        }
                    ]
                }
            )

        async def account(request: web.Request) -> web.Response:
            allowed(request)
            if answers.billing_down:
                return problem(500, "Erreur.")
            return web.json_response(
                {"balance_cents": 4140, "credit_cents": 0, "regies": [], "entries": []}
            )

        async def emails(request: web.Request) -> web.Response:
            allowed(request)
            items = []
            if request.query.get("account_id") == ACCOUNT or request.query.get("recipient"):
                items = [
                    {
                        "id": "77777777-7777-4777-8777-777777777777",
                        "recipient": "karim@example.fr",
                        "template": "invoice_issued",
                        "subject": "Votre facture F2026-000123",
                        "status": "sent",
                        "created_at": "2026-10-01T09:00:00+00:00",
                    }
                ]
            return web.json_response({"items": items, "next_offset": None})

        async def access_log(request: web.Request) -> web.Response:
            allowed(request)
            reads = [c for c in services.calls if c[1].endswith("/health")]
            items = [
                {
                    "child_id": INES,
                    "roles": ["staff"],
                    "account_id": ACCOUNT,
                    "purpose": "read",
                    "document_id": None,
                    "accessed_at": "2026-10-02T08:00:00+00:00",
                }
                for _ in reads
            ]
            return web.json_response({"items": items})

        async def linked_account(request: web.Request) -> web.Response:
            allowed(request)
            return web.json_response(
                {
                    "id": ACCOUNT,
                    "email": "karim@example.fr",
                    "display_name": "Compte de Karim",
                    "roles": ["family"],
                    "status": "active",
                }
            )

        app.router.add_get(f"{t}/accounts/{{id}}", linked_account)
        app.router.add_get(f"{t}/households/{{id}}/health-access-log", access_log)
        app.router.add_get(f"{t}/households", search)
        app.router.add_get(f"{t}/households/{{id}}", household)
        app.router.add_get(f"{t}/changes", changes)
        app.router.add_get(f"{t}/households/{{id}}/documents", documents)
        app.router.add_get(f"{t}/households/{{id}}/children/{{child}}/health", health)
        app.router.add_get(f"{t}/invoices", invoices)
        app.router.add_get(f"{t}/billing/households/{{id}}/account", account)
        app.router.add_get(f"{t}/emails", emails)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/foyers")
    return stand_in


def sent(stand_in: Services, path_end: str) -> list[Any]:
    return [body for _, path, _, body in stand_in.calls if path.endswith(path_end)]


async def test_the_search_finds_a_household_by_a_child_and_by_its_code(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get("/gestion/foyers")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Rechercher un foyer</h1>" in html and "Saisissez un nom" in html
    assert not sent(stand_in, "/households")  # nothing asked before the agent types
    r = await portal.get("/gestion/foyers", params={"q": "  Inès  "})
    html = await r.text()
    assert r.status == 200
    assert f'href="/gestion/foyers/{HOUSEHOLD}"' in html and "Inès Benali" in html
    assert "1 foyer trouvé" in html and "74330 Epagny" in html
    assert "<title>Foyers : « Inès »" in html
    assert sent(stand_in, "/households")[-1] == {"q": "Inès", "page": "1", "per_page": "20"}
    r = await portal.get("/gestion/foyers", params={"q": CODE.lower()})
    assert "Karim Benali" in await r.text()
    r = await portal.get("/gestion/foyers", params={"q": "personne", "page": "x"})
    assert "Aucun foyer ne correspond à « personne »" in await r.text()


async def test_a_refused_search_is_said_not_a_500(portal, services, answers):
    await staff_in(portal, services)
    answers.search_status = 422
    r = await portal.get("/gestion/foyers", params={"q": "ines", "page": "999999"})
    assert r.status == 200
    assert "La recherche n'a pas pu aboutir" in await r.text()


async def test_the_whole_file_shows_every_section(portal, services):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}")
    assert r.status == 200
    html = await r.text()
    for text in (
        "<h1>Foyer de Karim Benali</h1>",
        CODE,
        "3 place de la Mairie",
        "Sans porc",  # the diet in French
        "Droit à l'image</dt><dd>Refusé",
        "École du Lac",
        "Mona Benali",
        "<td>Autorisé depuis le jeudi 3 septembre 2026</td>",  # who may pick Inès up, since
        "<td>Oui (date non renseignée)</td>",  # entered before the dates were kept
        f"/gestion/foyers/{HOUSEHOLD}/enfants/{INES}/sante",
        "La famille (code abonné)",
        "Compte de Karim",  # the linked account as identity names it
        "Actif",
        "Enfant : modification",
        "motif : Pièce manquante",
        "Carnet de vaccination",
        "À valider",
        "F2026-000123",
        "41,40",
        "Reste à payer",
        "Votre facture F2026-000123",
        "Envoyé",
    ):
        assert text in html, text
    assert html.count("Votre facture F2026-000123") == 1  # by account and by address: once
    assert sent(stand_in, "/changes")[-1]["household_id"] == HOUSEHOLD
    assert sent(stand_in, "/invoices")[-1]["household_id"] == HOUSEHOLD
    assert not sent(stand_in, "/health")  # the health record is read on its own page only


async def test_a_failing_service_leaves_its_section_saying_so(portal, services, answers):
    await staff_in(portal, services)
    answers.billing_down = True
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}")
    assert r.status == 200
    html = await r.text()
    assert "Le solde ne peut pas être lu pour le moment" in html
    assert "Les factures ne peuvent pas être lues pour le moment" in html
    assert "Carnet de vaccination" in html


async def test_unknown_households_and_children_are_french_404s(portal, services):
    await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{UNKNOWN}")
    assert r.status == 404 and "Page introuvable" in await r.text()
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/enfants/{UNKNOWN}/sante")
    assert r.status == 404
    r = await portal.get("/gestion/foyers/pas-un-foyer")
    assert r.status == 404


async def test_the_health_record_says_its_reading_is_logged(portal, services, answers):
    stand_in = await staff_in(portal, services)
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/enfants/{INES}/sante")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Fiche sanitaire d'Inès Benali</h1>" in html
    assert "votre consultation vient d'être enregistrée" in html
    assert "arachide" in html and "Trousse d&#39;urgence" in html
    assert sent(stand_in, f"/households/{HOUSEHOLD}/children/{INES}/health")
    assert "Agent de la mairie" in html  # this very reading, listed as the family sees it
    answers.health = None
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/enfants/{INES}/sante")
    assert r.status == 200 and "pas encore renseignée" in await r.text()


async def test_families_and_visitors_may_not_enter(portal, services):
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    await log_in(portal)
    for path in (
        "/gestion/foyers?q=ines",
        f"/gestion/foyers/{HOUSEHOLD}",
        f"/gestion/foyers/{HOUSEHOLD}/enfants/{INES}/sante",
    ):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path
    stand_in, _ = services
    assert not sent(stand_in, "/health")
