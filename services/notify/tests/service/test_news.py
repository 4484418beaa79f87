"""News: rights, publication window, targeting, attachments (real Postgres)."""

from __future__ import annotations

import hashlib
import struct
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import FormData

from notify import store
from notify.settings import NotifySettings
from shared.keys import POOL

NEWS = "/tenants/epagny/news"
MY_NEWS = "/tenants/epagny/me/news"
PARIS = ZoneInfo("Europe/Paris")
MAX_BYTES = 4096

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def png() -> bytes:
    """A real 1x1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def notify_settings(make_settings: Any, smtp: Any) -> NotifySettings:
    return make_settings(
        NotifySettings,
        smtp_port=smtp.port,
        news_attachment_max_bytes=MAX_BYTES,
        news_max_attachments=3,
    )


def today() -> Any:
    return datetime.now(PARIS).date()


def form(
    fields: dict[str, str], *files: tuple[str, str, bytes, str], quote: bool = True
) -> FormData:
    """A multipart form; quote=False sends file names as browsers do (raw UTF-8)."""
    data = FormData(quote_fields=quote)
    for name, value in fields.items():
        data.add_field(name, value)
    for field, filename, content, declared in files:
        data.add_field(field, content, filename=filename, content_type=declared)
    return data


async def create(client: Any, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {"title": "Fermeture exceptionnelle", "body": "L'accueil sera fermé.", **fields}
    r = await client.post(NEWS, json=body, headers=headers)
    assert r.status == 201, await r.text()
    return await r.json()


async def titles(client: Any, headers: dict[str, str]) -> set[str]:
    r = await client.get(MY_NEWS, headers=headers)
    assert r.status == 200
    return {item["title"] for item in (await r.json())["items"]}


async def test_news_are_written_by_staff_of_the_tenant(notify, tokens):
    family = tokens.header(tenant="epagny", roles=("family",))
    other = tokens.header(tenant="annecy", roles=("staff",))
    staff = tokens.header(tenant="epagny", roles=("staff",))
    body = {"title": "Titre", "body": "Texte"}
    assert (await notify.post(NEWS, json=body)).status == 401
    assert (await notify.post(NEWS, json=body, headers=family)).status == 403
    assert (await notify.post(NEWS, json=body, headers=other)).status == 403
    assert (await notify.get(NEWS, headers=family)).status == 403
    assert (await notify.get(NEWS, headers=other)).status == 403
    news = await create(notify, staff)
    url = f"{NEWS}/{news['id']}"
    for method in ("get", "delete"):
        assert (await getattr(notify, method)(url, headers=family)).status == 403
        assert (await getattr(notify, method)(url, headers=other)).status == 403
    assert (await notify.patch(url, json={"title": "x"}, headers=family)).status == 403
    assert (await notify.post(f"{url}/unpublish", headers=other)).status == 403
    upload = form({}, ("file", "a.pdf", PDF, "application/pdf"))
    assert (await notify.post(f"{url}/attachments", data=upload, headers=family)).status == 403
    # another tenant's family neither reads this tenant's news nor sees them in its own
    annecy = tokens.header(tenant="annecy")
    assert (await notify.get(MY_NEWS, headers=annecy)).status == 403
    r = await notify.get("/tenants/annecy/me/news", headers=annecy)
    assert r.status == 200 and (await r.json())["items"] == []
    assert (await notify.get(f"{MY_NEWS}/{news['id']}", headers=annecy)).status == 403


async def test_publication_window_is_respected(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("admin",))
    family = tokens.header(tenant="epagny")
    now = datetime.now(UTC)
    day = timedelta(days=1)
    await create(
        notify,
        staff,
        title="jusqu'à ce soir",
        publish_from=str(today() - day),
        publish_until=str(today()),
    )
    await create(notify, staff, title="demain", publish_from=str(today() + day))
    await create(
        notify,
        staff,
        title="expirée",
        publish_from=str(today() - 3 * day),
        publish_until=str(today() - day),
    )
    await create(
        notify,
        staff,
        title="cette heure",
        publish_from=(now - timedelta(hours=1)).isoformat(),
        publish_until=(now + timedelta(hours=1)).isoformat(),
    )
    await create(
        notify, staff, title="dans une heure", publish_from=(now + timedelta(hours=1)).isoformat()
    )
    await create(notify, staff, title="sans dates")
    withdrawn = await create(notify, staff, title="retirée")

    r = await notify.post(f"{NEWS}/{withdrawn['id']}/unpublish", headers=staff)
    assert r.status == 200 and (await r.json())["state"] == "unpublished"
    assert await titles(notify, family) == {"jusqu'à ce soir", "cette heure", "sans dates"}

    # an end date includes the whole day, in Europe/Paris
    r = await notify.get(NEWS, params={"state": "current"}, headers=staff)
    (ce_soir,) = [n for n in (await r.json())["items"] if n["title"] == "jusqu'à ce soir"]
    until = datetime.fromisoformat(ce_soir["publish_until"]).astimezone(PARIS)
    assert (until.date(), until.hour, until.minute) == (today() + day, 0, 0)

    r = await notify.get(NEWS, headers=staff)
    states = {n["title"]: n["state"] for n in (await r.json())["items"]}
    assert states == {
        "jusqu'à ce soir": "current",
        "demain": "scheduled",
        "expirée": "expired",
        "cette heure": "current",
        "dans une heure": "scheduled",
        "sans dates": "current",
        "retirée": "unpublished",
    }
    r = await notify.get(f"{MY_NEWS}/{withdrawn['id']}", headers=family)
    assert r.status == 404
    await notify.post(f"{NEWS}/{withdrawn['id']}/publish", headers=staff)
    assert "retirée" in await titles(notify, family)
    r = await notify.get(f"{MY_NEWS}/{withdrawn['id']}", headers=family)
    assert r.status == 200 and (await r.json())["title"] == "retirée"

    # moved into the future: no longer shown; deleted: gone for staff too
    r = await notify.patch(
        f"{NEWS}/{withdrawn['id']}", json={"publish_from": str(today() + day)}, headers=staff
    )
    assert r.status == 200 and (await r.json())["state"] == "scheduled"
    assert "retirée" not in await titles(notify, family)
    assert (await notify.delete(f"{NEWS}/{withdrawn['id']}", headers=staff)).status == 204
    assert (await notify.get(f"{NEWS}/{withdrawn['id']}", headers=staff)).status == 404
    assert (await notify.delete(f"{NEWS}/{withdrawn['id']}", headers=staff)).status == 404


async def test_news_validation_errors_are_in_french(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    r = await notify.post(
        NEWS,
        json={
            "title": "Titre",
            "body": "Texte",
            "publish_from": "2025-06-10",
            "publish_until": "2025-06-01",
        },
        headers=staff,
    )
    assert r.status == 422
    problem = await r.json()
    assert r.content_type == "application/problem+json"
    assert problem["errors"] == [
        {
            "field": "publish_until",
            "detail": "La date de fin de publication doit être après la date de début.",
        }
    ]
    r = await notify.post(
        NEWS, json={"body": "", "publish_from": "10/06/2025", "activity_id": "x"}, headers=staff
    )
    assert r.status == 422
    errors = {e["field"]: e["detail"] for e in (await r.json())["errors"]}
    assert errors == {
        "title": "Ce champ est obligatoire.",
        "body": "Entre 1 et 20000 caractères sont attendus.",
        "publish_from": (
            "Une date (AAAA-MM-JJ) ou une date et heure (AAAA-MM-JJTHH:MM) est attendue."
        ),
        "activity_id": "Identifiant invalide.",
    }
    r = await notify.post(NEWS, data=b"title=x", headers={**staff, "Content-Type": "text/plain"})
    assert r.status == 415
    assert "JSON ou multipart/form-data" in (await r.json())["detail"]
    news = await create(notify, staff)
    r = await notify.patch(
        f"{NEWS}/{news['id']}", json={"publish_until": "2000-01-01"}, headers=staff
    )
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "publish_until"
    r = await notify.patch(f"{NEWS}/{news['id']}", json={"title": None}, headers=staff)
    assert r.status == 422


async def test_targeted_news_reach_only_the_households_of_the_activity(notify, tokens):
    pool = notify.app[POOL]
    activity, other_activity = uuid.uuid4(), uuid.uuid4()
    in_activity, elsewhere = uuid.uuid4(), uuid.uuid4()
    await store.add_family_activity(pool, "epagny", in_activity, activity)
    await store.add_family_activity(pool, "epagny", elsewhere, other_activity)
    await store.add_family_activity(pool, "annecy", elsewhere, activity)  # another tenant's
    staff = tokens.header(tenant="epagny", roles=("staff",))
    data = form(
        {"title": "Sortie au lac", "body": "Prévoir un maillot.", "activity_id": str(activity)},
        ("attachments", "autorisation.pdf", PDF, "application/pdf"),
    )
    r = await notify.post(NEWS, data=data, headers=staff)
    assert r.status == 201, await r.text()
    targeted = await r.json()
    (attachment,) = targeted["attachments"]
    await create(notify, staff, title="Pour tous")

    parent = tokens.header(tenant="epagny", household_id=str(in_activity))
    neighbour = tokens.header(tenant="epagny", household_id=str(elsewhere))
    no_household = tokens.header(tenant="epagny")
    assert await titles(notify, parent) == {"Sortie au lac", "Pour tous"}
    assert await titles(notify, neighbour) == {"Pour tous"}
    assert await titles(notify, no_household) == {"Pour tous"}

    item = f"{MY_NEWS}/{targeted['id']}"
    download = f"{item}/attachments/{attachment['id']}"
    r = await notify.get(item, headers=parent)
    assert r.status == 200 and (await r.json())["targeted"] is True
    assert (await notify.get(download, headers=parent)).status == 200
    for stranger in (neighbour, no_household):
        assert (await notify.get(item, headers=stranger)).status == 404
        r = await notify.get(download, headers=stranger)
        assert r.status == 404
        assert (await r.json())["detail"] == "Cette pièce jointe est introuvable."

    # the child leaves the activity: the news is gone for the family
    await pool.execute(
        "DELETE FROM family_activities WHERE tenant = 'epagny' AND household_id = $1"
        " AND activity_id = $2",
        in_activity,
        activity,
    )
    assert (await notify.get(download, headers=parent)).status == 404
    # untargeted again: everyone sees it
    await notify.patch(f"{NEWS}/{targeted['id']}", json={"activity_id": None}, headers=staff)
    assert (await notify.get(download, headers=neighbour)).status == 200


async def test_attachment_types_are_read_from_the_content(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    fields = {"title": "Menus", "body": "Les menus du mois."}
    fake = b"Ceci n'est pas un PDF, juste du texte.\n"
    r = await notify.post(
        NEWS,
        data=form(fields, ("attachments", "menus.pdf", fake, "application/pdf")),
        headers=staff,
    )
    assert r.status == 415
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["detail"] == (
        "Le fichier « menus.pdf » (champ attachments) n'est ni un PDF, ni une image JPEG"
        " ou PNG : seuls ces formats sont acceptés."
    )
    assert problem["errors"][0]["field"] == "attachments"
    # a header that only looks like a PDF is not one either
    r = await notify.post(
        NEWS,
        data=form(fields, ("attachments", "x.pdf", b"%PDF-1.4 hello", "application/pdf")),
        headers=staff,
    )
    assert r.status == 415
    r = await notify.get(NEWS, headers=staff)
    assert (await r.json())["items"] == []  # nothing half-created

    image = png()
    r = await notify.post(
        NEWS,
        data=form(
            fields,
            ("attachments", "Menus d'été.pdf", PDF, "text/plain"),
            ("attachments", "photo.pdf", image, "application/pdf"),
            quote=False,
        ),
        headers=staff,
    )
    assert r.status == 201, await r.text()
    news = await r.json()
    pdf, photo = news["attachments"]
    assert (pdf["filename"], pdf["content_type"], pdf["size"]) == (
        "Menus d'été.pdf",
        "application/pdf",
        len(PDF),
    )
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (photo["filename"], photo["content_type"]) == ("photo.pdf.png", "image/png")

    r = await notify.get(
        f"{MY_NEWS}/{news['id']}/attachments/{pdf['id']}", headers=tokens.header(tenant="epagny")
    )
    assert r.status == 200
    assert await r.read() == PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == (
        "attachment; filename=\"Menus d_ete.pdf\"; filename*=UTF-8''Menus%20d%27%C3%A9t%C3%A9.pdf"
    )
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["ETag"] == f'"{pdf["sha256"]}"'
    r = await notify.get(f"{NEWS}/{news['id']}/attachments/{photo['id']}", headers=staff)
    assert r.headers["Content-Type"] == "image/png" and await r.read() == image


async def test_attachment_size_and_count_limits(notify, tokens):
    staff = tokens.header(tenant="epagny", roles=("staff",))
    big = PDF[:-7] + b" " * MAX_BYTES + b"\n%%EOF\n"
    r = await notify.post(
        NEWS,
        data=form({"title": "T", "body": "B"}, ("attachments", "gros.pdf", big, "application/pdf")),
        headers=staff,
    )
    assert r.status == 413
    problem = await r.json()
    assert problem["detail"] == (
        "Le fichier « gros.pdf » (champ attachments) dépasse la taille maximale de 4 Ko."
    )
    assert problem["max_bytes"] == MAX_BYTES

    news = await create(notify, staff)
    url = f"{NEWS}/{news['id']}/attachments"
    r = await notify.post(
        url, data=form({}, ("file", "gros.pdf", big, "application/pdf")), headers=staff
    )
    assert r.status == 413
    two = form({}, ("file", "a.pdf", PDF, "application/pdf"), ("file", "b.png", png(), "image/png"))
    r = await notify.post(url, data=two, headers=staff)
    assert r.status == 201
    assert [a["content_type"] for a in (await r.json())["items"]] == [
        "application/pdf",
        "image/png",
    ]
    r = await notify.post(
        url,
        data=form(
            {}, ("file", "c.pdf", PDF, "application/pdf"), ("file", "d.pdf", PDF, "application/pdf")
        ),
        headers=staff,
    )
    assert r.status == 422
    assert (await r.json())["detail"] == (
        "Une actualité a au plus 3 pièces jointes (elle en a déjà 2)."
    )
    r = await notify.post(url, json={"file": "x"}, headers=staff)
    assert r.status == 415
    r = await notify.post(
        f"{NEWS}/{uuid.uuid4()}/attachments",
        data=form({}, ("file", "a.pdf", PDF, "application/pdf")),
        headers=staff,
    )
    assert r.status == 404

    r = await notify.get(f"{NEWS}/{news['id']}", headers=staff)
    first = (await r.json())["attachments"][0]
    assert (await notify.delete(f"{url}/{first['id']}", headers=staff)).status == 204
    assert (await notify.get(f"{url}/{first['id']}", headers=staff)).status == 404
