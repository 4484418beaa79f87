"""The back-office's work queue (`/gestion`): what waits for a decision, oldest first —
household changes (`/gestion/modifications/{id}`: current and proposed values side by side,
accept, or refuse with a reason), documents (`/gestion/documents/{id}`: preview, validate
until a date, or refuse), requests (`/gestion/demandes`, in pages/staff_requests.py) — and the
counts of enrollments and absences other pages decide. After a decision the next item opens."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import household as hh
from web.domain import staff_queue as q
from web.domain.problems import FormErrors
from web.pages.common import api, redirect, render, send_file, staff_only
from web.state import CLOCK

routes = web.RouteTableDef()

T = "/tenants/{tenant}"
DECIDED = {
    "acceptee": "La modification a été acceptée : le dossier est à jour et la famille prévenue.",
    "refusee": "La modification a été refusée : la famille lira le motif.",
    "valide": "Le justificatif a été validé.",
    "refuse": "Le justificatif a été refusé : la famille lira le motif.",
    "paye": "La banque confirme le paiement : il est enregistré et les factures sont à jour.",
    "echoue": "La banque ne confirme pas ce paiement : il est clos, les factures restent dues.",
    "attente": "La banque n'a pas encore répondu pour ce paiement ; réessayez plus tard.",
}


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise web.HTTPNotFound() from None


def _status(answer_status: int) -> int:
    return answer_status if answer_status in (404, 409, 422) else 422


async def _items(request: web.Request, service: str, path: str, params: dict[str, str]) -> Any:
    """A staff list; None when its service does not answer (the queue says so, the other
    kinds still show)."""
    try:
        answer = await api(request, service, "GET", path, params=params)
    except ApiUnavailable:
        return None
    return answer.body if answer.ok and isinstance(answer.body, dict) else None


async def _household(request: web.Request, household_id: Any) -> dict[str, Any] | None:
    if not household_id:
        return None
    answer = await api(request, "family", "GET", f"{T}/households/{household_id}")
    return answer.body if answer.ok else None


# --- the queue -------------------------------------------------------------------------------


@routes.get("/gestion")
async def queue(request: web.Request) -> web.Response:
    staff_only(request)
    pending = {"status": "pending", "per_page": str(q.SHOWN)}
    changes, documents, requests, enrollments, absences, card = await asyncio.gather(
        _items(request, "family", f"{T}/changes", pending),
        _items(request, "family", f"{T}/documents", pending),
        # Latest activity first from the service: the oldest are found among the 100 latest.
        _items(request, "family", f"{T}/requests", {"status": "open", "per_page": "100"}),
        _items(request, "booking", f"{T}/enrollments", {"status": "pending"}),
        _items(request, "booking", f"{T}/absences", {"status": "pending"}),
        _items(request, "billing", f"{T}/card-payments", {"status": "pending", "limit": "500"}),
    )
    payments = None
    if card is not None:
        payments = q.unsettled(card.get("transactions") or [], request.app[CLOCK].now())
        shown = payments["items"][: q.SHOWN]
        households = await asyncio.gather(*(_household(request, t["household_id"]) for t in shown))
        payments["items"] = [
            {**t, "household_name": q.household_name(h)}
            for t, h in zip(shown, households, strict=True)
        ]
    waiting = q.oldest_first((requests or {}).get("items", []), "updated_at")
    sections = {
        "modifications": q.section(changes),
        "documents": q.section(documents),
        "demandes": q.section(requests and {**requests, "items": waiting[: q.SHOWN]}),
        "inscriptions": q.section(enrollments, counted=True),
        "absences": q.section(absences, counted=True),
        "paiements": q.section(payments),
    }
    kind = q.kind_of(request.query)
    return await render(
        request,
        "staff_queue.html.j2",
        {
            "title": f"File d'attente : {q.KINDS[kind].lower()}" if kind else "File d'attente",
            "kinds": q.KINDS,
            "kind": kind,
            "sections": sections,
            "elsewhere": q.ELSEWHERE,
            "done": DECIDED.get(request.query.get("fait", "")),
        },
    )


async def _next(request: web.Request, path: str, decided: uuid.UUID) -> str | None:
    found = await _items(request, "family", path, {"status": "pending", "per_page": "2"})
    return q.next_item((found or {}).get("items", []), str(decided))


# --- a household change ----------------------------------------------------------------------


async def _change_page(
    request: web.Request,
    change_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    reason: str = "",
    status: int = 200,
) -> web.Response:
    answer = await api(request, "family", "GET", f"{T}/changes/{change_id}")
    if not answer.ok:
        raise web.HTTPNotFound()
    change = answer.body
    household = await _household(request, change.get("household_id"))
    photo = change["entity"] == "photo"
    rows = q.comparison(
        change.get("before"), change.get("proposed"), partial=change["operation"] == "update"
    )
    if change["entity"] in ("child", "household"):
        types = await api(request, "family", "GET", f"{T}/permission-types")
        items = (types.body or {}).get("items", []) if types.ok else []
        labels = {p["code"]: p["label"] for p in items}
        guardians = {
            g["id"]: f"{g['first_name']} {g['last_name']}"
            for g in (household or {}).get("guardians", [])
        }
        rows = q.named(rows, labels, guardians)
    proof = None
    if change.get("proof_document_id"):
        found = await api(request, "family", "GET", f"{T}/documents/{change['proof_document_id']}")
        proof = found.body if found.ok else None
    return await render(
        request,
        "staff_queue_change.html.j2",
        {
            "title": f"Modification : {change['summary']}",
            "change": change,
            "household_name": q.household_name(household) if household else "Nouveau foyer",
            "rows": [] if photo else rows,
            "photo": photo,
            "proof": proof,
            "document_statuses": hh.DOCUMENT_STATUSES,
            "image": q.is_image((proof or {}).get("content_type")),
            "statuses": hh.CHANGE_STATUSES,
            "errors": errors or FormErrors(),
            "reason": reason,
            "done": DECIDED.get(request.query.get("fait", "")),
        },
        status=status,
    )


@routes.get("/gestion/modifications/{change_id}")
async def change(request: web.Request) -> web.Response:
    staff_only(request)
    return await _change_page(request, _uuid(request.match_info["change_id"]))


async def _decided_change(request: web.Request, change_id: uuid.UUID, done: str) -> web.Response:
    following = await _next(request, f"{T}/changes", change_id)
    if following:
        return redirect(f"/gestion/modifications/{following}?fait={done}")
    return redirect(f"/gestion?fait={done}")


@routes.post("/gestion/modifications/{change_id}/accepter")
async def approve_change(request: web.Request) -> web.Response:
    staff_only(request)
    change_id = _uuid(request.match_info["change_id"])
    answer = await api(request, "family", "POST", f"{T}/changes/{change_id}/approve")
    if answer.ok:
        return await _decided_change(request, change_id, "acceptee")
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = hh.errors_of(answer.problem, ())
    return await _change_page(request, change_id, errors=errors, status=_status(answer.status))


@routes.post("/gestion/modifications/{change_id}/refuser")
async def reject_change(request: web.Request) -> web.Response:
    staff_only(request)
    change_id = _uuid(request.match_info["change_id"])
    reason, errors = q.rejection_reason(await request.post())
    if errors:
        return await _change_page(request, change_id, errors=errors, status=422)
    answer = await api(
        request, "family", "POST", f"{T}/changes/{change_id}/reject", json={"reason": reason}
    )
    if answer.ok:
        return await _decided_change(request, change_id, "refusee")
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = hh.errors_of(answer.problem, ("reason",))
    return await _change_page(
        request, change_id, errors=errors, reason=reason, status=_status(answer.status)
    )


@routes.get("/gestion/modifications/{change_id}/photo")
async def proposed_photo(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    change_id = _uuid(request.match_info["change_id"])
    return await send_file(request, f"{T}/changes/{change_id}/photo", "photo", inline=True)


@routes.get("/gestion/modifications/{change_id}/photo-actuelle")
async def current_photo(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    change_id = _uuid(request.match_info["change_id"])
    answer = await api(request, "family", "GET", f"{T}/changes/{change_id}")
    if not answer.ok or answer.body.get("entity") != "photo":
        raise web.HTTPNotFound()
    household_id, child_id = answer.body["household_id"], answer.body["parent_id"]
    path = f"{T}/households/{household_id}/children/{child_id}/photo"
    return await send_file(request, path, "photo", inline=True)


# --- a document ------------------------------------------------------------------------------


async def _document_page(
    request: web.Request,
    document_id: uuid.UUID,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    answer = await api(request, "family", "GET", f"{T}/documents/{document_id}")
    if not answer.ok:
        raise web.HTTPNotFound()
    document = answer.body
    household = await _household(request, document.get("household_id"))
    return await render(
        request,
        "staff_queue_document.html.j2",
        {
            "title": f"Justificatif : {document['document_label']}",
            "document": document,
            "household_name": q.household_name(household),
            "member": hh.member_names(household).get(str(document.get("member_id"))),
            "image": q.is_image(document.get("content_type")),
            "file_size": hh.file_size,
            "statuses": hh.DOCUMENT_STATUSES,
            "errors": errors or FormErrors(),
            "values": values or {},
            "done": DECIDED.get(request.query.get("fait", "")),
        },
        status=status,
    )


@routes.get("/gestion/documents/{document_id}")
async def document(request: web.Request) -> web.Response:
    staff_only(request)
    return await _document_page(request, _uuid(request.match_info["document_id"]))


@routes.get("/gestion/documents/{document_id}/contenu")
async def document_content(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    document_id = _uuid(request.match_info["document_id"])
    return await send_file(
        request, f"{T}/documents/{document_id}/content", f"document-{document_id}", inline=True
    )


async def _decided_document(
    request: web.Request, document_id: uuid.UUID, done: str
) -> web.Response:
    following = await _next(request, f"{T}/documents", document_id)
    if following:
        return redirect(f"/gestion/documents/{following}?fait={done}")
    return redirect(f"/gestion?type=documents&fait={done}")


@routes.post("/gestion/documents/{document_id}/valider")
async def validate_document(request: web.Request) -> web.Response:
    staff_only(request)
    document_id = _uuid(request.match_info["document_id"])
    form = await request.post()
    body = q.validity(form)
    path = f"{T}/documents/{document_id}/validate"
    answer = await api(request, "family", "POST", path, json=body)
    if answer.ok:
        return await _decided_document(request, document_id, "valide")
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = hh.errors_of(answer.problem, ("valid_until",))
    return await _document_page(
        request, document_id, errors=errors, values=body, status=_status(answer.status)
    )


@routes.post("/gestion/documents/{document_id}/refuser")
async def reject_document(request: web.Request) -> web.Response:
    staff_only(request)
    document_id = _uuid(request.match_info["document_id"])
    reason, errors = q.rejection_reason(await request.post())
    if errors:
        return await _document_page(request, document_id, errors=errors, status=422)
    answer = await api(
        request, "family", "POST", f"{T}/documents/{document_id}/reject", json={"reason": reason}
    )
    if answer.ok:
        return await _decided_document(request, document_id, "refuse")
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = hh.errors_of(answer.problem, ("reason",))
    return await _document_page(
        request,
        document_id,
        errors=errors,
        values={"reason": reason},
        status=_status(answer.status),
    )


# --- a card payment to reconcile -------------------------------------------------------------


@routes.post("/gestion/paiements-carte/{transaction_id}/verifier")
async def check_card_payment(request: web.Request) -> web.Response:
    """Ask the bank now (the family says it paid, the notification never came)."""
    staff_only(request)
    transaction_id = _uuid(request.match_info["transaction_id"])
    answer = await api(request, "billing", "POST", f"{T}/card-payments/{transaction_id}/check")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        return redirect("/gestion?type=paiements&fait=attente")
    status = answer.body.get("status")
    done = "paye" if status == "paid" else "attente" if status == "pending" else "echoue"
    return redirect(f"/gestion?type=paiements&fait={done}")
