"""Back-office: the enrollments waiting for approval and the declared absences to decide,
oldest first; the opened item shows what staff need to decide (child, activity, pattern,
documents; day, reason, justification), its decision is a form of buttons, and after it
the next item opens."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from web.domain import enrollments as family_words
from web.domain import staff_attendance as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render, send_file, staff_only
from web.pages.enrollments import today, uuid_or_404

routes = web.RouteTableDef()

DECIDED = {
    "approved": "Inscription acceptée.",
    "rejected": "Inscription refusée ; la famille est prévenue du motif.",
    "accepted": "Absence justifiée : le jour ne sera pas facturé.",
    "refused": "Absence refusée ; la famille est prévenue du motif.",
    "deja": "Cette demande avait déjà été traitée ; voici la suivante.",
}


async def _items(request: web.Request, path: str) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", path, params={"status": "pending"})
    return domain.oldest_first(answer.body.get("items", []) if answer.ok else [])


async def _activities(request: web.Request) -> dict[str, dict[str, Any]]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    return {str(a["id"]): a for a in (answer.body.get("items", []) if answer.ok else [])}


async def _households(request: web.Request, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The households the queue's items belong to (their children's names and classes)."""

    async def one(household_id: str) -> dict[str, Any] | None:
        path = f"/tenants/{{tenant}}/households/{household_id}"
        answer = await api(request, "family", "GET", path)
        return answer.body if answer.ok else None

    found = await asyncio.gather(*(one(i) for i in sorted(ids)))
    return {i: h for i, h in zip(sorted(ids), found, strict=True) if h is not None}


def _child(households: dict[str, dict[str, Any]], item: dict[str, Any]) -> dict[str, Any]:
    household = households.get(str(item.get("household_id"))) or {}
    for child in household.get("children") or []:
        if str(child["id"]) == str(item.get("child_id")):
            return child
    return {"first_name": "Enfant", "last_name": "inconnu", "grade": None}


# Names are read for the opened item and the next ones shown (the rest: a count).
SHOWN = 20


def _site(request: web.Request) -> str:
    """The queue's site filter (?site=, kept through the decisions)."""
    return request.query.get("site", "").strip()


async def _queue_context(
    request: web.Request, path: str, chosen: str | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]], list[str]]:
    """The opened item, the rest in order (of the chosen site), the sites to choose from."""
    items, activities = await asyncio.gather(_items(request, path), _activities(request))
    if site := _site(request):
        items = [i for i in items if activities.get(str(i["activity_id"]), {}).get("site") == site]
    opened, rest = domain.current_and_rest(items, chosen)
    shown = ([opened] if opened else []) + rest[: SHOWN - 1]
    households = await _households(request, {str(i["household_id"]) for i in shown})
    for item in shown:
        item["child"] = _child(households, item)
        item["activity"] = activities.get(str(item["activity_id"]), {"name": "", "site": ""})
    return opened, rest, sorted({a["site"] for a in activities.values() if a.get("site")})


# --- enrollments ---------------------------------------------------------------------------


async def _documents_of(
    request: web.Request, enrollment: dict[str, Any]
) -> list[family_words.RequiredDocument]:
    """The activity's required documents and their state in the child's household."""
    codes = list(enrollment["activity"].get("required_documents") or [])
    if not codes:
        return []
    household_id = enrollment["household_id"]
    stored, types = await asyncio.gather(
        api(
            request,
            "family",
            "GET",
            f"/tenants/{{tenant}}/households/{household_id}/documents",
            params={"status": "all", "per_page": "100"},
        ),
        api(request, "family", "GET", "/tenants/{tenant}/document-types"),
    )
    listed = (types.body or {}).get("items", []) if types.ok else []
    labels = {t["code"]: t["label"] for t in listed}
    documents = (stored.body or {}).get("items", []) if stored.ok else []
    return family_words.required_documents(
        codes, documents, labels, str(enrollment["child_id"]), today(request)
    )


async def _enrollments_page(
    request: web.Request,
    chosen: str | None,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    opened, rest, sites = await _queue_context(request, "/tenants/{tenant}/enrollments", chosen)
    documents = await _documents_of(request, opened) if opened else []
    return await render(
        request,
        "staff_booking_enrollments.html.j2",
        {
            "title": "Inscriptions à valider",
            "opened": opened,
            "rest": rest,
            "shown": SHOWN,
            "documents": documents,
            "words": family_words,
            "errors": errors or FormErrors(),
            "values": values or {},
            "decided": DECIDED.get(request.query.get("decision", "")),
            "sites": sites,
            "site": _site(request),
        },
        status=status,
    )


@routes.get("/gestion/inscriptions")
async def enrollments_queue(request: web.Request) -> web.Response:
    staff_only(request)
    return await _enrollments_page(request, request.query.get("id"))


@routes.post("/gestion/inscriptions/{item_id}/decision")
async def decide_enrollment(request: web.Request) -> web.Response:
    return await _decide(request, "enrollments", "/gestion/inscriptions", _enrollments_page)


async def _decide(
    request: web.Request, resource: str, queue: str, page: Callable[..., Awaitable[web.Response]]
) -> web.Response:
    """booking's decision on an enrollment or an absence; then the queue's next item (or the
    same item with the API's errors by their field)."""
    staff_only(request)
    item_id = uuid_or_404(request.match_info["item_id"])
    form = await request.post()
    body = domain.decision_body(form)
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/{resource}/{item_id}/decision", json=body
    )
    site = f"&site={quote(_site(request))}" if _site(request) else ""
    if answer.ok:
        return redirect(f"{queue}?decision={body['decision']}{site}")
    if answer.status == 409:
        return redirect(f"{queue}?decision=deja{site}")  # decided meanwhile, by someone else
    if answer.status == 404:
        raise web.HTTPNotFound()
    errors = form_errors(answer.problem, domain.QUEUE_FIELDS)
    values = {"reason": str(form.get("reason") or "")}
    return await page(request, item_id, errors=errors, values=values, status=answer.status)


# --- absences ------------------------------------------------------------------------------


async def _absences_page(
    request: web.Request,
    chosen: str | None,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> web.Response:
    opened, rest, sites = await _queue_context(request, "/tenants/{tenant}/absences", chosen)
    return await render(
        request,
        "staff_booking_absences.html.j2",
        {
            "title": "Absences à justifier",
            "opened": opened,
            "rest": rest,
            "shown": SHOWN,
            "words": family_words,
            "errors": errors or FormErrors(),
            "values": values or {},
            "decided": DECIDED.get(request.query.get("decision", "")),
            "sites": sites,
            "site": _site(request),
        },
        status=status,
    )


@routes.get("/gestion/absences")
async def absences_queue(request: web.Request) -> web.Response:
    staff_only(request)
    return await _absences_page(request, request.query.get("id"))


@routes.post("/gestion/absences/{item_id}/decision")
async def decide_absence(request: web.Request) -> web.Response:
    return await _decide(request, "absences", "/gestion/absences", _absences_page)


@routes.get("/gestion/justificatifs/{document_id}")
async def justification(request: web.Request) -> web.StreamResponse:
    """The supporting document of an absence, opened in the browser (staff's own API)."""
    staff_only(request)
    document_id = uuid_or_404(request.match_info["document_id"])
    return await send_file(
        request,
        f"/tenants/{{tenant}}/documents/{document_id}/content",
        "justificatif",
        inline=True,
    )
