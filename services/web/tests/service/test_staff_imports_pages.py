"""The back-office household import over HTTP (family stood in): the explanations and the
template, the upload sent as a dry run and its preview (errors first), the file kept
server-side and imported once with skip_invalid, the report; another session, a family, a
bad file and a refused import each get a French page, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from ..conftest import Services, csrf_of, log_in, problem

CREATED = "0f0f0f0f-0000-4000-8000-000000000011"
KNOWN = "0f0f0f0f-0000-4000-8000-000000000022"
FILE = (
    "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom\n"
    "A1;1 rue A;74330;Epagny;Dupré;Amélie\n"
    "A2;2 rue B;7433;Epagny;Faure;Paul\n"
    "A3;3 rue C;74330;Epagny;Garnier;Lucie\n"
).encode()


def line(n: int, ref: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "line": n,
        "reference": ref,
        "status": status,
        "child": None,
        "guardians": [],
        "household_id": None,
        "errors": [],
        "found": [],
        **extra,
    }


def report(dry_run: bool) -> dict[str, Any]:
    created_id = None if dry_run else CREATED
    return {
        "dry_run": dry_run,
        "created": [
            {
                "reference": "A1",
                "line": 2,
                "household_id": created_id,
                "subscriber_code": None if dry_run else "ABCD-2345",
                "guardians": ["Amélie Dupré"],
                "children": [],
            }
        ],
        "households": 1,
        "children": 0,
        "skipped": [],
        "invalid": [],
        "lines": [
            line(2, "A1", "valid", guardians=["Amélie Dupré"], household_id=created_id),
            line(
                3,
                "A2",
                "invalid",
                errors=[{"line": 3, "field": "code_postal", "detail": "Code postal invalide."}],
            ),
            line(
                4,
                "A3",
                "existing",
                found=[
                    {
                        "line": 4,
                        "field": "enfant_prenom",
                        "detail": "Lucie Garnier : déjà au dossier famille WXYZ-2345.",
                        "household_id": KNOWN,
                        "subscriber_code": "WXYZ-2345",
                    }
                ],
            ),
        ],
    }


@pytest.fixture
def stand_in_routes() -> Callable[[Services, web.Application, str], None]:
    def add(services: Services, app: web.Application, t: str) -> None:
        async def imports(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "").removeprefix("Bearer ")
            body = await request.read()
            services.calls.append((request.method, request.path, header, dict(request.query)))
            services.calls.append(("BODY", request.content_type, header, body))
            if header not in services.valid_access:
                return problem(401, "Jeton invalide.")
            if body.startswith(b"nom;"):
                return problem(
                    422,
                    "Rien n'a été importé : 1 erreur(s), ligne(s) 1.",
                    errors=[
                        {"line": 1, "field": "reference", "detail": "Colonne obligatoire absente."}
                    ],
                )
            if request.query.get("dry_run") == "true":
                return web.json_response(report(True))
            return web.json_response(report(False), status=201)

        app.router.add_post(f"{t}/households/import", imports)

    return add


async def staff_in(portal: TestClient, services: tuple[Services, str]) -> Services:
    stand_in, _ = services
    stand_in.roles = ["staff"]
    await log_in(portal, "/gestion/imports")
    return stand_in


async def upload(portal: TestClient, content: bytes, filename: str = "foyers.csv") -> Any:
    r = await portal.get("/gestion/imports")
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(await r.text()))
    form.add_field("file", content, filename=filename, content_type="text/csv")
    return await portal.post("/gestion/imports", data=form, allow_redirects=False)


def imports_sent(stand_in: Services) -> list[tuple[dict[str, str], bytes]]:
    queries = [c[3] for c in stand_in.calls if c[1].endswith("/households/import")]
    bodies = [c[3] for c in stand_in.calls if c[0] == "BODY"]
    return list(zip(queries, bodies, strict=True))


async def test_the_page_explains_the_columns_and_gives_the_template(portal, services):
    await staff_in(portal, services)
    r = await portal.get("/gestion/imports")
    html = await r.text()
    assert r.status == 200
    assert "<h1>Importer des foyers</h1>" in html and "<code>enfant_naissance</code>" in html
    assert 'type="file"' in html and 'enctype="multipart/form-data"' in html
    r = await portal.get("/gestion/imports/modele.csv")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    text = (await r.read()).decode("utf-8-sig")
    assert text.startswith("reference;adresse;") and "Léa" in text


async def test_preview_then_one_import_then_the_report(portal, services):
    stand_in = await staff_in(portal, services)
    r = await upload(portal, FILE)
    assert r.status == 303, await r.text()
    page = r.headers["Location"]
    assert re.fullmatch(r"/gestion/imports/[A-Za-z0-9_-]{20,40}", page)
    ((query, body),) = imports_sent(stand_in)
    assert query == {"dry_run": "true"} and body == FILE
    r = await portal.get(page)
    html = await r.text()
    assert r.status == 200
    assert "Aperçu de l'import" in html and "rien n'est encore enregistré" in html
    assert "Importer le foyer valide" in html
    assert "Colonne « code_postal » : Code postal invalide." in html
    assert f'href="/gestion/foyers/{KNOWN}"' in html
    # Errors first, then the households already known, then the valid ones.
    assert html.index("Code postal invalide") < html.index("WXYZ-2345") < html.index("import-valid")
    r = await portal.post(
        f"{page}/importer", data={"csrf_token": csrf_of(html)}, allow_redirects=False
    )
    assert r.status == 303 and r.headers["Location"] == page
    sent = imports_sent(stand_in)
    assert sent[1] == ({"skip_invalid": "true", "existing": "skip"}, FILE)  # not re-uploaded
    r = await portal.get(page)
    html = await r.text()
    assert "Import terminé" in html and f'href="/gestion/foyers/{CREATED}"' in html
    assert "ABCD-2345" in html and "Lignes non importées" in html and "Importer le" not in html
    # The report's action: invite the guardians of the households it created.
    assert 'action="/gestion/invitations"' in html and "Inviter les familles importées" in html
    assert f'name="household_id" value="{CREATED}"' in html
    # Never twice: a second commit of the same preview is refused and sends nothing.
    r = await portal.post(f"{page}/importer", data={"csrf_token": csrf_of(html)})
    assert r.status == 409 and "Import terminé" in await r.text()
    assert len(imports_sent(stand_in)) == 2


async def test_a_file_refused_whole_is_said_on_the_upload_page(portal, services):
    stand_in = await staff_in(portal, services)
    r = await upload(portal, b"nom;prenom\nMartin;Claire\n")
    html = await r.text()
    assert r.status == 422
    assert "Le fichier n'a pas été accepté" in html
    assert "Ligne 1, colonne « reference » : Colonne obligatoire absente." in html
    r = await upload(portal, b"", filename="vide.csv")
    assert r.status == 422 and "Le fichier choisi est vide" in await r.text()
    r = await upload(portal, b"%PDF-1.4", filename="foyers.pdf")
    assert r.status == 422 and "extension .csv" in await r.text()
    assert len(imports_sent(stand_in)) == 1  # only the CSV went to the family service


async def test_the_upload_is_bound_to_the_session(portal, services, aiohttp_client, web_settings):
    from web.app import create_app

    await staff_in(portal, services)
    r = await upload(portal, FILE)
    page = r.headers["Location"]
    other = await aiohttp_client(create_app(web_settings()))
    await log_in(other, "/gestion/imports")
    r = await other.get(page)
    assert r.status == 404
    r = await portal.get("/gestion/imports/" + "x" * 24)
    assert r.status == 404


async def test_a_family_is_refused(portal, services):
    stand_in, _ = services
    await log_in(portal, "/")
    r = await portal.get("/gestion/imports")
    assert r.status == 403
    assert not imports_sent(stand_in)
