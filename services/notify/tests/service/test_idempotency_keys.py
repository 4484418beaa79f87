"""Idempotency-Key on notify's creations: a news sent again with its key is published once,
and the first answer is given again; a multipart news with a key is refused (its
fingerprint would consume the upload)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import FormData

from shared.keys import POOL

NEWS = "/tenants/epagny/news"


async def test_a_retried_news_is_published_once(notify: Any, tokens: Any) -> None:
    staff = tokens.header(tenant="epagny", roles=("staff",), account_id=str(uuid.uuid4()))
    headers = {**staff, "Idempotency-Key": str(uuid.uuid4())}
    body = {"title": "Fermeture exceptionnelle", "body": "L'accueil sera fermé."}
    first = await notify.post(NEWS, json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await notify.post(NEWS, json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert again.headers["Location"] == first.headers["Location"]
    assert await notify.app[POOL].fetchval("SELECT count(*) FROM news") == 1

    other = await notify.post(NEWS, json={**body, "title": "Autre"}, headers=headers)
    assert other.status == 422
    assert (await other.json())["errors"][0]["field"] == "Idempotency-Key"

    form = FormData()
    form.add_field("title", "Avec pièce jointe")
    form.add_field("body", "Texte")
    form.add_field("attachments", b"%PDF-1.4", filename="a.pdf", content_type="application/pdf")
    keyed = {**staff, "Idempotency-Key": str(uuid.uuid4())}
    r = await notify.post(NEWS, data=form, headers=keyed)
    assert r.status == 400 and (await r.json())["type"].endswith("/idempotency-key-unsupported")
    assert await notify.app[POOL].fetchval("SELECT count(*) FROM news") == 1


async def test_the_openapi_document_names_the_header(notify: Any) -> None:
    spec = await (await notify.get("/openapi.json")).json()
    params = spec["paths"]["/tenants/{tenant}/news"]["post"]["parameters"]
    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params)
