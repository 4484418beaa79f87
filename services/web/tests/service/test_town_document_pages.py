"""The town's documents over HTTP (notify, booking and family stood in, notify keeping the
documents in memory): staff publish one with its file and links, see them by category and
state, change it, replace its file, delete it after its confirmation, notify's refusals next
to their fields; families find those in force on /documents-officiels, on an information
page and on an activity's enrollment form, and download them through the portal."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from html import unescape
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

CLUB = "a1a1a1a1-0000-4000-8000-000000000001"
CANTEEN = "a1a1a1a1-0000-4000-8000-000000000002"
LEO = "11111111-1111-4111-8111-111111111111"
PDF = b"%PDF-1.7 reglement interieur" + b" " * 2048
NOW = "2026-11-02T08:00:00+00:00"


def document(doc_id: str, title: str, category: str = "rules", **overrides: Any) -> dict:
    return {
        "id": doc_id,
        "title": title,
        "category": category,
        "description": None,
        "filename": f"{title}.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": "x",
        "version": 1,
        "valid_from": None,
        "valid_until": None,
        "published": True,
        "position": 0,
        "state": "in_force",
        "activity_ids": [],
        "page_slugs": [],
        "created_at": NOW,
        "updated_at": NOW,
        **overrides,
    }


class Notify:
    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.sent: list[tuple[str, str, Any]] = []  # method, path, what was sent


@pytest.fixture
def notify() -> Notify:
    return Notify()


@pytest.fixture
def stand_in_routes(notify: Notify) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            return header in services.valid_access

        def guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
            async def run(request: web.Request) -> web.Response:
                if not allowed(request):
                    return problem(401, "Jeton invalide.")
                return await handler(request)

            return run

        def one(request: web.Request) -> dict[str, Any]:
            found = notify.documents.get(request.match_info["id"])
            if found is None:
                raise web.HTTPNotFound()
            return found

        async def listed(request: web.Request) -> web.Response:
            query = dict(request.query)
            notify.sent.append(("GET", request.path, query))
            items = [
                d
                for d in notify.documents.values()
                if (query.get("all") == "true" or d["state"] == "in_force")
                and ("activity_id" not in query or query["activity_id"] in d["activity_ids"])
                and ("page_slug" not in query or query["page_slug"] in d["page_slugs"])
            ]
            return web.json_response({"items": items})

        async def create(request: web.Request) -> web.Response:
            form = await request.post()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            upload = form.get("file")
            assert isinstance(upload, web.FileField)
            content = upload.file.read()
            notify.sent.append(("POST", request.path, {**fields, "file": content}))
            if not content.startswith(b"%PDF"):
                return problem(
                    415,
                    "Type non accepté.",
                    errors=[{"field": "file", "detail": "Le fichier n'est ni un PDF…"}],
                )
            if fields.get("valid_until", "9") < fields.get("valid_from", "0"):
                return problem(
                    422,
                    "La fin de validité doit être postérieure ou égale à son début.",
                    errors=[
                        {
                            "field": "valid_until",
                            "detail": "La date de fin de validité doit être après la date"
                            " de début.",
                        }
                    ],
                )
            doc_id = str(uuid.uuid4())
            notify.files[doc_id] = content
            notify.documents[doc_id] = document(
                doc_id,
                fields["title"],
                fields["category"],
                description=fields.get("description"),
                filename=upload.filename,
                published=fields.get("published") == "true",
                activity_ids=[a for a in fields.get("activity_ids", "").split(",") if a],
                page_slugs=[p for p in fields.get("page_slugs", "").split(",") if p],
            )
            return web.json_response(notify.documents[doc_id], status=201)

        async def get_one(request: web.Request) -> web.Response:
            return web.json_response(one(request))

        async def patch(request: web.Request) -> web.Response:
            found, body = one(request), await request.json()
            notify.sent.append(("PATCH", request.path, body))
            if body.get("title") == "":
                return problem(
                    422,
                    "Certaines informations sont incorrectes : title.",
                    errors=[{"field": "title", "detail": "Champ obligatoire."}],
                )
            found.update(body)
            return web.json_response(found)

        async def delete(request: web.Request) -> web.Response:
            one(request)
            notify.sent.append(("DELETE", request.path, None))
            del notify.documents[request.match_info["id"]]
            return web.Response(status=204)

        async def replace(request: web.Request) -> web.Response:
            found = one(request)
            form = await request.post()
            upload = form["file"]
            assert isinstance(upload, web.FileField)
            content = upload.file.read()
            notify.sent.append(("POST", request.path, {"file": content}))
            if not content.startswith(b"%PDF"):
                return problem(
                    415,
                    "Type non accepté.",
                    errors=[{"field": "file", "detail": "Le fichier n'est ni un PDF…"}],
                )
            notify.files[found["id"]] = content
            found.update(version=found["version"] + 1, filename=upload.filename)
            return web.json_response(found)

        async def download(request: web.Request) -> web.Response:
            found = one(request)
            return web.Response(
                body=notify.files[found["id"]],
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="reglement.pdf"'},
            )

        async def pages(request: web.Request) -> web.Response:
            return web.json_response(
                {"items": [{"slug": "periscolaire", "title": "Le périscolaire", "position": 0}]}
            )

        async def page(request: web.Request) -> web.Response:
            shown = [
                d
                for d in notify.documents.values()
                if "periscolaire" in d["page_slugs"] and d["state"] == "in_force"
            ]
            return web.json_response(
                {
                    "slug": "periscolaire",
                    "title": "Le périscolaire",
                    "body": "Accueil de 7 h 30 à 18 h 30.",
                    "position": 0,
                    "updated_at": NOW,
                    "created_at": NOW,
                    "documents": shown,
                }
            )

        async def activities(request: web.Request) -> web.Response:
            base = {
                "type": "PERISCOLAIRE",
                "site": "École du Centre",
                "period_from": "2099-09-01",
                "period_to": "2100-07-04",
                "weekdays": [1, 2, 4, 5],
                "min_age": None,
                "max_age": None,
                "grades": None,
                "requires_approval": False,
                "booking_mode": "free",
                "required_documents": [],
                "eligible": True,
                "ineligibility_reason": None,
            }
            return web.json_response(
                {
                    "items": [
                        {**base, "id": CLUB, "name": "Club du mercredi"},
                        {**base, "id": CANTEEN, "name": "Cantine"},
                    ]
                }
            )

        async def household(request: web.Request) -> web.Response:
            child = {"id": LEO, "first_name": "Léo", "last_name": "Durand", "grade": "CE2"}
            return web.json_response({"id": "h1", "children": [child], "guardians": []})

        async def enrollments(request: web.Request) -> web.Response:
            return web.json_response({"items": []})

        r = app.router
        r.add_get(f"{t}/town-documents", guarded(listed))
        r.add_post(f"{t}/town-documents", guarded(create))
        r.add_get(f"{t}/town-documents/{{id}}", guarded(get_one))
        r.add_patch(f"{t}/town-documents/{{id}}", guarded(patch))
        r.add_delete(f"{t}/town-documents/{{id}}", guarded(delete))
        r.add_post(f"{t}/town-documents/{{id}}/file", guarded(replace))
        r.add_get(f"{t}/town-documents/{{id}}/file", guarded(download))
        r.add_get(f"{t}/pages", guarded(pages))
        r.add_get(f"{t}/pages/periscolaire", guarded(page))
        r.add_get(f"{t}/activities", guarded(activities))
        r.add_get(f"{t}/me/household", guarded(household))
        r.add_get(f"{t}/enrollments", guarded(enrollments))

    return add


HOME = "/gestion/communication/documents"


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> None:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/communication")


async def page(portal: TestClient, path: str, status: int = 200) -> str:
    r = await portal.get(path)
    text = unescape(await r.text())
    assert r.status == status, text
    return text


def upload_form(token: str, content: bytes = PDF, **fields: Any) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    for name, value in fields.items():
        for one in value if isinstance(value, list) else [value]:
            data.add_field(name, one)
    data.add_field("file", content, filename="Règlement 2026.pdf", content_type="application/pdf")
    return data


async def publish(portal: TestClient, content: bytes = PDF, **fields: Any) -> tuple[int, str, str]:
    token = csrf_of(await page(portal, f"{HOME}/nouveau"))
    values = {
        "title": "Règlement intérieur du périscolaire",
        "category": "rules",
        "published": "1",
        **fields,
    }
    r = await portal.post(
        f"{HOME}/nouveau", data=upload_form(token, content, **values), allow_redirects=False
    )
    return r.status, r.headers.get("Location", ""), unescape(await r.text())


async def test_staff_publish_a_document_shown_on_an_activity_and_a_page(portal, services, notify):
    await staff_in(portal, services)
    html = await page(portal, "/gestion/communication")
    assert 'href="/gestion/communication/documents"' in html
    html = await page(portal, f"{HOME}/nouveau")
    assert "Club du mercredi (École du Centre)" in html and "Le périscolaire" in html
    assert 'enctype="multipart/form-data"' in html
    status, location, _ = await publish(
        portal,
        description="À lire avant l'inscription.",
        valid_from="2026-09-01",
        activity_ids=[CLUB, CANTEEN],
        page_slugs="periscolaire",
    )
    assert status == 303, location
    (doc_id,) = notify.documents
    assert location == f"{HOME}/{doc_id}?fait=cree"
    (sent,) = [s for s in notify.sent if s[0] == "POST"]
    assert sent[2] == {
        "title": "Règlement intérieur du périscolaire",
        "category": "rules",
        "description": "À lire avant l'inscription.",
        "valid_from": "2026-09-01",
        "published": "true",
        "position": "0",
        "activity_ids": f"{CLUB},{CANTEEN}",
        "page_slugs": "periscolaire",
        "file": PDF,
    }
    html = await page(portal, location)
    assert "Le document est publié." in html and "en vigueur" in html
    assert f'id="activite-{CLUB}" name="activity_ids" value="{CLUB}" checked' in html
    assert 'id="page-periscolaire" name="page_slugs" value="periscolaire" checked' in html
    assert "(PDF, 2 Ko, version 1)" in html
    r = await portal.get(f"{HOME}/{doc_id}/fichier")
    assert r.status == 200 and await r.read() == PDF


async def test_the_list_is_by_category_with_each_state(portal, services, notify):
    notify.documents = {
        "d1": document("d1", "Tarifs 2026", "tariffs", state="upcoming"),
        "d2": document("d2", "Règlement 2025", state="expired", valid_until="2026-08-31"),
        "d3": document("d3", "Fiche sanitaire", "form", state="unpublished", published=False),
    }
    await staff_in(portal, services)
    html = await page(portal, HOME)
    assert ("GET", "/tenants/demo/town-documents", {"all": "true"}) in notify.sent
    rules, forms, tariffs = (
        html.index("Règlements intérieurs"),
        html.index("Formulaires à remplir"),
        html.index(">Tarifs<"),
    )
    assert rules < forms < tariffs
    assert "à venir" in html and "expiré" in html and "non publié" in html
    assert "au lundi 31 août 2026" in html


async def test_notify_refusals_are_shown_next_to_their_fields(portal, services, notify):
    await staff_in(portal, services)
    status, _, html = await publish(portal, valid_from="2026-09-01", valid_until="2026-08-01")
    assert status == 422
    assert 'id="valid_until-erreur">La date de fin de validité doit être après' in html
    assert 'value="Règlement intérieur du périscolaire"' in html  # what was typed, kept
    status, _, html = await publish(portal, content=b"MZ executable")
    assert status == 415 and 'id="file-erreur"' in html
    # no file chosen: said at once, nothing sent
    token = csrf_of(await page(portal, f"{HOME}/nouveau"))
    data = aiohttp.FormData()
    for name, value in {"csrf_token": token, "title": "T", "category": "rules"}.items():
        data.add_field(name, value)
    data.add_field("file", b"", filename="", content_type="application/octet-stream")
    r = await portal.post(f"{HOME}/nouveau", data=data)
    assert r.status == 422 and "Choisissez le fichier du document" in unescape(await r.text())
    assert notify.documents == {}


async def test_staff_change_replace_and_delete_a_document(portal, services, notify):
    real = str(uuid.uuid4())
    notify.documents = {real: document(real, "Règlement", activity_ids=[CLUB])}
    notify.files[real] = PDF
    await staff_in(portal, services)
    url = f"{HOME}/{real}"
    token = csrf_of(await page(portal, url))
    r = await portal.post(
        url,
        data={
            "csrf_token": token,
            "title": "Règlement 2026-2027",
            "category": "rules",
            "valid_until": "2027-07-04",
            "position": "2",
            "page_slugs": "periscolaire",
        },
        allow_redirects=False,
    )
    assert r.status == 303 and r.headers["Location"] == f"{url}?fait=enregistre"
    (patched,) = [s[2] for s in notify.sent if s[0] == "PATCH"]
    assert patched == {
        "title": "Règlement 2026-2027",
        "category": "rules",
        "description": None,
        "valid_from": None,
        "valid_until": "2027-07-04",
        "published": False,  # the box left unticked: withdrawn
        "position": 2,
        "activity_ids": [],
        "page_slugs": ["periscolaire"],
    }
    r = await portal.post(url, data={"csrf_token": token, "title": "", "category": "rules"})
    assert r.status == 422 and 'id="title-erreur">Champ obligatoire.' in await r.text()

    new = b"%PDF-1.7 version 2"
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    data.add_field("file", new, filename="v2.pdf", content_type="application/pdf")
    r = await portal.post(f"{url}/fichier", data=data, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{url}?fait=remplace#fichier"
    assert notify.files[real] == new and notify.documents[real]["version"] == 2
    data = aiohttp.FormData()
    data.add_field("csrf_token", token)
    data.add_field("file", b"GIF89a", filename="x.gif", content_type="image/gif")
    r = await portal.post(f"{url}/fichier", data=data)
    assert r.status == 422 and 'id="file-erreur"' in await r.text()

    html = await page(portal, f"{url}/supprimer")
    assert "Supprimer définitivement" in html and real in notify.documents  # not on GET
    token = csrf_of(html)
    r = await portal.post(f"{url}/supprimer", data={"csrf_token": token}, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"] == f"{HOME}?fait=supprime"
    assert notify.documents == {}
    r = await portal.get(url)
    assert r.status == 404


async def test_families_find_the_documents_in_force_where_relevant(portal, services, notify):
    shown = str(uuid.uuid4())
    notify.documents = {
        shown: document(
            shown,
            "Règlement du périscolaire",
            description="Horaires, retards, goûter.",
            activity_ids=[CLUB],
            page_slugs=["periscolaire"],
        ),
        "t1": document("t1", "Tarifs 2026", "tariffs", size=120 * 1024),
        "x1": document("x1", "Ancien règlement", state="expired", activity_ids=[CLUB]),
    }
    notify.files[shown] = PDF
    await log_in(portal)
    html = await page(portal, "/")
    assert 'href="/documents-officiels"' in html

    html = await page(portal, "/documents-officiels")
    assert "<h1>Documents officiels en vigueur</h1>" in html
    assert html.index("Règlements intérieurs") < html.index(">Tarifs<")
    assert 'Tarifs 2026</a>\n      <span class="meta">(PDF, 120 Ko)' in html
    assert "Ancien règlement" not in html

    html = await page(portal, "/informations/periscolaire")
    assert "Documents à consulter" in html
    assert f'href="/documents-officiels/{shown}">Règlement du périscolaire</a>' in html
    assert "(Règlement intérieur, PDF, 2 Ko)" in html and "Horaires, retards, goûter." in html

    html = await page(portal, f"/inscriptions/nouvelle?enfant={LEO}&activite={CLUB}")
    assert "Documents de l'activité à consulter" in html
    assert "Règlement du périscolaire" in html and "Ancien règlement" not in html
    asked = [s[2] for s in notify.sent if s[0] == "GET"]
    assert {"activity_id": CLUB} in asked
    html = await page(portal, f"/inscriptions/nouvelle?enfant={LEO}&activite={CANTEEN}")
    assert "Documents de l'activité à consulter" not in html

    r = await portal.get(f"/documents-officiels/{shown}")
    assert r.status == 200 and await r.read() == PDF
    assert r.headers["Content-Disposition"] == 'attachment; filename="reglement.pdf"'
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r = await portal.get(f"/documents-officiels/{uuid.uuid4()}")
    assert r.status == 404


async def test_families_and_visitors_may_not_enter_the_back_office(portal, services, notify):
    r = await portal.get(HOME, allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    r = await portal.get("/documents-officiels", allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    await log_in(portal)
    for path in (HOME, f"{HOME}/nouveau", f"{HOME}/{uuid.uuid4()}"):
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path
    token = csrf_of(await page(portal, "/"))
    r = await portal.post(f"{HOME}/nouveau", data=upload_form(token, title="x", category="rules"))
    assert r.status == 403 and notify.documents == {}
