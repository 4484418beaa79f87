"""The work queue over HTTP (family and booking stood in): the counts and oldest items per
kind, the filter, a change's current and proposed values side by side, a decision then the
next item, a refusal without a reason refused by the form, the API's 409 and 422 said next
to what they name, documents validated until a date, requests answered with the closing,
families refused (French 403), unknown items (French 404), CSRF on the decisions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
LEA = "11111111-1111-4111-8111-111111111111"
CHANGE_1 = "44444444-4444-4444-8444-000000000001"
CHANGE_2 = "44444444-4444-4444-8444-000000000002"
UNKNOWN = "44444444-4444-4444-8444-0000000000ff"
DOC_1 = "55555555-5555-4555-8555-000000000001"
DOC_2 = "55555555-5555-4555-8555-000000000002"
REQUEST = "66666666-6666-4666-8666-000000000001"
CARD_OLD = "88888888-8888-4888-8888-000000000001"
CARD_NEW = "88888888-8888-4888-8888-000000000002"


def a_card_payment(transaction_id: str, created_at: str) -> dict[str, Any]:
    return {
        "transaction_id": transaction_id,
        "household_id": HOUSEHOLD,
        "amount_cents": 1660,
        "status": "pending",
        "created_at": created_at,
    }


def a_change(change_id: str, submitted_at: str) -> dict[str, Any]:
    return {
        "id": change_id,
        "household_id": HOUSEHOLD,
        "entity": "child",
        "operation": "update",
        "entity_id": LEA,
        "parent_id": None,
        "summary": "Modification d'un enfant : Léa Roux",
        "before": {"id": LEA, "first_name": "Léa", "diet": "standard"},
        "proposed": {"first_name": "Léa", "diet": "vegetarian"},
        "sensitive": False,
        "status": "pending",
        "submitted_at": submitted_at,
        "reason": None,
    }


def a_document(document_id: str) -> dict[str, Any]:
    return {
        "id": document_id,
        "household_id": HOUSEHOLD,
        "member_kind": "child",
        "member_id": LEA,
        "document_type": "vaccinations",
        "document_label": "Carnet de vaccination",
        "filename": "carnet.pdf",
        "content_type": "application/pdf",
        "size": 2048,
        "status": "pending",
        "valid_until": None,
        "reason": None,
        "uploaded_at": "2026-09-04T08:00:00+00:00",
    }


class Answers:
    """The stand-in's state, changed by each test and by the decisions."""

    def __init__(self) -> None:
        self.changes = {
            CHANGE_1: a_change(CHANGE_1, "2026-09-01T08:00:00+00:00"),
            CHANGE_2: a_change(CHANGE_2, "2026-09-02T08:00:00+00:00"),
        }
        self.documents = {DOC_1: a_document(DOC_1), DOC_2: a_document(DOC_2)}
        self.approve_status = 200
        # One started long ago (waits for staff), one a minute ago (the bank may still answer).
        self.card = [
            a_card_payment(CARD_OLD, "2020-01-01T08:00:00+00:00"),
            a_card_payment(CARD_NEW, "2999-01-01T08:00:00+00:00"),
        ]
        self.check_status = "paid"
        self.booking_down = False
        self.sent: list[tuple[str, Any]] = []
        self.request = {
            "id": REQUEST,
            "household_id": HOUSEHOLD,
            "topic": "autre",
            "topic_label": "Autre question",
            "child_id": LEA,
            "subject": "Horaires du périscolaire",
            "status": "open",
            "created_at": "2026-09-05T08:00:00+00:00",
            "updated_at": "2026-09-05T08:00:00+00:00",
            "message_count": 1,
            "messages": [
                {
                    "id": "77777777-7777-4777-8777-000000000001",
                    "side": "family",
                    "body": "À quelle heure ouvre la garderie ?",
                    "attachment": None,
                    "created_at": "2026-09-05T08:00:00+00:00",
                }
            ],
        }


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def stand_in_routes(answers: Answers) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        def page(items: list[dict[str, Any]]) -> web.Response:
            return web.json_response(
                {"items": items, "total": len(items), "page": 1, "per_page": 20}
            )

        async def changes(request: web.Request) -> web.Response:
            assert allowed(request)
            waiting = [c for c in answers.changes.values() if c["status"] == "pending"]
            return page(waiting[: int(request.query.get("per_page", "20"))])

        async def change(request: web.Request) -> web.Response:
            found = answers.changes.get(request.match_info["id"])
            return web.json_response(found) if found else problem(404, "Inconnue.")

        async def approve(request: web.Request) -> web.Response:
            change_id = request.match_info["id"]
            answers.sent.append((f"approve {change_id}", None))
            if answers.approve_status == 409:
                return problem(409, "Cette modification a déjà été traitée.")
            answers.changes[change_id]["status"] = "approved"
            return web.json_response(answers.changes[change_id])

        async def reject(request: web.Request) -> web.Response:
            change_id = request.match_info["id"]
            answers.sent.append((f"reject {change_id}", await request.json()))
            answers.changes[change_id]["status"] = "rejected"
            return web.json_response(answers.changes[change_id])

        async def documents(request: web.Request) -> web.Response:
            return page([d for d in answers.documents.values() if d["status"] == "pending"])

        async def document(request: web.Request) -> web.Response:
            found = answers.documents.get(request.match_info["id"])
            return web.json_response(found) if found else problem(404, "Inconnu.")

        async def validate(request: web.Request) -> web.Response:
            body = await request.json()
            answers.sent.append(("validate", body))
            if body.get("valid_until") == "2020-01-01":
                return problem(
                    422,
                    "Certaines informations sont incorrectes : valid_until.",
                    errors=[{"field": "valid_until", "detail": "Date déjà passée."}],
                )
            answers.documents[request.match_info["id"]]["status"] = "validated"
            return web.json_response(answers.documents[request.match_info["id"]])

        async def reject_document(request: web.Request) -> web.Response:
            answers.sent.append(("reject document", await request.json()))
            answers.documents[request.match_info["id"]]["status"] = "rejected"
            return web.json_response(answers.documents[request.match_info["id"]])

        async def household(request: web.Request) -> web.Response:
            return web.json_response(
                {
                    "id": HOUSEHOLD,
                    "guardians": [{"id": "g", "first_name": "Ana", "last_name": "Roux"}],
                    "children": [{"id": LEA, "first_name": "Léa", "last_name": "Roux"}],
                }
            )

        async def requests(request: web.Request) -> web.Response:
            return page([answers.request])

        async def thread(request: web.Request) -> web.Response:
            if request.match_info["id"] != REQUEST:
                return problem(404, "Inconnue.")
            return web.json_response(answers.request)

        async def message(request: web.Request) -> web.Response:
            form = await request.post()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            answers.sent.append(("message", fields))
            if not fields.get("message"):
                return problem(
                    422,
                    "Certaines informations sont manquantes : message.",
                    errors=[{"field": "message", "detail": "Champ obligatoire."}],
                )
            return web.json_response(answers.request, status=201)

        async def pending(request: web.Request) -> web.Response:
            if answers.booking_down:
                return problem(503, "Indisponible.")
            return web.json_response({"items": [{"id": "e1"}, {"id": "e2"}]})

        app.router.add_get(f"{t}/changes", changes)
        app.router.add_get(f"{t}/changes/{{id}}", change)
        app.router.add_post(f"{t}/changes/{{id}}/approve", approve)
        app.router.add_post(f"{t}/changes/{{id}}/reject", reject)
        app.router.add_get(f"{t}/documents", documents)
        app.router.add_get(f"{t}/documents/{{id}}", document)
        app.router.add_post(f"{t}/documents/{{id}}/validate", validate)
        app.router.add_post(f"{t}/documents/{{id}}/reject", reject_document)
        app.router.add_get(f"{t}/households/{{id}}", household)
        app.router.add_get(f"{t}/requests", requests)
        app.router.add_get(f"{t}/requests/{{id}}", thread)
        app.router.add_post(f"{t}/requests/{{id}}/messages", message)

        async def card_payments(request: web.Request) -> web.Response:
            assert request.query["status"] == "pending"
            return web.json_response({"transactions": answers.card})

        async def check(request: web.Request) -> web.Response:
            found = [c for c in answers.card if c["transaction_id"] == request.match_info["id"]]
            if not found:
                return problem(404, "Inconnu.")
            answers.sent.append((f"check {request.match_info['id']}", None))
            return web.json_response({**found[0], "status": answers.check_status})

        app.router.add_get(f"{t}/card-payments", card_payments)
        app.router.add_post(f"{t}/card-payments/{{id}}/check", check)
        app.router.add_get(f"{t}/enrollments", pending)
        app.router.add_get(f"{t}/absences", pending)

    return add


@pytest.fixture
async def agent(portal: TestClient, services: tuple[Services, str]) -> TestClient:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion")
    return portal


async def test_the_queue_shows_each_kind_oldest_first_with_counts(agent: TestClient) -> None:
    r = await agent.get("/gestion")
    html = await r.text()
    assert r.status == 200
    assert "<h1>File d'attente</h1>" in html
    assert html.index(CHANGE_1) < html.index(CHANGE_2)
    assert f"/gestion/documents/{DOC_1}" in html
    assert f"/gestion/demandes/{REQUEST}" in html
    assert 'href="/gestion/inscriptions"' in html and 'href="/gestion/absences"' in html
    assert "Inscriptions à décider : ouvrir la liste (2)" in html
    only = await (await agent.get("/gestion?type=documents")).text()
    assert (
        f"/gestion/documents/{DOC_1}" in only and f"/gestion/modifications/{CHANGE_1}" not in only
    )


async def test_a_service_down_is_said_for_its_kinds_the_others_still_show(
    agent: TestClient, answers: Answers
) -> None:
    answers.booking_down = True
    r = await agent.get("/gestion")
    html = await r.text()
    assert r.status == 200
    assert "Inscriptions à décider (indisponible)" in html
    assert "Le service ne répond pas pour le moment" in html
    assert f"/gestion/modifications/{CHANGE_1}" in html


async def test_a_change_shows_current_and_proposed_values_then_the_next_opens(
    agent: TestClient, answers: Answers
) -> None:
    r = await agent.get(f"/gestion/modifications/{CHANGE_1}")
    html = await r.text()
    assert r.status == 200
    assert "Régime alimentaire" in html and "Standard" in html and "Végétarien" in html
    assert "Modifié" in html
    r = await agent.post(
        f"/gestion/modifications/{CHANGE_1}/accepter",
        data={"csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert r.status == 303
    assert r.headers["Location"] == f"/gestion/modifications/{CHANGE_2}?fait=acceptee"
    r = await agent.post(
        f"/gestion/modifications/{CHANGE_2}/accepter",
        data={"csrf_token": csrf_of(html)},
        allow_redirects=False,
    )
    assert r.headers["Location"] == "/gestion?fait=acceptee"
    assert answers.sent == [(f"approve {CHANGE_1}", None), (f"approve {CHANGE_2}", None)]


async def test_a_refusal_without_a_reason_is_shown_by_the_field(
    agent: TestClient, answers: Answers
) -> None:
    html = await (await agent.get(f"/gestion/modifications/{CHANGE_1}")).text()
    r = await agent.post(
        f"/gestion/modifications/{CHANGE_1}/refuser",
        data={"csrf_token": csrf_of(html), "reason": "  "},
    )
    page = await r.text()
    assert r.status == 422
    assert 'id="reason" name="reason"' in page and 'aria-invalid="true"' in page
    assert "Indiquez le motif du refus" in page
    assert answers.sent == []
    r = await agent.post(
        f"/gestion/modifications/{CHANGE_1}/refuser",
        data={"csrf_token": csrf_of(html), "reason": "Pas de certificat"},
        allow_redirects=False,
    )
    assert r.status == 303
    assert answers.sent == [(f"reject {CHANGE_1}", {"reason": "Pas de certificat"})]


async def test_a_change_already_decided_is_said_in_french(
    agent: TestClient, answers: Answers
) -> None:
    answers.approve_status = 409
    html = await (await agent.get(f"/gestion/modifications/{CHANGE_1}")).text()
    r = await agent.post(
        f"/gestion/modifications/{CHANGE_1}/accepter", data={"csrf_token": csrf_of(html)}
    )
    assert r.status == 409
    assert "Cette modification a déjà été traitée." in await r.text()


async def test_a_document_is_validated_until_a_date_its_error_by_the_field(
    agent: TestClient, answers: Answers
) -> None:
    r = await agent.get(f"/gestion/documents/{DOC_1}")
    html = await r.text()
    assert r.status == 200
    assert "Carnet de vaccination" in html and "Léa Roux" in html
    assert f'href="/gestion/documents/{DOC_1}/contenu"' in html
    r = await agent.post(
        f"/gestion/documents/{DOC_1}/valider",
        data={"csrf_token": csrf_of(html), "valid_until": "2020-01-01"},
    )
    page = await r.text()
    assert r.status == 422
    assert 'id="valid_until-erreur">Date déjà passée.' in page
    r = await agent.post(
        f"/gestion/documents/{DOC_1}/valider",
        data={"csrf_token": csrf_of(html), "valid_until": "2027-08-31"},
        allow_redirects=False,
    )
    assert r.headers["Location"] == f"/gestion/documents/{DOC_2}?fait=valide"
    r = await agent.post(
        f"/gestion/documents/{DOC_2}/refuser",
        data={"csrf_token": csrf_of(html), "reason": "Illisible"},
        allow_redirects=False,
    )
    assert r.headers["Location"] == "/gestion?type=documents&fait=refuse"
    assert answers.sent[-1] == ("reject document", {"reason": "Illisible"})


async def test_a_request_is_answered_and_closed_its_error_by_the_field(
    agent: TestClient, answers: Answers
) -> None:
    listed = await (await agent.get("/gestion/demandes")).text()
    assert "Horaires du périscolaire" in listed
    html = await (await agent.get(f"/gestion/demandes/{REQUEST}")).text()
    assert "À quelle heure ouvre la garderie ?" in html and "Foyer Roux" in html
    r = await agent.post(f"/gestion/demandes/{REQUEST}", data={"csrf_token": csrf_of(html)})
    page = await r.text()
    assert r.status == 422
    assert 'id="message-erreur">Champ obligatoire.' in page
    r = await agent.post(
        f"/gestion/demandes/{REQUEST}",
        data={"csrf_token": csrf_of(html), "message": "Dès 7 h 30.", "close": "oui"},
        allow_redirects=False,
    )
    assert r.status == 303
    assert answers.sent[-1] == ("message", {"message": "Dès 7 h 30.", "close": "true"})


async def test_unknown_items_are_french_404s(agent: TestClient) -> None:
    for path in (
        f"/gestion/modifications/{UNKNOWN}",
        "/gestion/modifications/pas-un-id",
        f"/gestion/demandes/{UNKNOWN}",
    ):
        r = await agent.get(path)
        assert r.status == 404, path
        assert "Page introuvable" in await r.text()


async def test_a_decision_without_the_csrf_token_is_refused(
    agent: TestClient, answers: Answers
) -> None:
    r = await agent.post(f"/gestion/modifications/{CHANGE_1}/accepter", data={})
    assert r.status == 403
    assert answers.sent == []


async def test_a_family_is_refused_the_queue(portal: TestClient) -> None:
    await log_in(portal, "/")
    r = await portal.get("/gestion")
    assert r.status == 403
    assert "réservée aux agents" in await r.text()


async def test_without_a_login_the_queue_asks_for_one(portal: TestClient) -> None:
    r = await portal.get("/gestion/documents/" + DOC_1, allow_redirects=False)
    assert r.status == 303
    assert r.headers["Location"].startswith("/connexion?suite=")


async def test_card_payments_the_bank_left_silent_are_reconciled_from_the_queue(
    agent: TestClient, answers: Answers
) -> None:
    html = await (await agent.get("/gestion?type=paiements")).text()
    assert "Paiements par carte à rapprocher" in html
    assert f"/gestion/paiements-carte/{CARD_OLD}/verifier" in html
    assert CARD_NEW not in html  # started a minute ago: the bank may still answer
    assert "Foyer Roux (Ana Roux)" in html and "16,60" in html
    csrf = csrf_of(html)
    verify = f"/gestion/paiements-carte/{CARD_OLD}/verifier"
    r = await agent.post(verify, data={"csrf_token": csrf}, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/gestion?type=paiements&fait=paye")
    assert ("check " + CARD_OLD, None) in answers.sent
    answers.check_status = "pending"
    r = await agent.post(verify, data={"csrf_token": csrf}, allow_redirects=False)
    assert r.headers["Location"] == "/gestion?type=paiements&fait=attente"
    answers.check_status = "expired"
    r = await agent.post(verify, data={"csrf_token": csrf}, allow_redirects=False)
    assert r.headers["Location"] == "/gestion?type=paiements&fait=echoue"
    unknown = f"/gestion/paiements-carte/{UNKNOWN}/verifier"
    r = await agent.post(unknown, data={"csrf_token": csrf}, allow_redirects=False)
    assert r.status == 404
    r = await agent.post(verify, data={}, allow_redirects=False)
    assert r.status == 403  # no CSRF token
