"""The families' requests in the back-office (`/gestion/demandes`): those waiting for an
answer, oldest first (or another status), each thread (`/gestion/demandes/{id}`) with the
answer (an attachment optional; the family is emailed), the closing, the attachments."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from web.apis import Multipart
from web.domain import household as hh
from web.domain import staff_queue as q
from web.domain.problems import FormErrors
from web.pages.common import api, attachment, redirect, render, send_file, staff_only
from web.pages.documents import ACCEPT

routes = web.RouteTableDef()

T = "/tenants/{tenant}"
# The list's filter: the API's status, and what the agent reads.
FILTERS: dict[str, str] = {
    "open": "En attente de réponse",
    "answered": "Répondues",
    "closed": "Clôturées",
    "all": "Toutes",
}


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise web.HTTPNotFound() from None


def answer_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "message",
            "label": "Réponse de la mairie",
            "type": "textarea",
            "required": True,
            "rows": 6,
            "value": values.get("message"),
            "hint": "La famille la lira sur le portail et en sera prévenue par courriel.",
        },
        {
            "name": "file",
            "label": "Pièce jointe (facultative)",
            "type": "file",
            "accept": ACCEPT,
            "hint": "PDF, JPEG ou PNG, 5 Mo au plus.",
        },
        {
            "name": "close",
            "label": "Clôturer la demande avec cette réponse",
            "type": "checkbox",
            "value": values.get("close"),
        },
    ]


@routes.get("/gestion/demandes")
async def requests_list(request: web.Request) -> web.Response:
    staff_only(request)
    status = request.query.get("statut", "open")
    if status not in FILTERS:
        status = "open"
    answer = await api(
        request,
        "family",
        "GET",
        f"{T}/requests",
        params={"status": status, "per_page": "100"},
    )
    found = answer.body if answer.ok and isinstance(answer.body, dict) else {}
    items = []
    for item in q.oldest_first(found.get("items", []), "updated_at"):
        last = hh.last_message(item)
        items.append({**item, "last": last, "excerpt": hh.excerpt(last["body"]) if last else ""})
    return await render(
        request,
        "staff_requests.html.j2",
        {
            "title": f"Demandes des familles : {FILTERS[status].lower()}",
            "requests": items,
            "total": found.get("total", 0),
            "filters": FILTERS,
            "status": status,
            "statuses": hh.REQUEST_STATUSES,
        },
    )


async def _thread_page(
    request: web.Request,
    request_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    answer = await api(request, "family", "GET", f"{T}/requests/{request_id}")
    if not answer.ok:
        raise web.HTTPNotFound()
    thread = answer.body
    household = await api(request, "family", "GET", f"{T}/households/{thread['household_id']}")
    found = household.body if household.ok else None
    return await render(
        request,
        "staff_requests_thread.html.j2",
        {
            "title": f"Demande : {thread['subject']}",
            "thread": thread,
            "household_name": q.household_name(found),
            "child_name": hh.member_names(found).get(str(thread.get("child_id"))),
            "statuses": hh.REQUEST_STATUSES,
            "file_size": hh.file_size,
            "fields": answer_fields(values or {}),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/gestion/demandes/{request_id}")
async def thread(request: web.Request) -> web.Response:
    staff_only(request)
    return await _thread_page(request, _uuid(request.match_info["request_id"]))


def _errors(answer_status: int, problem: dict[str, Any] | None) -> FormErrors:
    errors = hh.errors_of(problem, ("message", "file"))
    if not errors.fields and answer_status in (413, 415):
        errors = FormErrors({"file": errors.general or "Ce fichier n'a pas pu être envoyé."})
    return errors


@routes.post("/gestion/demandes/{request_id}")
async def answer_request(request: web.Request) -> web.Response:
    staff_only(request)
    request_id = _uuid(request.match_info["request_id"])
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    file = attachment(form)
    fields = {"message": str(form.get("message", "")).strip()}
    if form.get("close") == "oui":
        fields["close"] = "true"
    answer = await api(
        request,
        "family",
        "POST",
        f"{T}/requests/{request_id}/messages",
        form=Multipart(fields, (file,) if file else ()),
    )
    if answer.ok:
        return redirect(f"/gestion/demandes/{request_id}?envoye=1")
    if answer.status == 404:
        raise web.HTTPNotFound()
    status = answer.status if answer.status in (409, 413, 415, 422) else 422
    return await _thread_page(
        request,
        request_id,
        values=values,
        errors=_errors(answer.status, answer.problem),
        status=status,
    )


@routes.post("/gestion/demandes/{request_id}/cloture")
async def close(request: web.Request) -> web.Response:
    staff_only(request)
    request_id = _uuid(request.match_info["request_id"])
    answer = await api(request, "family", "POST", f"{T}/requests/{request_id}/close")
    if answer.ok:
        return redirect(f"/gestion/demandes/{request_id}?cloturee=1")
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = hh.errors_of(answer.problem, ())
    return await _thread_page(request, request_id, errors=errors, status=409)


@routes.get("/gestion/demandes/{request_id}/messages/{message_id}/piece-jointe")
async def download(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    request_id = _uuid(request.match_info["request_id"])
    message_id = _uuid(request.match_info["message_id"])
    return await send_file(
        request,
        f"{T}/requests/{request_id}/messages/{message_id}/attachment",
        f"piece-jointe-{message_id}",
    )
