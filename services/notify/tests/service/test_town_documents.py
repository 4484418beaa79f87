"""Town documents: staff publish them (file sniffed, size limited), link them to activities
and information pages; families read those published and in force (real Postgres)."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData

from notify.settings import NotifySettings

DOCS = "/tenants/epagny/town-documents"
PAGES = "/tenants/epagny/pages"
MAX_BYTES = 4096

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PDF_V2 = PDF.replace(b"0 0 3 3", b"0 0 9 9")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64 + b"\xff\xd9"


@pytest.fixture
def notify_settings(make_settings: Any, smtp: Any) -> NotifySettings:
    return make_settings(NotifySettings, smtp_port=smtp.port, town_document_max_bytes=MAX_BYTES)


def today() -> Any:
    return datetime.now(ZoneInfo("Europe/Paris")).date()


def form(fields: dict[str, str], content: bytes = PDF, name: str = "Règlement.pdf") -> FormData:
    data = FormData()
    for key, value in fields.items():
        data.add_field(key, value)
    data.add_field("file", content, filename=name, content_type="application/pdf")
    return data


async def publish(client: Any, headers: dict[str, str], **fields: str) -> dict[str, Any]:
    body = {"title": "Règlement intérieur du périscolaire", "category": "rules", **fields}
    r = await client.post(DOCS, data=form(body), headers=headers)
    assert r.status == 201, await r.text()
    return await r.json()


async def titles(client: Any, headers: dict[str, str], **params: str) -> list[str]:
    r = await client.get(DOCS, params=params, headers=headers)
    assert r.status == 200, await r.text()
    return [item["title"] for item in (await r.json())["items"]]


def fields_of(problem: dict[str, Any]) -> dict[str, str]:
    return {error["field"]: error["detail"] for error in problem.get("errors", [])}


async def test_staff_publish_and_families_find_them_where_relevant(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    page = {"title": "Accueil périscolaire", "body": "Horaires et règles."}
    assert (await notify.put(f"{PAGES}/periscolaire", json=page, headers=staff)).status == 201
    club, canteen = uuid.uuid4(), uuid.uuid4()
    created = await publish(
        notify,
        staff,
        description="À lire avant l'inscription.",
        activity_ids=f"{club}, {club}",
        page_slugs="periscolaire",
        valid_from=today().isoformat(),
    )
    assert created["state"] == "in_force" and created["version"] == 1
    assert created["activity_ids"] == [str(club)] and created["page_slugs"] == ["periscolaire"]
    assert created["filename"] == "Règlement.pdf" and created["size"] == len(PDF)
    assert created["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert "content" not in created

    assert await titles(notify, family) == ["Règlement intérieur du périscolaire"]
    assert await titles(notify, family, activity_id=str(club)) == [created["title"]]
    assert await titles(notify, family, activity_id=str(canteen)) == []
    assert await titles(notify, family, page_slug="periscolaire") == [created["title"]]
    assert await titles(notify, family, page_slug="tarifs") == []
    # the information page carries its documents
    r = await notify.get(f"{PAGES}/periscolaire", headers=family)
    assert [d["id"] for d in (await r.json())["documents"]] == [created["id"]]

    r = await notify.get(f"{DOCS}/{created['id']}/file", headers=family)
    assert r.status == 200
    assert await r.read() == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert "R%C3%A8glement.pdf" in r.headers["Content-Disposition"]
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["ETag"] == f'"{created["sha256"]}"'


async def test_the_file_is_sniffed_limited_and_the_fields_checked(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("admin",))
    base = {"title": "Fiche sanitaire", "category": "form"}
    # the content decides the type, not the name nor the declared type
    r = await notify.post(DOCS, data=form(base, JPEG, "fiche.pdf"), headers=staff)
    assert r.status == 201, await r.text()
    assert (await r.json())["content_type"] == "image/jpeg"
    r = await notify.post(DOCS, data=form(base, b"MZ not a document", "x.pdf"), headers=staff)
    assert r.status == 415 and "file" in fields_of(await r.json())
    big = PDF[:-7] + b" " * MAX_BYTES + PDF[-7:]
    r = await notify.post(DOCS, data=form(base, big), headers=staff)
    assert r.status == 413 and "file" in fields_of(await r.json())
    r = await notify.post(DOCS, data=form(base, b"", ""), headers=staff)  # no file chosen
    assert r.status == 422 and "file" in fields_of(await r.json())
    r = await notify.post(DOCS, data=form({"title": "X", "category": "menu"}), headers=staff)
    assert r.status == 422 and set(fields_of(await r.json())) == {"category"}
    r = await notify.post(DOCS, data=form({"category": "rules"}), headers=staff)
    assert r.status == 422 and set(fields_of(await r.json())) == {"title"}
    r = await notify.post(DOCS, data=form({**base, "activity_ids": "abc"}), headers=staff)
    assert r.status == 422 and "activity_ids.0" in fields_of(await r.json())
    backwards = {**base, "valid_from": "2026-09-01", "valid_until": "2026-08-31"}
    r = await notify.post(DOCS, data=form(backwards), headers=staff)
    assert r.status == 422
    assert fields_of(await r.json()) == {
        "valid_until": "La date de fin de validité doit être après la date de début."
    }
    r = await notify.post(DOCS, data=form({**base, "page_slugs": "inconnue"}), headers=staff)
    assert r.status == 422 and "inconnue" in fields_of(await r.json())["page_slugs"]
    assert await titles(notify, staff, all="true") == ["Fiche sanitaire"]


async def test_families_see_only_the_published_documents_in_force(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    day = today()
    current = await publish(notify, staff, title="En vigueur", valid_until=day.isoformat())
    expired = await publish(
        notify, staff, title="Expiré", valid_until=(day - timedelta(days=1)).isoformat()
    )
    upcoming = await publish(
        notify, staff, title="À venir", valid_from=(day + timedelta(days=1)).isoformat()
    )
    hidden = await publish(notify, staff, title="Brouillon", published="false")
    assert [expired["state"], upcoming["state"], hidden["state"]] == [
        "expired",
        "upcoming",
        "unpublished",
    ]
    assert await titles(notify, family) == ["En vigueur"]
    assert await titles(notify, staff) == ["En vigueur"]  # without all=true, what families see
    r = await notify.get(DOCS, params={"all": "true"}, headers=staff)
    states = {item["title"]: item["state"] for item in (await r.json())["items"]}
    assert states == {
        "En vigueur": "in_force",
        "Expiré": "expired",
        "À venir": "upcoming",
        "Brouillon": "unpublished",
    }
    assert (await notify.get(DOCS, params={"all": "true"}, headers=family)).status == 403
    for document in (expired, upcoming, hidden):
        url = f"{DOCS}/{document['id']}/file"
        assert (await notify.get(url, headers=family)).status == 404
        assert (await notify.get(url, headers=staff)).status == 200
    assert (await notify.get(f"{DOCS}/{current['id']}/file", headers=family)).status == 200
    # publishing the draft and opening the upcoming one today makes them visible
    r = await notify.patch(f"{DOCS}/{hidden['id']}", json={"published": True}, headers=staff)
    assert r.status == 200 and (await r.json())["state"] == "in_force"
    r = await notify.patch(f"{DOCS}/{upcoming['id']}", json={"valid_from": None}, headers=staff)
    assert r.status == 200
    assert set(await titles(notify, family)) == {"En vigueur", "Brouillon", "À venir"}


async def test_rights_and_tenant_isolation(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    other_staff = tokens.header(tenant="annecy", roles=("staff",))
    annecy = tokens.header(tenant="annecy")
    body = {"title": "Tarifs 2026", "category": "tariffs"}
    assert (await notify.post(DOCS, data=form(body))).status == 401
    assert (await notify.post(DOCS, data=form(body), headers=family)).status == 403
    assert (await notify.post(DOCS, data=form(body), headers=other_staff)).status == 403
    assert (await notify.get(DOCS)).status == 401
    document = await publish(notify, staff, **body)
    url = f"{DOCS}/{document['id']}"
    assert (await notify.get(url, headers=family)).status == 403
    assert (await notify.patch(url, json={"title": "X"}, headers=family)).status == 403
    assert (await notify.delete(url, headers=family)).status == 403
    r = await notify.post(f"{url}/file", data=form({}), headers=family)
    assert r.status == 403
    assert (await notify.get(f"{url}/file", headers=annecy)).status == 403
    # another town's accounts see nothing of this one's documents in their own town
    other = f"/tenants/annecy/town-documents/{document['id']}"
    r = await notify.get("/tenants/annecy/town-documents", headers=annecy)
    assert (await r.json())["items"] == []
    assert (await notify.get(f"{other}/file", headers=annecy)).status == 404
    assert (await notify.get(other, headers=other_staff)).status == 404
    assert (await notify.delete(other, headers=other_staff)).status == 404


async def test_replace_links_and_delete(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    family = tokens.header(tenant="epagny")
    for slug in ("cantine", "tarifs"):
        page = {"title": slug.title(), "body": "Texte."}
        assert (await notify.put(f"{PAGES}/{slug}", json=page, headers=staff)).status == 201
    club = uuid.uuid4()
    document = await publish(notify, staff, activity_ids=str(club), page_slugs="cantine")
    url = f"{DOCS}/{document['id']}"

    # a new file is a new version of the same document: same id, links, validity
    r = await notify.post(f"{url}/file", data=form({}, PDF_V2, "Règlement 2026.pdf"), headers=staff)
    assert r.status == 200, await r.text()
    replaced = await r.json()
    assert replaced["id"] == document["id"] and replaced["version"] == 2
    assert replaced["filename"] == "Règlement 2026.pdf"
    assert replaced["sha256"] == hashlib.sha256(PDF_V2).hexdigest()
    assert replaced["activity_ids"] == [str(club)] and replaced["page_slugs"] == ["cantine"]
    r = await notify.get(f"{url}/file", headers=family)
    assert await r.read() == PDF_V2
    r = await notify.post(f"{url}/file", data=form({}, b"plain text"), headers=staff)
    assert r.status == 415
    r = await notify.post(f"{url}/file", data=form({"title": "x"}), headers=staff)
    assert r.status == 422 and "title" in fields_of(await r.json())

    # a list given replaces the links of its kind; the other kind stays
    r = await notify.patch(url, json={"page_slugs": ["tarifs", "cantine"]}, headers=staff)
    assert r.status == 200
    assert sorted((await r.json())["page_slugs"]) == ["cantine", "tarifs"]
    assert (await r.json())["activity_ids"] == [str(club)]
    r = await notify.patch(url, json={"activity_ids": []}, headers=staff)
    assert (await r.json())["activity_ids"] == []
    assert await titles(notify, family, activity_id=str(club)) == []
    r = await notify.patch(url, json={"page_slugs": ["nulle-part"]}, headers=staff)
    assert r.status == 422 and "page_slugs" in fields_of(await r.json())
    r = await notify.patch(url, json={"valid_until": "2000-01-01"}, headers=staff)
    assert r.status == 200 and (await r.json())["state"] == "expired"
    r = await notify.patch(url, json={"valid_from": "2001-01-01"}, headers=staff)
    assert r.status == 422 and "valid_until" in fields_of(await r.json())
    r = await notify.patch(url, json={"category": "menu", "title": ""}, headers=staff)
    assert r.status == 422 and set(fields_of(await r.json())) == {"category", "title"}

    # a page deleted takes its links with it
    assert (await notify.delete(f"{PAGES}/tarifs", headers=staff)).status == 204
    r = await notify.get(url, headers=staff)
    assert (await r.json())["page_slugs"] == ["cantine"]

    assert (await notify.delete(url, headers=staff)).status == 204
    assert (await notify.delete(url, headers=staff)).status == 404
    assert (await notify.get(f"{url}/file", headers=staff)).status == 404
    assert await titles(notify, staff, all="true") == []
    r = await notify.get(f"{PAGES}/cantine", headers=family)
    assert (await r.json())["documents"] == []
