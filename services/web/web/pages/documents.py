"""Supporting documents (`/documents`): the household's documents with their status (to be
validated, validated, refused with the reason, expired), the upload of a new one (its type,
whom it is about, the file) and the download of each."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from aiohttp import web

from web.apis import Multipart
from web.domain import household as hh
from web.domain.problems import FormErrors
from web.pages.common import api, attachment, redirect, render, send_file

routes = web.RouteTableDef()

ME = "/tenants/{tenant}/me/household"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise web.HTTPNotFound() from None


def upload_fields(
    types: list[tuple[str, str]], people: list[tuple[str, str]], values: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "name": "document_type",
            "label": "Type de document",
            "type": "select",
            "required": True,
            "options": [("", "Choisir un type"), *types],
            "value": values.get("document_type"),
        },
        {
            "name": "member_id",
            "label": "Ce document concerne",
            "type": "select",
            "options": [("", "Tout le foyer"), *people],
            "value": values.get("member_id"),
        },
        {
            "name": "file",
            "label": "Fichier",
            "type": "file",
            "required": True,
            "accept": ACCEPT,
            "hint": "PDF, JPEG ou PNG, 5 Mo au plus.",
        },
    ]


async def _page(
    request: web.Request,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    found = await api(request, "family", "GET", ME)
    if found.status in (403, 404):
        raise web.HTTPSeeOther("/foyer")  # documents belong to a household: link it first
    documents = await api(request, "family", "GET", f"{ME}/documents", params={"per_page": "100"})
    types = await api(request, "family", "GET", "/tenants/{tenant}/document-types")
    type_options = [(t["code"], t["label"]) for t in (types.body or {}).get("items", [])]
    names = hh.member_names(found.body if found.ok else None)
    today = date.today()
    items = [
        {
            **d,
            "shown_status": hh.document_status(d, today),
            "about": names.get(str(d.get("member_id")), "Tout le foyer"),
            "size_label": hh.file_size(int(d.get("size") or 0)),
        }
        for d in (documents.body or {}).get("items", [])
    ]
    return await render(
        request,
        "documents.html.j2",
        {
            "title": "Mes documents",
            "documents": items,
            "statuses": hh.DOCUMENT_STATUSES,
            "fields": upload_fields(type_options, list(names.items()), values or {}),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/documents")
async def documents(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/documents")
async def upload(request: web.Request) -> web.Response:
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    file = attachment(form)
    if file is None:
        errors = FormErrors({"file": "Choisissez le fichier à envoyer."})
        return await _page(request, values=values, errors=errors, status=422)
    fields = {
        "document_type": values.get("document_type", ""),
        "member_id": values.get("member_id", ""),
    }
    answer = await api(
        request, "family", "POST", f"{ME}/documents", form=Multipart(fields, (file,))
    )
    if answer.ok:
        return redirect("/documents?envoye=1")
    names = ("document_type", "member_id", "file")
    errors = hh.errors_of(answer.problem, names)
    if not errors.fields and answer.status in (413, 415):
        errors = FormErrors({"file": errors.general or "Ce fichier n'a pas pu être envoyé."})
    status = answer.status if answer.status in (404, 409, 413, 415, 422, 429) else 422
    return await _page(request, values=values, errors=errors, status=status)


@routes.get("/documents/{document_id}/fichier")
async def download(request: web.Request) -> web.StreamResponse:
    document_id = _uuid(request.match_info["document_id"])
    return await send_file(
        request, f"{ME}/documents/{document_id}/content", f"document-{document_id}"
    )
