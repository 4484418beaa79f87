"""Requests to the town (`/demandes`): the household's requests (topic, status, last
message), a new one (topic, child, message, attachment), each thread
(`/demandes/{request_id}`, notify's emails link there) with the reply and the closing, and
the attachments' downloads."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from web.apis import Multipart
from web.domain import household as hh
from web.domain.problems import FormErrors
from web.pages.common import api, attachment, redirect, render, send_file
from web.pages.documents import ACCEPT

routes = web.RouteTableDef()

ME = "/tenants/{tenant}/me/household"


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise web.HTTPNotFound() from None


def _file_field() -> dict[str, Any]:
    return {
        "name": "file",
        "label": "Pièce jointe (facultative)",
        "type": "file",
        "accept": ACCEPT,
        "hint": "PDF, JPEG ou PNG, 5 Mo au plus.",
    }


def request_fields(
    topics: list[tuple[str, str]], children: list[tuple[str, str]], values: dict[str, Any]
) -> list[dict[str, Any]]:
    return [
        {
            "name": "topic",
            "label": "Thématique",
            "type": "select",
            "required": True,
            "options": [("", "Choisir une thématique"), *topics],
            "value": values.get("topic"),
        },
        {
            "name": "child_id",
            "label": "Enfant concerné",
            "type": "select",
            "options": [("", "Aucun en particulier"), *children],
            "value": values.get("child_id"),
        },
        {
            "name": "subject",
            "label": "Objet",
            "value": values.get("subject"),
            "hint": "Facultatif : sinon, la thématique.",
        },
        {
            "name": "message",
            "label": "Message",
            "type": "textarea",
            "required": True,
            "rows": 6,
            "value": values.get("message"),
        },
        _file_field(),
    ]


def reply_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "message",
            "label": "Votre réponse",
            "type": "textarea",
            "required": True,
            "rows": 5,
            "value": values.get("message"),
        },
        _file_field(),
    ]


def _errors(
    answer_status: int, problem: dict[str, Any] | None, names: tuple[str, ...]
) -> FormErrors:
    errors = hh.errors_of(problem, names)
    if not errors.fields and answer_status in (413, 415):
        errors = FormErrors({"file": errors.general or "Ce fichier n'a pas pu être envoyé."})
    return errors


def _status(answer_status: int) -> int:
    return answer_status if answer_status in (404, 409, 413, 415, 422) else 422


async def _children(request: web.Request) -> list[tuple[str, str]] | None:
    """The household's children (id, name); None when the account has no household."""
    found = await api(request, "family", "GET", ME)
    if found.status in (403, 404):
        return None
    if not found.ok:
        return []
    return [(c["id"], f"{c['first_name']} {c['last_name']}") for c in found.body["children"]]


async def _list_page(
    request: web.Request,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    children = await _children(request)
    if children is None:
        raise web.HTTPSeeOther("/foyer")  # requests belong to a household: link it first
    listed = await api(request, "family", "GET", f"{ME}/requests", params={"per_page": "100"})
    topics = await api(request, "family", "GET", "/tenants/{tenant}/request-topics")
    topic_options = [(t["code"], t["label"]) for t in (topics.body or {}).get("items", [])]
    items = []
    for item in (listed.body or {}).get("items", []):
        last = hh.last_message(item)
        items.append({**item, "last": last, "excerpt": hh.excerpt(last["body"]) if last else ""})
    return await render(
        request,
        "requests.html.j2",
        {
            "title": "Mes demandes",
            "requests": items,
            "statuses": hh.REQUEST_STATUSES,
            "fields": request_fields(topic_options, children, values or {}),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/demandes")
async def requests_page(request: web.Request) -> web.Response:
    return await _list_page(request)


@routes.post("/demandes")
async def send_request(request: web.Request) -> web.Response:
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    file = attachment(form)
    body = Multipart(hh.request_fields(form), (file,) if file else ())
    answer = await api(request, "family", "POST", f"{ME}/requests", form=body)
    if answer.ok:
        return redirect(f"/demandes/{answer.body['id']}?envoye=1")
    names = ("topic", "child_id", "subject", "message", "file")
    errors = _errors(answer.status, answer.problem, names)
    return await _list_page(request, values=values, errors=errors, status=_status(answer.status))


async def _thread_page(
    request: web.Request,
    request_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    answer = await api(request, "family", "GET", f"{ME}/requests/{request_id}")
    if not answer.ok:
        raise web.HTTPNotFound()
    thread = answer.body
    children = dict(await _children(request) or [])
    return await render(
        request,
        "requests_thread.html.j2",
        {
            "title": f"Demande : {thread['subject']}",
            "thread": thread,
            "child_name": children.get(str(thread.get("child_id"))),
            "statuses": hh.REQUEST_STATUSES,
            "file_size": hh.file_size,
            "fields": reply_fields(values or {}),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/demandes/{request_id}")
async def thread(request: web.Request) -> web.Response:
    return await _thread_page(request, _uuid(request.match_info["request_id"]))


@routes.post("/demandes/{request_id}")
async def reply(request: web.Request) -> web.Response:
    request_id = _uuid(request.match_info["request_id"])
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    file = attachment(form)
    fields = {"message": str(form.get("message", "")).strip()}
    answer = await api(
        request,
        "family",
        "POST",
        f"{ME}/requests/{request_id}/messages",
        form=Multipart(fields, (file,) if file else ()),
    )
    if answer.ok:
        return redirect(f"/demandes/{request_id}?envoye=1")
    errors = _errors(answer.status, answer.problem, ("message", "file"))
    return await _thread_page(
        request, request_id, values=values, errors=errors, status=_status(answer.status)
    )


@routes.post("/demandes/{request_id}/cloture")
async def close(request: web.Request) -> web.Response:
    request_id = _uuid(request.match_info["request_id"])
    answer = await api(request, "family", "POST", f"{ME}/requests/{request_id}/close")
    if answer.ok:
        return redirect(f"/demandes/{request_id}?cloturee=1")
    errors = hh.errors_of(answer.problem, ())
    return await _thread_page(request, request_id, errors=errors, status=_status(answer.status))


@routes.get("/demandes/{request_id}/messages/{message_id}/piece-jointe")
async def download(request: web.Request) -> web.StreamResponse:
    request_id = _uuid(request.match_info["request_id"])
    message_id = _uuid(request.match_info["message_id"])
    return await send_file(
        request,
        f"{ME}/requests/{request_id}/messages/{message_id}/attachment",
        f"piece-jointe-{message_id}",
    )
