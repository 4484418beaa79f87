"""The communication back-office over HTTP (notify and booking stood in, notify keeping its
news, pages, menus and emails in memory): a news written for an activity's families with a
PDF, withdrawn, published again, its attachment added and removed, deleted after its
confirmation; notify's refusals next to their fields; a week's menu saved, refused per day,
deleted; an information page created, changed, deleted; the emails' log filtered, paged and
one email's detail; a family downloads an attachment; CSRF, families and visitors refused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from html import unescape
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

ACTIVITY = "a1a1a1a1-0000-4000-8000-000000000001"
EMAIL = "e1e1e1e1-0000-4000-8000-000000000001"
PDF = b"%PDF-1.7 menu de la semaine"
NOW = "2026-11-02T08:00:00+00:00"


class Notify:
    """What the notify stand-in keeps."""

    def __init__(self) -> None:
        self.news: dict[str, dict[str, Any]] = {}
        self.files: dict[str, bytes] = {}
        self.pages: dict[str, dict[str, Any]] = {}
        self.menus: dict[str, dict[str, Any]] = {}
        self.email_queries: list[dict[str, str]] = []


@pytest.fixture
def notify() -> Notify:
    return Notify()


def email(n: int, status: str = "sent") -> dict[str, Any]:
    return {
        "id": EMAIL if n == 0 else str(uuid.UUID(int=n)),
        "event_id": str(uuid.UUID(int=1000 + n)),
        "event_type": "identity.AccountRegistered",
        "recipient": "marie.durand@example.org",
        "account_id": None,
        "template": "account_registered",
        "subject": f"Activez votre compte ({n})",
        "status": status,
        "attempts": 1,
        "next_attempt_at": None,
        "last_error": "550 boîte inconnue" if status == "failed" else None,
        "created_at": NOW,
        "sent_at": NOW if status == "sent" else None,
    }


@pytest.fixture
def stand_in_routes(notify: Notify) -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        def allowed(request: web.Request, body: Any = None) -> bool:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            services.calls.append((request.method, request.path, header, body))
            return header in services.valid_access

        async def activities(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(
                {"items": [{"id": ACTIVITY, "name": "Cantine", "site": "École du Centre"}]}
            )

        async def news_list(request: web.Request) -> web.Response:
            if not allowed(request, dict(request.query)):
                return problem(401, "Jeton invalide.")
            state = request.query.get("state")
            items = [n for n in notify.news.values() if state in (None, n["state"])]
            return web.json_response({"items": items, "next_offset": None})

        async def news_create(request: web.Request) -> web.Response:
            form = await request.post()
            fields = {k: v for k, v in form.items() if isinstance(v, str)}
            if not allowed(request, fields):
                return problem(401, "Jeton invalide.")
            if not fields.get("title"):
                return problem(
                    422,
                    "Certaines informations sont manquantes ou incorrectes : title.",
                    errors=[{"field": "title", "detail": "Champ obligatoire."}],
                )
            files = [v for v in form.getall("attachments", []) if isinstance(v, web.FileField)]
            if any(f.file.read(4) != b"%PDF" for f in files):
                return problem(415, "Type de fichier non accepté.")
            news_id = str(uuid.uuid4())
            attachments = []
            for f in files:
                f.file.seek(0)
                attachment_id = str(uuid.uuid4())
                notify.files[attachment_id] = f.file.read()
                attachments.append(
                    {"id": attachment_id, "filename": f.filename, "size": 2048, "sha256": "x"}
                )
            notify.news[news_id] = {
                "id": news_id,
                "title": fields["title"],
                "body": fields.get("body", ""),
                "activity_id": fields.get("activity_id"),
                "publish_from": NOW,
                "publish_until": None,
                "state": "current",
                "unpublished_at": None,
                "created_at": NOW,
                "updated_at": NOW,
                "attachments": attachments,
            }
            return web.json_response(notify.news[news_id], status=201)

        async def news_one(request: web.Request) -> web.Response:
            body = await request.json() if request.method == "PATCH" else None
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            found = notify.news.get(request.match_info["id"])
            if found is None:
                return problem(404, "Cette actualité est introuvable.")
            if request.method == "DELETE":
                del notify.news[found["id"]]
                return web.Response(status=204)
            if request.method == "PATCH":
                if body.get("publish_until") == "2020-01-01":
                    return problem(
                        422,
                        "Fenêtre invalide.",
                        errors=[{"field": "publish_until", "detail": "La fin est avant le début."}],
                    )
                found.update(body)
            return web.json_response(found)

        async def news_state(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            found = notify.news[request.match_info["id"]]
            withdrawn = request.match_info["action"] == "unpublish"
            found["state"] = "unpublished" if withdrawn else "current"
            found["unpublished_at"] = NOW if withdrawn else None
            return web.json_response(found)

        async def attachments_add(request: web.Request) -> web.Response:
            form = await request.post()
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            part = form["file"]
            assert isinstance(part, web.FileField)
            content = part.file.read()
            if len(content) > 100:
                return problem(413, "Fichier trop volumineux.")
            attachment_id = str(uuid.uuid4())
            notify.files[attachment_id] = content
            item = {"id": attachment_id, "filename": part.filename, "size": 10, "sha256": "y"}
            notify.news[request.match_info["id"]]["attachments"].append(item)
            return web.json_response({"items": [item]}, status=201)

        async def attachment_one(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            attachment_id = request.match_info["file"]
            if attachment_id not in notify.files:
                return problem(404, "Cette pièce jointe est introuvable.")
            if request.method == "DELETE":
                del notify.files[attachment_id]
                for n in notify.news.values():
                    n["attachments"] = [a for a in n["attachments"] if a["id"] != attachment_id]
                return web.Response(status=204)
            return web.Response(
                body=notify.files[attachment_id],
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="menu.pdf"'},
            )

        async def pages(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            items = sorted(notify.pages.values(), key=lambda p: p["position"])
            return web.json_response({"items": items})

        async def page_one(request: web.Request) -> web.Response:
            body = await request.json() if request.method == "PUT" else None
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            slug = request.match_info["slug"]
            if request.method == "PUT":
                if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
                    return problem(
                        422,
                        "Adresse invalide.",
                        errors=[{"field": "slug", "detail": "Adresse de page invalide."}],
                    )
                created = slug not in notify.pages
                notify.pages[slug] = {"slug": slug, "updated_at": NOW, **body}
                return web.json_response(notify.pages[slug], status=201 if created else 200)
            if slug not in notify.pages:
                return problem(404, "Cette page d'information est introuvable.")
            if request.method == "DELETE":
                del notify.pages[slug]
                return web.Response(status=204)
            return web.json_response(notify.pages[slug])

        async def menus(request: web.Request) -> web.Response:
            if not allowed(request, dict(request.query)):
                return problem(401, "Jeton invalide.")
            today = date.today()
            this_week = (today - timedelta(days=today.weekday())).isoformat()
            week = request.query.get("week", this_week)
            stored = notify.menus.get(week)
            return web.json_response(
                {
                    "weeks": [
                        {"week_start": week, "published": stored is not None, **(stored or {})},
                    ]
                }
            )

        async def menu_one(request: web.Request) -> web.Response:
            body = await request.json() if request.method == "PUT" else None
            if not allowed(request, body):
                return problem(401, "Jeton invalide.")
            week = request.match_info["week"]
            if request.method == "DELETE":
                return web.Response(status=204 if notify.menus.pop(week, None) else 404)
            if any(len(d.get("main") or "") > 30 for d in body["days"]):
                return problem(
                    422,
                    "Certaines informations sont incorrectes.",
                    errors=[{"field": "days.1.main", "detail": "Longueur maximale : 30."}],
                )
            notify.menus[week] = body
            return web.json_response({"week_start": week, "published": True, **body})

        async def emails(request: web.Request) -> web.Response:
            if not allowed(request, dict(request.query)):
                return problem(401, "Jeton invalide.")
            notify.email_queries.append(dict(request.query))
            offset = int(request.query.get("offset", "0"))
            status = request.query.get("status")
            items = [email(n, "failed" if n == 3 else "sent") for n in range(30)]
            items = [e for e in items if status in (None, e["status"])]
            limit = int(request.query["limit"])
            more = offset + limit < len(items)
            return web.json_response(
                {
                    "items": items[offset : offset + limit],
                    "next_offset": offset + limit if more else None,
                }
            )

        async def email_one(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            if request.match_info["id"] != EMAIL:
                return problem(404, "Ce courriel est introuvable.")
            return web.json_response(email(0, "failed"))

        async def my_attachment(request: web.Request) -> web.Response:
            if not allowed(request):
                return problem(401, "Jeton invalide.")
            attachment_id = request.match_info["file"]
            if attachment_id not in notify.files:
                return problem(404, "Cette pièce jointe est introuvable.")
            return web.Response(
                body=notify.files[attachment_id],
                content_type="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="menu.pdf"'},
            )

        r = app.router
        r.add_get(f"{t}/activities", activities)
        r.add_get(f"{t}/news", news_list)
        r.add_post(f"{t}/news", news_create)
        r.add_route("*", f"{t}/news/{{id}}", news_one)
        r.add_post(f"{t}/news/{{id}}/{{action:publish|unpublish}}", news_state)
        r.add_post(f"{t}/news/{{id}}/attachments", attachments_add)
        r.add_route("*", f"{t}/news/{{id}}/attachments/{{file}}", attachment_one)
        r.add_get(f"{t}/me/news/{{id}}/attachments/{{file}}", my_attachment)
        r.add_get(f"{t}/pages", pages)
        r.add_route("*", f"{t}/pages/{{slug}}", page_one)
        r.add_get(f"{t}/menus", menus)
        r.add_route("*", f"{t}/menus/{{week}}", menu_one)
        r.add_get(f"{t}/emails", emails)
        r.add_get(f"{t}/emails/{{id}}", email_one)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/communication")
    return stand_in


async def page(portal: TestClient, path: str, status: int = 200) -> str:
    r = await portal.get(path)
    text = unescape(await r.text())
    assert r.status == status, text
    return text


async def post(
    portal: TestClient, path: str, data: Any, *, csrf_from: str | None = None
) -> tuple[int, str, str]:
    """POSTs `data` with the CSRF token of the page `csrf_from` (default: `path`)."""
    token = csrf_of(await page(portal, csrf_from or path))
    if isinstance(data, dict):
        data = {**data, "csrf_token": token}
    else:
        data.add_field("csrf_token", token)
    r = await portal.post(path, data=data, allow_redirects=False)
    return r.status, r.headers.get("Location", ""), unescape(await r.text())


def news_form(**fields: str) -> Any:
    import aiohttp

    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    return data


async def test_an_agent_writes_a_targeted_news_with_a_pdf(portal, services, notify):
    stand_in = await staff_in(portal, services)
    html = await page(portal, "/gestion/communication/actualites/nouvelle")
    assert "Les familles de : Cantine (École du Centre)" in html
    data = news_form(title="Menu de Noël", body="Repas festif.\n\nBon appétit.")
    data.add_field("activity_id", ACTIVITY)
    data.add_field("attachments", PDF, filename="menu.pdf", content_type="application/pdf")
    status, location, _ = await post(portal, "/gestion/communication/actualites/nouvelle", data)
    assert status == 303
    (news,) = notify.news.values()
    assert location == f"/gestion/communication/actualites/{news['id']}?fait=creee"
    assert news["activity_id"] == ACTIVITY and news["title"] == "Menu de Noël"
    assert news["body"] == "Repas festif.\n\nBon appétit."
    assert list(notify.files.values()) == [PDF]

    html = await page(portal, location)
    assert "L'actualité est enregistrée." in html and "menu.pdf" in html
    html = await page(portal, "/gestion/communication/actualites")
    assert "Familles de Cantine (École du Centre)" in html and "Publiée" in html
    html = await page(portal, "/gestion/communication")
    assert re.search(r"<dt>Publiées</dt><dd>1</dd>", html)

    file_id = news["attachments"][0]["id"]
    r = await portal.get(f"/gestion/communication/actualites/{news['id']}/pieces-jointes/{file_id}")
    assert r.status == 200 and await r.read() == PDF
    assert r.headers["Content-Disposition"].startswith("attachment")
    assert any(c[2] for c in stand_in.calls)  # always with the agent's token


async def test_notify_refusals_are_shown_next_to_their_fields(portal, services, notify):
    await staff_in(portal, services)
    status, _, html = await post(
        portal, "/gestion/communication/actualites/nouvelle", news_form(title="", body="x")
    )
    assert status == 422
    assert 'id="title-erreur"' in html and "Champ obligatoire." in html
    data = news_form(title="Photos", body="x")
    data.add_field("attachments", b"GIF89a", filename="a.gif", content_type="image/gif")
    status, _, html = await post(portal, "/gestion/communication/actualites/nouvelle", data)
    assert status == 415
    assert 'id="attachments-erreur"' in html and "PDF, JPEG ou PNG" in html
    assert notify.news == {}


async def test_a_news_is_withdrawn_republished_changed_and_deleted(portal, services, notify):
    await staff_in(portal, services)
    status, location, _ = await post(
        portal,
        "/gestion/communication/actualites/nouvelle",
        news_form(title="Fermeture", body="Le centre est fermé."),
    )
    (news,) = notify.news.values()
    base = f"/gestion/communication/actualites/{news['id']}"
    status, location, _ = await post(portal, f"{base}/retirer", {}, csrf_from=base)
    assert (status, location) == (303, f"{base}?fait=retiree")
    html = await page(portal, location)
    assert "Retirée" in html and "Publier à nouveau" in html
    status, location, _ = await post(portal, f"{base}/publier", {}, csrf_from=base)
    assert location == f"{base}?fait=publiee" and news["state"] == "current"

    values = {"title": "Fermeture exceptionnelle", "body": "Fermé.", "activity_id": ""}
    status, _, html = await post(portal, base, {**values, "publish_until": "2020-01-01"})
    assert status == 422 and 'id="publish_until-erreur"' in html
    status, location, _ = await post(portal, base, values)
    assert status == 303 and news["title"] == "Fermeture exceptionnelle"
    assert news["activity_id"] is None and news["publish_until"] is None

    status, location, _ = await post(portal, f"{base}/pieces-jointes", news_form(), csrf_from=base)
    assert status == 422  # no file chosen: said next to the field
    data = news_form()
    data.add_field("file", b"x" * 200, filename="gros.pdf", content_type="application/pdf")
    status, _, html = await post(portal, f"{base}/pieces-jointes", data, csrf_from=base)
    assert status == 422 and 'id="file-erreur"' in html and "trop volumineux" in html
    data = news_form()
    data.add_field("file", PDF, filename="plan.pdf", content_type="application/pdf")
    status, location, _ = await post(portal, f"{base}/pieces-jointes", data, csrf_from=base)
    assert status == 303 and [a["filename"] for a in news["attachments"]] == ["plan.pdf"]
    file_id = news["attachments"][0]["id"]
    status, _, _ = await post(
        portal, f"{base}/pieces-jointes/{file_id}/supprimer", {}, csrf_from=base
    )
    assert status == 303 and news["attachments"] == []

    html = await page(portal, f"{base}/supprimer")
    assert "Supprimer définitivement" in html
    assert notify.news  # asking is not deleting
    status, location, _ = await post(portal, f"{base}/supprimer", {})
    assert (status, location) == (303, "/gestion/communication/actualites?fait=supprimee")
    assert notify.news == {}
    await page(portal, base, status=404)


async def test_a_weeks_menu_is_saved_refused_by_day_and_deleted(portal, services, notify):
    await staff_in(portal, services)
    html = await page(portal, "/gestion/communication/menus?semaine=2026-11-04")
    assert 'value="2026-11-02"' in html  # the Monday of the day asked for
    assert "Aucun menu n'est saisi" in html
    form = {
        "semaine": "2026-11-02",
        "jour-0-main": "Hachis parmentier",
        "jour-0-dessert": "Compote",
        "jour-2-text": "Pas de cantine : sortie scolaire",
        "remarks": "Viande d'origine française",
    }
    path = "/gestion/communication/menus"
    status, location, _ = await post(portal, path, form)
    assert (status, location) == (303, f"{path}?semaine=2026-11-02&fait=enregistre")
    assert notify.menus["2026-11-02"] == {
        "days": [
            {"date": "2026-11-02", "main": "Hachis parmentier", "dessert": "Compote"},
            {"date": "2026-11-04", "text": "Pas de cantine : sortie scolaire"},
        ],
        "remarks": "Viande d'origine française",
    }
    html = await page(portal, location)
    assert 'value="Hachis parmentier"' in html and "Le menu de la semaine est enregistré." in html

    # notify numbers the days it was sent: its second (Wednesday) is the form's jour-2.
    long = {**form, "jour-2-main": "Un plat au nom beaucoup trop long pour notify"}
    status, _, html = await post(portal, path, long)
    assert status == 422 and 'id="jour-2-main-erreur"' in html
    status, _, html = await post(portal, path, {"semaine": "2026-11-02"})
    assert status == 422 and "au moins un jour" in html

    status, location, _ = await post(
        portal, f"{path}/supprimer", {"semaine": "2026-11-02"}, csrf_from=path
    )
    assert status == 303 and "2026-11-02" not in notify.menus


async def test_the_menus_page_opens_on_this_week(portal, services):
    await staff_in(portal, services)
    html = await page(portal, "/gestion/communication/menus?semaine=n-importe-quoi")
    monday = date.today() - timedelta(days=date.today().weekday())
    assert f'name="semaine" value="{monday.isoformat()}"' in html


async def test_an_information_page_is_created_changed_and_deleted(portal, services, notify):
    await staff_in(portal, services)
    path = "/gestion/communication/pages/nouvelle"
    values = {"slug": "Tarifs 2026", "title": "Tarifs", "body": "Les tarifs.", "position": "2"}
    status, _, html = await post(portal, path, values)
    assert status == 422 and 'id="slug-erreur"' in html
    status, _, html = await post(portal, path, {**values, "slug": "tarifs", "position": "deux"})
    assert status == 422 and 'id="position-erreur"' in html
    status, location, _ = await post(portal, path, {**values, "slug": "tarifs"})
    assert (status, location) == (303, "/gestion/communication/pages/tarifs?fait=enregistree")
    assert notify.pages["tarifs"]["position"] == 2
    status, _, html = await post(portal, path, {**values, "slug": "tarifs"})
    assert status == 409 and "déjà cette adresse" in html

    edit = "/gestion/communication/pages/tarifs"
    status, _, _ = await post(portal, edit, {"title": "Tarifs 2026", "body": "Nouveaux."})
    assert status == 303 and notify.pages["tarifs"]["title"] == "Tarifs 2026"
    html = await page(portal, "/gestion/communication/pages")
    assert "/informations/tarifs" in html and "Tarifs 2026" in html
    status, location, _ = await post(portal, f"{edit}/supprimer", {})
    assert status == 303 and notify.pages == {}
    await page(portal, edit, status=404)


async def test_the_emails_log_is_filtered_paged_and_detailed(portal, services, notify):
    await staff_in(portal, services)
    path = "/gestion/communication/courriels"
    html = await page(portal, path)
    assert html.count("/gestion/communication/courriels/") == 25
    assert "page=2" in html and "Page précédente" not in html
    html = await page(portal, f"{path}?page=2&destinataire=marie.durand@example.org")
    assert "Page précédente" in html and "page=3" not in html
    assert notify.email_queries[-1] == {
        "limit": "25",
        "offset": "25",
        "recipient": "marie.durand@example.org",
    }
    html = await page(portal, f"{path}?statut=failed")
    assert notify.email_queries[-1]["status"] == "failed"
    assert html.count("Échec") >= 2  # the option and the one failed email
    html = await page(portal, f"{path}/{EMAIL}")
    assert "550 boîte inconnue" in html and "marie.durand@example.org" in html
    await page(portal, f"{path}/{uuid.uuid4()}", status=404)


async def test_a_family_downloads_an_attachment_of_its_news(portal, services, notify):
    await log_in(portal)
    notify.files["f1f1f1f1-0000-4000-8000-000000000001"] = PDF
    news_id = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    r = await portal.get(
        f"/actualites/{news_id}/pieces-jointes/f1f1f1f1-0000-4000-8000-000000000001"
    )
    assert r.status == 200 and await r.read() == PDF
    r = await portal.get(f"/actualites/{news_id}/pieces-jointes/{uuid.uuid4()}")
    assert r.status == 404


async def test_families_and_visitors_may_not_enter(portal, services, notify):
    paths = (
        "/gestion/communication",
        "/gestion/communication/actualites",
        "/gestion/communication/menus",
        "/gestion/communication/pages",
        "/gestion/communication/courriels",
        f"/gestion/communication/courriels/{EMAIL}",
    )
    r = await portal.get(paths[0], allow_redirects=False)
    assert r.status == 303 and r.headers["Location"].startswith("/connexion?suite=")
    await log_in(portal)
    for path in paths:
        r = await portal.get(path, allow_redirects=False)
        assert r.status == 403 and "réservée aux agents" in await r.text(), path
    token = csrf_of(await page(portal, "/"))
    r = await portal.post(
        "/gestion/communication/pages/nouvelle",
        data={"csrf_token": token, "slug": "x", "title": "x", "body": "x"},
    )
    assert r.status == 403 and notify.pages == {}


async def test_a_post_without_its_csrf_token_is_refused(portal, services, notify):
    await staff_in(portal, services)
    r = await portal.post(
        "/gestion/communication/pages/nouvelle",
        data={"slug": "x", "title": "x", "body": "x"},
    )
    assert r.status == 403 and notify.pages == {}
