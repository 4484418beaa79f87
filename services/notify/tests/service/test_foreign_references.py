"""Ids in request bodies that are not the caller's to name (issue 17, hostile input): staff of
one town targeting a news or a town document at another town's activity. Notify knows
activities from booking's events only (`family_activities`): one it knows as another tenant's
is refused naming the field, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import FormData

from notify import store
from shared.keys import POOL

NEWS = "/tenants/epagny/news"
DOCS = "/tenants/epagny/town-documents"
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def document_form(**fields: str) -> FormData:
    data = FormData()
    for key, value in {"title": "Règlement", "category": "rules", **fields}.items():
        data.add_field(key, value)
    data.add_field("file", PDF, filename="Règlement.pdf", content_type="application/pdf")
    return data


async def count(pool: Any, table: str) -> int:
    return await pool.fetchval(f"SELECT count(*) FROM {table}")


async def test_news_cannot_target_another_towns_activity(notify, tokens):
    pool = notify.app[POOL]
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    await store.add_family_activity(pool, "epagny", uuid.uuid4(), ours)
    await store.add_family_activity(pool, "annecy", uuid.uuid4(), theirs)
    staff = tokens.header(tenant="epagny", roles=("staff",))
    body = {"title": "Sortie au lac", "body": "Prévoir un maillot.", "activity_id": str(theirs)}

    r = await notify.post(NEWS, json=body, headers=staff)
    assert r.status == 422, await r.text()
    problem = await r.json()
    assert problem["type"].endswith("/foreign-reference")
    assert [e["field"] for e in problem["errors"]] == ["activity_id"]
    assert await count(pool, "news") == 0

    # Its own activity, and one booking has not told of yet (opaque), are taken.
    for activity in (ours, uuid.uuid4()):
        r = await notify.post(NEWS, json={**body, "activity_id": str(activity)}, headers=staff)
        assert r.status == 201, await r.text()
    news = await r.json()
    r = await notify.patch(f"{NEWS}/{news['id']}", json={"activity_id": str(theirs)}, headers=staff)
    assert r.status == 422
    assert [e["field"] for e in (await r.json())["errors"]] == ["activity_id"]
    stored = await pool.fetchval(
        "SELECT activity_id FROM news WHERE id = $1", uuid.UUID(news["id"])
    )
    assert str(stored) == news["activity_id"]


async def test_town_documents_cannot_show_on_another_towns_activity(notify, tokens):
    pool = notify.app[POOL]
    ours, theirs = uuid.uuid4(), uuid.uuid4()
    await store.add_family_activity(pool, "epagny", uuid.uuid4(), ours)
    await store.add_family_activity(pool, "annecy", uuid.uuid4(), theirs)
    staff = tokens.header(tenant="epagny", roles=("staff",))

    r = await notify.post(DOCS, data=document_form(activity_ids=f"{ours}, {theirs}"), headers=staff)
    assert r.status == 422, await r.text()
    assert [e["field"] for e in (await r.json())["errors"]] == ["activity_ids"]
    assert (await count(pool, "town_documents"), await count(pool, "town_document_links")) == (0, 0)

    r = await notify.post(DOCS, data=document_form(activity_ids=str(ours)), headers=staff)
    assert r.status == 201, await r.text()
    created = await r.json()
    r = await notify.patch(
        f"{DOCS}/{created['id']}", json={"activity_ids": [str(theirs)]}, headers=staff
    )
    assert r.status == 422
    links = await pool.fetch("SELECT activity_id FROM town_document_links")
    assert [x["activity_id"] for x in links] == [ours]
