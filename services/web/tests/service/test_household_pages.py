"""The household file, documents and requests over HTTP (the family service stood in):
linking with the subscriber code (its error next to the field, the token refreshed after),
the file with each change « en attente de validation » or refused with its reason, the
API's 422 by field, uploads passed on as multipart (the service's 413 next to the file
field, the portal's own limit as a French page), 404s, CSRF on the upload forms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient

from web.app import create_app

from ..conftest import CSRF, Services, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
LEA = "11111111-1111-4111-8111-111111111111"
GUARDIAN = "22222222-2222-4222-8222-222222222222"
DOCUMENT = "dddddddd-0000-4000-8000-000000000001"
REQUEST = "cccccccc-0000-4000-8000-000000000001"
MESSAGE = "cccccccc-0000-4000-8000-0000000000aa"
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
                "id": GUARDIAN,
                "first_name": "Ana",
                "last_name": "Roux",
                "relationship": "mother",
                "email": "famille@demo.example",
                "phones": ["06 12 34 56 78"],
            }
        ],
        "children": [
            {
                "id": LEA,
                "first_name": "Léa",
                "last_name": "Roux",
                "birth_date": "2018-04-02",
                "school": "École du Lac",
                "grade": "CP",
                "diet": "standard",
                "image_rights": False,
                "has_health_record": False,
                "has_photo": False,
                "contacts": [
                    {
                        "id": "44444444-4444-4444-8444-444444444444",
                        "child_id": LEA,
                        "first_name": "Paul",
                        "last_name": "Roux",
                        "phone": "06 11 22 33 44",
                        "relationship": "grand-père",
                        "can_pick_up": True,
                        # 00:30 in Paris: the town's calendar day, the 3rd.
                        "can_pick_up_given_at": "2026-09-02T22:30:00+00:00",
                        "can_pick_up_given_by": GUARDIAN,
                        "emergency": True,
                        "emergency_given_at": None,  # entered before the dates were kept
                        "emergency_given_by": None,
                    }
                ],
            }
        ],
        "quotient": None,
        "pending_changes": 1,
    }


@dataclass
class Family:
    """What the stand-in of the family service answers; what it was sent."""

    linked: bool = True
    next_answer: tuple[int, dict[str, Any]] | None = None  # the next write's answer
    sent: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, body
    pending: list[dict[str, Any]] = field(default_factory=list)  # more changes, listed too


@pytest.fixture
def family() -> Family:
    return Family()


@pytest.fixture
def stand_in_routes(family: Family) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        me = f"{t}/me/household"

        def authorised(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "")
            return header.removeprefix("Bearer ") in services.valid_access

        async def read(request: web.Request) -> Any:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                return {
                    k: (v.filename, v.file.read()) if isinstance(v, web.FileField) else v
                    for k, v in form.items()
                }
            return await request.json() if request.body_exists else None

        async def write(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            body = await read(request)
            family.sent.append((request.method, request.path, body))
            if family.next_answer is not None:
                status, answer = family.next_answer
                family.next_answer = None
                if status >= 400:
                    return problem(status, answer.pop("detail", "Refusé."), **answer)
                return web.json_response(answer, status=status)
            if request.path.endswith("/link"):
                family.linked = True
                return web.json_response({"household_id": HOUSEHOLD, "detail": "ok"})
            if request.path.endswith("/requests"):
                return web.json_response({"id": REQUEST}, status=201)
            return web.json_response({"id": "change", "status": "pending"}, status=202)

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if not family.linked:
                return problem(404, "Aucun foyer n'est lié à votre compte.")
            return web.json_response(the_household())

        async def changes(request: web.Request) -> web.Response:
            items = [
                {
                    "id": "c1",
                    "summary": "Modification d'un enfant : Léa Roux",
                    "status": "pending",
                    "submitted_at": "2026-10-05T08:00:00+00:00",
                },
                {
                    "id": "c2",
                    "summary": "Ajout d'un contact : Paul Roux",
                    "status": "rejected",
                    "reason": "Numéro de téléphone injoignable.",
                    "submitted_at": "2026-10-01T08:00:00+00:00",
                    "decided_at": "2026-10-02T08:00:00+00:00",
                },
                *family.pending,
            ]
            total = len(items)
            return web.json_response({"items": items, "total": total, "page": 1, "per_page": 20})

        async def creation(request: web.Request) -> web.Response:
            return problem(404, "Aucune demande.")

        async def catalog(request: web.Request) -> web.Response:
            if request.path.endswith("document-types"):
                items = [{"code": "attestation_caf", "label": "Attestation CAF"}]
            else:
                items = [{"code": "autre", "label": "Autre demande"}]
            return web.json_response({"items": items})

        async def documents(request: web.Request) -> web.Response:
            items = [
                {
                    "id": DOCUMENT,
                    "document_type": "attestation_caf",
                    "document_label": "Attestation CAF",
                    "filename": "caf.pdf",
                    "size": 2048,
                    "status": "rejected",
                    "reason": "Document illisible.",
                    "member_id": None,
                    "valid_until": None,
                    "uploaded_at": "2026-10-05T08:00:00+00:00",
                },
            ]
            return web.json_response({"items": items, "total": 1, "page": 1, "per_page": 100})

        async def content(request: web.Request) -> web.Response:
            if request.match_info["id"] != DOCUMENT:
                return problem(404, "Document introuvable.")
            return web.Response(
                body=b"%PDF-1.7 caf",
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="caf.pdf"'},
            )

        async def requests(request: web.Request) -> web.Response:
            return web.json_response({"items": [], "total": 0, "page": 1, "per_page": 100})

        async def thread(request: web.Request) -> web.Response:
            if request.match_info["id"] != REQUEST:
                return problem(404, "Demande introuvable.")
            return web.json_response(
                {
                    "id": REQUEST,
                    "subject": "Absence de Léa",
                    "topic_label": "Autre demande",
                    "status": "answered",
                    "child_id": LEA,
                    "created_at": "2026-10-05T08:00:00+00:00",
                    "messages": [
                        {
                            "id": "m1",
                            "side": "family",
                            "body": "Léa était malade.",
                            "attachment": None,
                            "created_at": "2026-10-05T08:00:00+00:00",
                        },
                        {
                            "id": MESSAGE,
                            "side": "staff",
                            "body": "Bien reçu, merci.",
                            "attachment": {"filename": "recu.pdf", "size": 1000},
                            "created_at": "2026-10-05T09:00:00+00:00",
                        },
                    ],
                }
            )

        app.router.add_get(me, household)
        app.router.add_post(f"{me}/link", write)
        app.router.add_get(f"{me}/creation", creation)
        app.router.add_post(me, write)
        app.router.add_get(f"{me}/changes", changes)
        app.router.add_patch(f"{me}/children/{{id}}", write)
        app.router.add_post(f"{me}/children/{{id}}/contacts", write)
        app.router.add_patch(f"{me}/contacts/{{id}}", write)
        app.router.add_delete(f"{me}/contacts/{{id}}", write)
        app.router.add_get(f"{t}/document-types", catalog)
        app.router.add_get(f"{t}/request-topics", catalog)
        app.router.add_get(f"{me}/documents", documents)
        app.router.add_post(f"{me}/documents", write)
        app.router.add_get(f"{me}/documents/{{id}}/content", content)
        app.router.add_get(f"{me}/requests", requests)
        app.router.add_post(f"{me}/requests", write)
        app.router.add_get(f"{me}/requests/{{id}}", thread)
        app.router.add_post(f"{me}/requests/{{id}}/messages", write)

    return add


async def page(portal: TestClient, path: str) -> tuple[str, str]:
    """The page's HTML and its form's CSRF token."""
    r = await portal.get(path)
    assert r.status == 200, await r.text()
    html = await r.text()
    return html, CSRF.search(html)[1]


async def test_notify_s_dossier_link_leads_to_the_household_file(portal):
    await log_in(portal)
    r = await portal.get("/dossier", allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/foyer")


async def test_a_wrong_subscriber_code_is_shown_by_its_field_and_a_good_one_links(
    portal, family, services
):
    stand_in, _ = services
    family.linked = False
    await log_in(portal)
    html, token = await page(portal, "/foyer")
    assert "J'ai un code abonné" in html and 'name="code"' in html
    assert "Je n'ai pas de code abonné" in html  # or ask the town to create the household
    family.next_answer = (404, {"detail": "Code abonné inconnu."})
    r = await portal.post("/foyer/lier", data={"csrf_token": token, "code": "ZZZ"})
    html = await r.text()
    assert r.status == 404
    assert 'id="lien-code"' in html and 'aria-invalid="true"' in html
    assert '<p class="field-error" id="lien-code-erreur">Code abonné inconnu.</p>' in html
    refreshes = sum(1 for c in stand_in.calls if c[1].endswith("/token/refresh"))
    r = await portal.post(
        "/foyer/lier", data={"csrf_token": token, "code": CODE}, allow_redirects=False
    )
    assert (r.status, r.headers["Location"]) == (303, "/foyer?lie=1")
    assert family.sent[-1] == ("POST", "/tenants/demo/me/household/link", {"code": CODE})
    # The token is refreshed at once: the next calls carry the household.
    assert sum(1 for c in stand_in.calls if c[1].endswith("/token/refresh")) == refreshes + 1
    html, _ = await page(portal, "/foyer?lie=1")
    assert "Votre compte est rattaché à votre foyer." in html and "Léa Roux" in html


async def test_a_household_creation_request_shows_the_api_s_errors_by_field(portal, family):
    family.linked = False
    await log_in(portal)
    html, token = await page(portal, "/foyer")
    form = {
        "csrf_token": token,
        "first_name": "Ana",
        "last_name": "Roux",
        "line1": "1 rue",
        "postal_code": "7433",
        "city": "Epagny",
        "child_first_name": "Léo",
        "child_last_name": "Roux",
        "child_birth_date": "2019-01-01",
    }
    family.next_answer = (
        422,
        {
            "detail": "Certaines informations sont manquantes ou incorrectes.",
            "errors": [
                {"field": "address.postal_code", "detail": "Code postal invalide."},
                {"field": "children.0.birth_date", "detail": "Date invalide."},
            ],
        },
    )
    r = await portal.post("/foyer/creation", data=form)
    html = await r.text()
    assert r.status == 422
    assert 'id="creation-postal_code-erreur">Code postal invalide.' in html
    assert 'id="creation-child_birth_date-erreur">Date invalide.' in html
    assert 'value="7433"' in html  # what the family typed is kept
    r = await portal.post("/foyer/creation", data=form, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/foyer")
    _, path, body = family.sent[-1]
    assert path == "/tenants/demo/me/household"
    assert body["guardians"][0]["first_name"] == "Ana" and len(body["children"]) == 1


async def test_the_file_shows_each_change_waiting_or_refused_with_its_reason(portal):
    await log_in(portal)
    html, _ = await page(portal, "/foyer")
    assert "<title>Mon foyer – Portail Famille – Ville de Démo</title>" in html
    assert "Modification d&#39;un enfant : Léa Roux" in html
    assert "En attente de validation" in html
    assert "Refusée" in html and "Motif du refus : Numéro de téléphone injoignable." in html
    assert 'href="/foyer/enfants/' + LEA + '"' in html


async def test_a_child_change_is_sent_and_its_422_is_shown_by_field(portal, family):
    await log_in(portal)
    html, token = await page(portal, f"/foyer/enfants/{LEA}")
    assert "<h1>Fiche de Léa Roux</h1>" in html
    form = {
        "csrf_token": token,
        "first_name": "Léa",
        "last_name": "Roux",
        "birth_date": "2030-01-01",
        "diet": "vegetarian",
    }
    family.next_answer = (
        422,
        {
            "detail": "Certaines informations sont manquantes ou incorrectes : birth_date.",
            "errors": [
                {"field": "birth_date", "detail": "La date ne peut pas être dans le futur."}
            ],
        },
    )
    r = await portal.post(f"/foyer/enfants/{LEA}", data=form)
    html = await r.text()
    assert r.status == 422
    assert 'id="enfant-birth_date-erreur">La date ne peut pas être dans le futur.' in html
    assert 'href="#enfant-birth_date"' in html  # the error summary links to the field
    r = await portal.post(
        f"/foyer/enfants/{LEA}",
        data={**form, "birth_date": "2018-04-02"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    method, path, body = family.sent[-1]
    assert (method, path) == ("PATCH", f"/tenants/demo/me/household/children/{LEA}")
    assert body["diet"] == "vegetarian" and body["image_rights"] is False
    html, _ = await page(portal, "/foyer?envoye=1")
    assert "en attente de validation par la mairie" in html


async def test_a_contact_s_flags_show_the_day_they_were_given(portal):
    await log_in(portal)
    html, _ = await page(portal, f"/foyer/enfants/{LEA}")
    assert (
        "<dt>Peut venir chercher l'enfant</dt><dd>Autorisé depuis le jeudi 3 septembre 2026</dd>"
        in html
    )
    assert "<dt>À prévenir en cas d'urgence</dt><dd>Oui (date non renseignée)</dd>" in html


async def test_removing_a_contact_is_a_change_too(portal, family):
    await log_in(portal)
    _, token = await page(portal, f"/foyer/enfants/{LEA}")
    contact = "44444444-4444-4444-8444-444444444444"
    r = await portal.post(
        f"/foyer/enfants/{LEA}/contacts/{contact}/retrait",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    assert family.sent[-1][:2] == ("DELETE", f"/tenants/demo/me/household/contacts/{contact}")


async def test_an_unknown_child_is_a_french_404(portal):
    await log_in(portal)
    r = await portal.get("/foyer/enfants/33333333-3333-4333-8333-333333333333")
    assert r.status == 404 and "Page introuvable" in await r.text()
    r = await portal.get("/foyer/enfants/pas-un-id")
    assert r.status == 404


async def test_a_document_is_uploaded_as_multipart_and_its_413_shown_by_the_file(portal, family):
    await log_in(portal)
    html, token = await page(portal, "/documents")
    assert "Refusé" in html and "Document illisible." in html
    assert f'href="/documents/{DOCUMENT}/fichier"' in html

    def upload() -> FormData:
        data = FormData()
        data.add_field("csrf_token", token)
        data.add_field("document_type", "attestation_caf")
        data.add_field("member_id", "")
        data.add_field("file", b"%PDF-1.7 qf", filename="qf.pdf", content_type="application/pdf")
        return data

    family.next_answer = (
        413,
        {
            "detail": "Le fichier dépasse 5 Mo.",
            "errors": [{"field": "file", "detail": "Le fichier dépasse 5 Mo."}],
        },
    )
    r = await portal.post("/documents", data=upload())
    html = await r.text()
    assert r.status == 413
    assert '<p class="field-error" id="file-erreur">Le fichier dépasse 5 Mo.</p>' in html
    r = await portal.post("/documents", data=upload(), allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/documents?envoye=1")
    method, path, body = family.sent[-1]
    assert (method, path) == ("POST", "/tenants/demo/me/household/documents")
    assert body["document_type"] == "attestation_caf"
    assert body["file"] == ("qf.pdf", b"%PDF-1.7 qf")
    r = await portal.get(f"/documents/{DOCUMENT}/fichier")
    assert r.status == 200 and await r.read() == b"%PDF-1.7 caf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="caf.pdf"'
    r = await portal.get("/documents/dddddddd-0000-4000-8000-000000000002/fichier")
    assert r.status == 404


async def test_an_upload_without_a_file_or_without_the_csrf_token_is_refused(portal, family):
    await log_in(portal)
    _, token = await page(portal, "/documents")
    data = FormData()
    data.add_field("csrf_token", token)
    data.add_field("document_type", "attestation_caf")
    data.add_field("file", b"", filename="", content_type="application/octet-stream")
    r = await portal.post("/documents", data=data)
    assert r.status == 422
    assert 'id="file-erreur">Choisissez le fichier à envoyer.' in await r.text()
    data = FormData()
    data.add_field("document_type", "attestation_caf")
    data.add_field("file", b"%PDF", filename="a.pdf", content_type="application/pdf")
    r = await portal.post("/documents", data=data)
    assert r.status == 403 and "Action refusée" in await r.text()
    assert not [s for s in family.sent if s[1].endswith("/documents")]


async def test_above_the_portal_s_own_limit_a_french_page_answers(aiohttp_client, web_settings):
    portal = await aiohttp_client(create_app(web_settings(max_body_bytes=4096)))
    await log_in(portal)
    _, token = await page(portal, "/documents")
    data = FormData()
    data.add_field("csrf_token", token)
    data.add_field("file", b"x" * 10_000, filename="big.pdf", content_type="application/pdf")
    r = await portal.post("/documents", data=data)
    html = await r.text()
    assert r.status == 413 and "<h1>Fichier trop volumineux</h1>" in html


async def test_a_request_with_its_attachment_and_its_thread(portal, family):
    await log_in(portal)
    html, token = await page(portal, "/demandes")
    assert "Autre demande" in html and 'enctype="multipart/form-data"' in html
    data = FormData()
    data.add_field("csrf_token", token)
    data.add_field("topic", "")
    data.add_field("message", "")
    family.next_answer = (
        422,
        {
            "detail": "Certaines informations sont manquantes ou incorrectes : message, topic.",
            "errors": [
                {"field": "topic", "detail": "Ce champ est obligatoire."},
                {"field": "message", "detail": "Ce champ est obligatoire."},
            ],
        },
    )
    r = await portal.post("/demandes", data=data)
    html = await r.text()
    assert r.status == 422 and 'id="topic-erreur"' in html and 'id="message-erreur"' in html
    data = FormData()
    data.add_field("csrf_token", token)
    data.add_field("topic", "autre")
    data.add_field("child_id", LEA)
    data.add_field("message", "Léa était malade.")
    data.add_field("file", b"%PDF-1.7 mot", filename="mot.pdf", content_type="application/pdf")
    r = await portal.post("/demandes", data=data, allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, f"/demandes/{REQUEST}?envoye=1")
    _, _, body = family.sent[-1]
    assert body == {
        "topic": "autre",
        "child_id": LEA,
        "message": "Léa était malade.",
        "file": ("mot.pdf", b"%PDF-1.7 mot"),
    }
    html, _ = await page(portal, f"/demandes/{REQUEST}")
    assert "<h1>Absence de Léa</h1>" in html and "Bien reçu, merci." in html
    assert "Répondue" in html and "Léa Roux" in html
    assert f"/demandes/{REQUEST}/messages/{MESSAGE}/piece-jointe" in html
    r = await portal.get("/demandes/cccccccc-0000-4000-8000-000000000009")
    assert r.status == 404
