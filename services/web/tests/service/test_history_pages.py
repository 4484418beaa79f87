"""The one history of a household's procedures over HTTP (family, booking and billing stood
in): the families' `/historique` from their own reads, newest first with links, filtered and
in pages; a service down said on the page; the staff history on the household file from
staff reads naming the household; a family refused the staff page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
LEA = "11111111-1111-4111-8111-111111111111"
SPORT = "44444444-4444-4444-8444-444444444444"
REQUEST = "55555555-5555-4555-8555-555555555555"
PAYMENT = "66666666-6666-4666-8666-666666666666"


def at(day: int, hour: int = 8) -> str:
    return f"2026-09-{day:02d}T{hour:02d}:00:00+00:00"


class Answers:
    def __init__(self) -> None:
        self.linked = True
        self.billing_down = False
        self.payments = 1


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

        def listing(key: str, items: Callable[[], list[dict[str, Any]]], billing: bool = False):
            async def handler(request: web.Request) -> web.Response:
                if not allowed(request):
                    return problem(401, "Jeton invalide.")
                if billing and answers.billing_down:
                    return problem(500, "Erreur.")
                return web.json_response({key: items()})

            return handler

        household = {
            "id": HOUSEHOLD,
            "subscriber_code": "ABCD-2345",
            "guardians": [{"id": "g1", "first_name": "Karim", "last_name": "Benali"}],
            "children": [{"id": LEA, "first_name": "Léa", "last_name": "Benali"}],
        }

        async def me_household(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if not answers.linked:
                return problem(404, "Aucun foyer n'est lié à votre compte.")
            return web.json_response(household)

        async def staff_household(request: web.Request) -> web.Response:
            allowed(request)
            if request.match_info["id"] != HOUSEHOLD:
                return problem(404, "Foyer inconnu.")
            return web.json_response(household)

        changes = lambda: [  # noqa: E731
            {"id": "ch1", "summary": "Adresse", "status": "pending", "submitted_at": at(1)}
        ]
        requests = lambda: [  # noqa: E731
            {
                "id": REQUEST,
                "subject": "Question sur ma facture",
                "status": "answered",
                "topic_label": "Facturation",
                "created_at": at(3),
            }
        ]
        documents = lambda: [  # noqa: E731
            {
                "id": "d1",
                "document_label": "Attestation d'assurance",
                "status": "rejected",
                "reason": "Illisible",
                "uploaded_at": at(2),
            }
        ]
        enrollments = lambda: [  # noqa: E731
            {
                "id": "e1",
                "child_id": LEA,
                "activity_id": SPORT,
                "status": "approved",
                "requested_at": at(4),
            }
        ]
        absences = lambda: [  # noqa: E731
            {
                "id": "a1",
                "child_id": LEA,
                "activity_id": SPORT,
                "date": "2026-09-14",
                "status": "accepted",
                "requested_at": at(15),
            }
        ]
        baskets = lambda: [  # noqa: E731
            {
                "id": "b1",
                "by_staff": False,
                "validated_at": at(5),
                "outcome": {"confirmed": 3, "waiting_list": 0, "cancelled": 0, "refused": 0},
            }
        ]
        payments = lambda: [  # noqa: E731
            {
                "id": PAYMENT if n == 0 else f"p{n}",
                "number": f"R-ENF-2026-{n:06d}",
                "amount_cents": 4140,
                "method": "card",
                "status": "recorded",
                "created_at": at(6 + n // 24, n % 24),
            }
            for n in range(answers.payments)
        ]
        mandates = lambda: [  # noqa: E731
            {
                "id": "m1",
                "regie_name": "Régie Enfance",
                "rum": "RUM-1",
                "status": "active",
                "created_at": at(7, 23),
            }
        ]
        activities = lambda: [{"id": SPORT, "name": "Multisport"}]  # noqa: E731

        me = f"{t}/me/household"
        app.router.add_get(me, me_household)
        app.router.add_get(f"{me}/changes", listing("items", changes))
        app.router.add_get(f"{me}/requests", listing("items", requests))
        app.router.add_get(f"{me}/documents", listing("items", documents))
        app.router.add_get(f"{t}/households/{{id}}", staff_household)
        app.router.add_get(f"{t}/changes", listing("items", changes))
        app.router.add_get(f"{t}/requests", listing("items", requests))
        app.router.add_get(f"{t}/households/{{id}}/documents", listing("items", documents))
        app.router.add_get(f"{t}/enrollments", listing("items", enrollments))
        app.router.add_get(f"{t}/absences", listing("items", absences))
        app.router.add_get(f"{t}/baskets", listing("items", baskets))
        app.router.add_get(f"{t}/activities", listing("items", activities))
        app.router.add_get(f"{t}/payments", listing("payments", payments, billing=True))
        app.router.add_get(
            f"{t}/billing/households/{{id}}/mandates", listing("mandates", mandates, billing=True)
        )

    return add


def queries(stand_in: Services, path_end: str) -> list[dict[str, str]]:
    return [query for _, path, _, query in stand_in.calls if path.endswith(path_end)]


def order_of(html: str, *texts: str) -> list[int]:
    return [html.index(text) for text in texts]


async def test_the_family_history_newest_first_with_links(portal: TestClient, services):
    stand_in, _ = services
    await log_in(portal, "/historique")
    r = await portal.get("/historique")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Historique de mes démarches</h1>" in html
    assert '<a href="/historique" aria-current="page">Historique</a>' in html
    positions = order_of(
        html,
        "Absence de Léa Benali le lundi 14 septembre 2026 : Multisport",  # 15/9
        "Mandat de prélèvement : Régie Enfance",  # 7/9
        "Paiement de 41,40",  # 6/9
        "Réservations validées",  # 5/9
        "Inscription de Léa Benali : Multisport",  # 4/9
        "Demande : Question sur ma facture",  # 3/9
        "Document : Attestation d&#39;assurance",  # 2/9
        "Modification du dossier : Adresse",  # 1/9
    )
    assert positions == sorted(positions)
    for text in (
        f'href="/demandes/{REQUEST}"',
        'href="/documents"',
        'href="/inscriptions"',
        'href="/absences"',
        'href="/reservations"',
        'href="/factures"',
        'href="/prelevement"',
        'href="/foyer"',
        "Justifiée",
        "3 jours confirmés",
        "Illisible",
        "8 démarches",
    ):
        assert text in html, text
    assert "Page 1 sur" not in html  # one page
    assert queries(stand_in, "/me/household/changes") == [{"status": "all", "per_page": "100"}]
    assert queries(stand_in, "/baskets") == [{"limit": "100"}]
    assert queries(stand_in, f"/billing/households/{HOUSEHOLD}/mandates") == [{}]


async def test_filtered_by_kind_and_in_pages(portal: TestClient, services, answers):
    answers.payments = 30  # 30 payments + 7 other procedures: two pages of 20
    await log_in(portal, "/historique")
    r = await portal.get("/historique")
    html = await r.text()
    assert "37 démarches" in html and "Page 1 sur 2" in html
    assert 'href="/historique?page=2" rel="next"' in html
    assert "Modification du dossier" not in html  # the oldest, on page 2
    r = await portal.get("/historique", params={"page": "2"})
    html = await r.text()
    assert "Page 2 sur 2" in html and "Modification du dossier : Adresse" in html
    assert "<title>Historique de mes démarches, page 2" in html
    r = await portal.get("/historique", params={"type": "paiements", "page": "2"})
    html = await r.text()
    assert "30 démarches de type « paiements »" in html and "Page 2 sur 2" in html
    assert 'href="/historique?type=paiements&amp;page=1" rel="prev"' in html
    assert "Demande :" not in html and '<option value="paiements" selected>' in html
    r = await portal.get("/historique", params={"type": "inconnu", "page": "x"})
    assert r.status == 200 and "37 démarches" in await r.text()


async def test_a_service_down_is_said_and_the_rest_shown(portal: TestClient, services, answers):
    answers.billing_down = True
    await log_in(portal, "/historique")
    r = await portal.get("/historique")
    assert r.status == 200
    html = await r.text()
    assert "ne peuvent pas être affichées pour le moment (paiements, mandats de" in html
    assert "Paiement de" not in html and "Demande : Question sur ma facture" in html


async def test_a_family_without_household_is_sent_to_link_it(portal: TestClient, answers):
    answers.linked = False
    await log_in(portal, "/historique")
    r = await portal.get("/historique", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == "/foyer"


async def test_staff_see_the_history_on_the_household_file(portal: TestClient, services):
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/foyers")
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/historique")
    assert r.status == 200
    html = await r.text()
    assert "<h1>Historique des démarches</h1>" in html and "Karim Benali" in html
    for text in (
        f'href="/gestion/foyers/{HOUSEHOLD}"',
        'href="/gestion/modifications/ch1"',
        f'href="/gestion/demandes/{REQUEST}"',
        'href="/gestion/documents/d1"',
        f'href="/gestion/facturation/paiements/{PAYMENT}"',
        "8 démarches",
    ):
        assert text in html, text
    one = {"household_id": HOUSEHOLD}
    assert queries(stand_in, f"{'/tenants/demo'}/changes") == [
        {"status": "all", "per_page": "100", **one}
    ]
    assert queries(stand_in, "/tenants/demo/requests") == [{"per_page": "100", **one}]
    assert queries(stand_in, "/enrollments") == [one]
    assert queries(stand_in, "/absences") == [one]
    assert queries(stand_in, "/baskets") == [{"limit": "100", **one}]
    assert queries(stand_in, "/payments") == [{"limit": "100", **one}]
    r = await portal.get("/gestion/foyers/0f0f0f0f-0000-4000-8000-0000000000ff/historique")
    assert r.status == 404


async def test_a_family_is_refused_the_staff_history(portal: TestClient, services):
    await log_in(portal, "/")
    r = await portal.get(f"/gestion/foyers/{HOUSEHOLD}/historique", allow_redirects=False)
    assert r.status in (403, 303)
    assert "Historique des démarches" not in await r.text()
