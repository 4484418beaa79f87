"""Issue 16 on the families' household pages (the family service stood in): the family
situation shown and changed, each child's permissions as the town lists them (yes/no with
the date given), and a change of address sent with its proof in the same form."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import FormData, web
from aiohttp.test_utils import TestClient

from ..conftest import CSRF, Services, log_in, problem

HOUSEHOLD = "0f0f0f0f-0000-4000-8000-000000000001"
LEA = "11111111-1111-4111-8111-111111111111"
ANA = "22222222-2222-4222-8222-222222222222"
MARC = "22222222-2222-4222-8222-222222222223"
PERMISSIONS = [
    {"code": "sortie_seul", "label": "Rentrer seul", "position": 1, "active": True},
    {"code": "image_rights", "label": "Droit à l'image", "position": 2, "active": True},
    {"code": "piscine", "label": "Piscine", "position": 3, "active": False},
]


def the_household() -> dict[str, Any]:
    return {
        "id": HOUSEHOLD,
        "subscriber_code": "ABCD-2345",
        "address": {
            "line1": "3 place de la Mairie",
            "line2": "",
            "postal_code": "74330",
            "city": "Epagny",
        },
        "phones": [],
        "marital_status": "divorced",
        "custody": "other",
        "custody_detail": "Une semaine sur deux, vacances partagées",
        "billed_guardian_id": MARC,
        "guardians": [
            {"id": ANA, "first_name": "Ana", "last_name": "Roux", "phones": []},
            {"id": MARC, "first_name": "Marc", "last_name": "Roux", "phones": []},
        ],
        "children": [
            {
                "id": LEA,
                "first_name": "Léa",
                "last_name": "Roux",
                "birth_date": "2018-04-02",
                "diet": "standard",
                "image_rights": False,
                "has_health_record": False,
                "has_photo": False,
                "contacts": [],
                "permissions": [
                    {
                        "code": "sortie_seul",
                        "label": "Rentrer seul",
                        "granted": True,
                        "given_at": "2026-09-01T08:00:00+00:00",
                        "given_by": ANA,
                    },
                    {
                        "code": "image_rights",
                        "label": "Droit à l'image",
                        "granted": None,
                        "given_at": None,
                        "given_by": None,
                    },
                ],
            }
        ],
        "quotient": None,
        "pending_changes": 0,
    }


@dataclass
class Family:
    next_answer: tuple[int, dict[str, Any]] | None = None
    # The town's proof settings: field → the proof's document type.
    proofs: dict[str, str] = field(default_factory=lambda: {"address": "justificatif_domicile"})
    sent: list[tuple[str, str, Any]] = field(default_factory=list)


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

        async def write(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            if request.content_type == "multipart/form-data":
                form = await request.post()
                body: Any = {
                    k: (v.filename, v.file.read()) if isinstance(v, web.FileField) else v
                    for k, v in form.items()
                }
            else:
                body = await request.json()
            family.sent.append((request.method, request.path, body))
            if family.next_answer is not None:
                status, answer = family.next_answer
                family.next_answer = None
                return problem(status, answer.pop("detail", "Refusé."), **answer)
            return web.json_response({"id": "change", "status": "pending"}, status=202)

        async def household(request: web.Request) -> web.Response:
            if not authorised(request):
                return problem(401, "Jeton invalide.")
            return web.json_response(the_household())

        async def empty(request: web.Request) -> web.Response:
            return web.json_response({"items": [], "total": 0, "page": 1, "per_page": 20})

        async def permission_types(request: web.Request) -> web.Response:
            return web.json_response({"items": PERMISSIONS})

        app.router.add_get(me, household)
        app.router.add_patch(me, write)
        app.router.add_post(f"{me}/proved-changes", write)
        app.router.add_get(f"{me}/changes", empty)
        app.router.add_post(f"{me}/children", write)
        app.router.add_patch(f"{me}/children/{{id}}", write)
        app.router.add_get(f"{t}/permission-types", permission_types)

        async def proof_settings(request: web.Request) -> web.Response:
            return web.json_response(
                {"proof_fields": list(family.proofs), "document_types": family.proofs}
            )

        app.router.add_get(f"{t}/proof-settings", proof_settings)

    return add


async def page(portal: TestClient, path: str) -> tuple[str, str]:
    r = await portal.get(path)
    assert r.status == 200, await r.text()
    html = await r.text()
    return html, CSRF.search(html)[1] if CSRF.search(html) else ""


async def test_the_file_shows_the_situation_and_each_childs_permissions(portal):
    await log_in(portal)
    html, _ = await page(portal, "/foyer")
    assert "<dt>Situation des responsables</dt><dd>Divorcé(e)s</dd>" in html
    assert "Autre (Une semaine sur deux, vacances partagées)" in html
    assert "<dt>Responsable facturé</dt><dd>Marc Roux</dd>" in html
    assert "<dt>Rentrer seul</dt><dd>Autorisé" in html
    assert "(le mardi 1er septembre 2026)" in html
    assert "<dt>Droit à l&#39;image</dt><dd>Non renseigné" in html
    assert 'href="/foyer/situation"' in html


async def test_the_situation_is_sent_as_a_change_and_its_errors_shown_by_field(portal, family):
    await log_in(portal)
    html, token = await page(portal, "/foyer/situation")
    assert '<option value="divorced" selected>Divorcé(e)s</option>' in html
    assert f'<option value="{MARC}" selected>Marc Roux</option>' in html
    form = {
        "csrf_token": token,
        "marital_status": "separated",
        "custody": "other",
        "custody_detail": "",
        "billed_guardian_id": ANA,
    }
    family.next_answer = (
        422,
        {"errors": [{"field": "custody_detail", "detail": "Précisez le mode de garde."}]},
    )
    r = await portal.post("/foyer/situation", data=form)
    html = await r.text()
    assert r.status == 422
    assert 'id="custody_detail-erreur">Précisez le mode de garde.' in html
    r = await portal.post(
        "/foyer/situation",
        data={**form, "custody": "alternating"},
        allow_redirects=False,
    )
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    method, path, body = family.sent[-1]
    assert (method, path) == ("PATCH", "/tenants/demo/me/household")
    assert body == {
        "marital_status": "separated",
        "custody": "alternating",
        "custody_detail": None,
        "billed_guardian_id": ANA,
    }


async def test_a_childs_permissions_are_yes_no_questions_sent_as_a_change(portal, family):
    await log_in(portal)
    html, token = await page(portal, f"/foyer/enfants/{LEA}")
    # Each permission a question answered « Oui » or « Non »; one not answered has neither.
    assert "<legend>Rentrer seul</legend>" in html
    assert 'name="autorisation_sortie_seul" type="radio" value="oui" checked' in html
    assert 'name="autorisation_sortie_seul" type="radio" value="non">' in html
    assert "Réponse donnée le mardi 1er septembre 2026." in html
    assert "<legend>Droit à l&#39;image</legend>" in html
    assert 'name="autorisation_image_rights" type="radio" value="oui">' in html
    assert 'name="autorisation_image_rights" type="radio" value="non">' in html
    assert "Non renseigné : choisissez oui ou non." in html
    assert 'name="image_rights"' not in html
    assert 'type="checkbox"' not in html.split('action="/foyer/enfants/')[1].split("</form>")[0]
    form = {
        "csrf_token": token,
        "first_name": "Léa",
        "last_name": "Roux",
        "birth_date": "2018-04-02",
        "diet": "standard",
        "autorisation_image_rights": "oui",
    }
    family.next_answer = (
        422,
        {
            "errors": [
                {
                    "field": "permissions.image_rights",
                    "detail": "Cette autorisation n'est pas demandée par la commune.",
                }
            ]
        },
    )
    r = await portal.post(f"/foyer/enfants/{LEA}", data=form)
    html = await r.text()
    assert r.status == 422
    assert (
        'id="enfant-autorisation_image_rights-erreur">Cette autorisation n&#39;est pas '
        "demandée par la commune."
    ) in html
    # Sent back: the family's choice, and the answer on file for the one left unchosen.
    assert 'name="autorisation_image_rights" type="radio" value="oui" checked' in html
    assert 'name="autorisation_sortie_seul" type="radio" value="oui" checked' in html
    r = await portal.post(f"/foyer/enfants/{LEA}", data=form, allow_redirects=False)
    assert r.status == 303
    _, path, body = family.sent[-1]
    assert path == f"/tenants/demo/me/household/children/{LEA}"
    # Only the answer chosen: « Rentrer seul », left as it was, is not sent (nor refused).
    assert body["permissions"] == {"image_rights": True}
    form["autorisation_sortie_seul"] = "non"
    await portal.post(f"/foyer/enfants/{LEA}", data=form, allow_redirects=False)
    assert family.sent[-1][2]["permissions"] == {"sortie_seul": False, "image_rights": True}
    assert "image_rights" not in body
    # A new child: the town's active permissions only.
    html, token = await page(portal, "/foyer/enfants/nouveau")
    assert "autorisation_sortie_seul" in html and "autorisation_piscine" not in html


async def test_a_change_of_address_goes_with_its_proof_in_one_sending(portal, family):
    await log_in(portal)
    html, token = await page(portal, "/foyer/adresse")
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="file">Justificatif de domicile</label>' in html

    def form(with_file: bool) -> FormData:
        data = FormData()
        for name, value in (
            ("csrf_token", token),
            ("line1", "3 chemin du Lac"),
            ("line2", ""),
            ("postal_code", "74330"),
            ("city", "Epagny"),
            ("phone", ""),
        ):
            data.add_field(name, value)
        if with_file:
            data.add_field(
                "file", b"%PDF-1.7 edf", filename="edf.pdf", content_type="application/pdf"
            )
        else:
            data.add_field("file", b"", filename="", content_type="application/octet-stream")
        return data

    # Without the proof the service refuses the change: the error is next to the file field.
    family.next_answer = (
        422,
        {
            "errors": [
                {
                    "field": "proof_document_id",
                    "detail": "Joignez un justificatif de domicile à cette modification.",
                }
            ]
        },
    )
    r = await portal.post("/foyer/adresse", data=form(False))
    html = await r.text()
    assert r.status == 422
    assert 'id="file-erreur">Joignez un justificatif de domicile à cette modification.' in html
    assert family.sent[-1][:2] == ("PATCH", "/tenants/demo/me/household")
    assert 'value="3 chemin du Lac"' in html  # what the family typed stays
    r = await portal.post("/foyer/adresse", data=form(True), allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    method, path, body = family.sent[-1]
    assert (method, path) == ("POST", "/tenants/demo/me/household/proved-changes")
    assert body["file"] == ("edf.pdf", b"%PDF-1.7 edf")
    assert body["document_type"] == "justificatif_domicile"
    assert json.loads(body["change"]) == {
        "address": {
            "line1": "3 chemin du Lac",
            "line2": "",
            "postal_code": "74330",
            "city": "Epagny",
        },
        "phones": [],
    }
    # The service's 415 for the file is shown next to it.
    family.next_answer = (
        415,
        {"errors": [{"field": "file", "detail": "Seuls les PDF, JPEG et PNG sont acceptés."}]},
    )
    r = await portal.post("/foyer/adresse", data=form(True))
    assert r.status == 415
    assert 'id="file-erreur">Seuls les PDF, JPEG et PNG sont acceptés.' in await r.text()


async def test_a_town_asking_a_proof_for_the_phone_says_so_and_types_it(portal, family):
    await log_in(portal)
    html, _ = await page(portal, "/foyer/adresse")
    assert "si le téléphone change" not in html
    family.proofs = {"address": "justificatif_domicile", "phones": "autre"}
    html, token = await page(portal, "/foyer/adresse")
    assert "La commune en demande aussi un si le téléphone change." in html
    data = FormData()
    for name, value in (
        ("csrf_token", token),
        ("line1", "3 place de la Mairie"),  # the address as it is
        ("line2", ""),
        ("postal_code", "74330"),
        ("city", "Epagny"),
        ("phone", "04 50 00 00 00"),  # only the phone changes
    ):
        data.add_field(name, value)
    data.add_field("file", b"%PDF-1.7 box", filename="box.pdf", content_type="application/pdf")
    r = await portal.post("/foyer/adresse", data=data, allow_redirects=False)
    assert r.status == 303
    method, path, body = family.sent[-1]
    assert (method, path, body["document_type"]) == (
        "POST",
        "/tenants/demo/me/household/proved-changes",
        "autre",
    )


async def test_a_situation_change_carries_the_proof_the_town_asks_for(portal, family):
    await log_in(portal)
    # By default (the address only) the situation needs no proof: no file field.
    html, token = await page(portal, "/foyer/situation")
    assert 'name="file"' not in html and "multipart" not in html
    # The town lists the marital status and the custody: the form asks the proof.
    family.proofs = {
        "address": "justificatif_domicile",
        "marital_status": "livret_famille",
        "custody": "autre",
    }
    html, token = await page(portal, "/foyer/situation")
    assert 'enctype="multipart/form-data"' in html
    assert '<label for="file">Justificatif</label>' in html
    assert "Demandé par la commune si la situation des responsables ou le mode de garde" in html

    def form(with_file: bool) -> FormData:
        data = FormData()
        for name, value in (
            ("csrf_token", token),
            ("marital_status", "married"),  # was « divorced »
            ("custody", "other"),
            ("custody_detail", "Une semaine sur deux, vacances partagées"),
            ("billed_guardian_id", MARC),
        ):
            data.add_field(name, value)
        if with_file:
            data.add_field(
                "file", b"%PDF-1.7 livret", filename="livret.pdf", content_type="application/pdf"
            )
        else:
            data.add_field("file", b"", filename="", content_type="application/octet-stream")
        return data

    # Without the file the service refuses it: the error is next to the file field.
    family.next_answer = (
        422,
        {
            "errors": [
                {
                    "field": "proof_document_id",
                    "detail": "Joignez un justificatif à cette modification.",
                }
            ]
        },
    )
    r = await portal.post("/foyer/situation", data=form(False))
    html = await r.text()
    assert r.status == 422
    assert 'id="file-erreur">Joignez un justificatif à cette modification.' in html
    assert family.sent[-1][:2] == ("PATCH", "/tenants/demo/me/household")
    # With it: change and proof in one sending, the proof typed by what changes.
    r = await portal.post("/foyer/situation", data=form(True), allow_redirects=False)
    assert (r.status, r.headers["Location"]) == (303, "/foyer?envoye=1")
    method, path, body = family.sent[-1]
    assert (method, path) == ("POST", "/tenants/demo/me/household/proved-changes")
    assert body["file"] == ("livret.pdf", b"%PDF-1.7 livret")
    assert body["document_type"] == "livret_famille"
    assert json.loads(body["change"])["marital_status"] == "married"
