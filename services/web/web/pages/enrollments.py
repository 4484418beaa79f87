"""Enrollments: per child, its enrollments and their decision, the activities open to it
(the others explained); the enrollment form (occasional or a regular rhythm, the required
documents' status) sent to booking."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import Multipart
from web.domain import campaigns as campaign_domain
from web.domain import enrollments as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, attachment, redirect, render
from web.pages.town_documents import documents_in_force
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()


def today(request: web.Request) -> date:
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    return request.app[CLOCK].now().astimezone(zone).date()


def uuid_or_404(text: str | None) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise web.HTTPNotFound() from None


async def household_of(request: web.Request) -> dict[str, Any] | None:
    """The family's household (None when no household is linked to the account)."""
    answer = await api(request, "family", "GET", "/tenants/{tenant}/me/household")
    if answer.status in (403, 404):
        return None
    if not answer.ok:
        raise web.HTTPNotFound()
    return answer.body


async def activities_for(request: web.Request, child_id: str) -> list[dict[str, Any]] | None:
    """The catalogue, each activity saying whether this child may enroll; None when booking
    does not know the child yet (a household linked a moment ago)."""
    answer = await api(
        request, "booking", "GET", "/tenants/{tenant}/activities", params={"child_id": child_id}
    )
    return answer.body.get("items", []) if answer.ok else None


async def household_enrollments(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/enrollments")
    return answer.body.get("items", []) if answer.ok else []


async def campaigns_listed(request: web.Request) -> list[dict[str, Any]] | None:
    """booking's enrollment campaigns for this caller; None when they cannot be read (the
    pages around them still show)."""
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/campaigns")
    return list(answer.body.get("items", [])) if answer.ok else None


def child_in(household: dict[str, Any] | None, child_id: str) -> dict[str, Any]:
    for child in (household or {}).get("children") or []:
        if str(child["id"]) == child_id:
            return child
    raise web.HTTPNotFound()


@routes.get("/inscriptions")
async def enrollments_page(request: web.Request) -> web.Response:
    household = await household_of(request)
    context: dict[str, Any] = {"title": "Mes inscriptions", "household": household}
    if household is None:
        return await render(request, "enrollments.html.j2", {**context, "children": []})
    children = household.get("children") or []
    campaigns, enrollments, *catalogues = await asyncio.gather(
        campaigns_listed(request),
        household_enrollments(request),
        *(activities_for(request, str(child["id"])) for child in children),
    )
    context["campaigns"] = campaign_domain.for_families(campaigns or [])
    context["campaign_domain"] = campaign_domain
    on = today(request)
    shown = []
    for child, catalogue in zip(children, catalogues, strict=True):
        names = {str(a["id"]): a for a in catalogue or []}
        own = [e for e in enrollments if str(e["child_id"]) == str(child["id"])]
        own.sort(key=lambda e: str(e.get("requested_at") or ""), reverse=True)
        shown.append(
            {
                "child": child,
                "enrollments": [(e, names.get(str(e["activity_id"]))) for e in own],
                "offers": domain.offers(catalogue, own, on) if catalogue is not None else None,
            }
        )
    return await render(
        request,
        "enrollments.html.j2",
        {
            **context,
            "children": shown,
            "sent": request.query.get("envoyee"),
            "domain": domain,
        },
    )


async def _form_context(request: web.Request, child_id: str, activity_id: str) -> dict[str, Any]:
    household = await household_of(request)
    child = child_in(household, child_id)
    catalogue, enrollments, town_documents = await asyncio.gather(
        activities_for(request, child_id),
        household_enrollments(request),
        documents_in_force(request, activity_id=activity_id),
    )
    activity = next((a for a in catalogue or [] if str(a["id"]) == activity_id), None)
    if activity is None:
        raise web.HTTPNotFound()
    own = [e for e in enrollments if str(e["child_id"]) == child_id]
    documents: list[domain.RequiredDocument] = []
    if activity.get("required_documents"):
        stored, types = await asyncio.gather(
            api(
                request,
                "family",
                "GET",
                "/tenants/{tenant}/me/household/documents",
                params={"status": "all", "per_page": "100"},
            ),
            api(request, "family", "GET", "/tenants/{tenant}/document-types"),
        )
        labels = {t["code"]: t["label"] for t in (types.body or {}).get("items", [])}
        on = max(today(request), date.fromisoformat(str(activity["period_from"])))
        documents = domain.required_documents(
            list(activity["required_documents"]),
            (stored.body or {}).get("items", []) if stored.ok else [],
            labels,
            child_id,
            on,
        )
    name = f"{child['first_name']} {child['last_name']}"
    return {
        "title": f"Inscription de {name} à « {activity['name']} »",
        "child": child,
        "activity": activity,
        "offer": domain.offer(activity, own),
        "documents": documents,
        "town_documents": town_documents,
        "domain": domain,
        "values": {"mode": "occasional", "weekdays": [], "every_n_weeks": "1"},
        "errors": FormErrors(),
        "upload_errors": {},
        "deposited": request.query.get("depose"),
    }


@routes.get("/inscriptions/nouvelle")
async def enrollment_form(request: web.Request) -> web.Response:
    child_id = uuid_or_404(request.query.get("enfant"))
    activity_id = uuid_or_404(request.query.get("activite"))
    context = await _form_context(request, child_id, activity_id)
    return await render(request, "enrollments_new.html.j2", context)


@routes.post("/inscriptions/nouvelle")
async def enroll(request: web.Request) -> web.Response:
    form = await request.post()
    child_id = uuid_or_404(str(form.get("enfant", "")))
    activity_id = uuid_or_404(str(form.get("activite", "")))
    context = await _form_context(request, child_id, activity_id)
    values = {
        "mode": str(form.get("mode") or ""),
        "weekdays": [str(v) for v in form.getall("weekdays", [])],
        "every_n_weeks": str(form.get("every_n_weeks") or "1"),
    }
    read = domain.enrollment_body(form, child_id, context["activity"])
    if read.errors:
        return await render(
            request,
            "enrollments_new.html.j2",
            {
                **context,
                "title": "Erreur – " + context["title"],
                "values": values,
                "errors": read.errors,
            },
            status=422,
        )
    answer = await api(request, "booking", "POST", "/tenants/{tenant}/enrollments", json=read.body)
    if answer.status == 201:
        return redirect(f"/inscriptions?envoyee={answer.body['status']}#enfant-{child_id}")
    errors = form_errors(answer.problem, domain.ENROLLMENT_FIELDS)
    missing = (answer.problem or {}).get("missing_documents")
    if missing:
        labels = {d.code: d.label for d in context["documents"]}
        errors = FormErrors(general=domain.missing_documents_message(list(missing), labels))
    status = answer.status if answer.status in (403, 404, 409, 422) else 422
    return await render(
        request,
        "enrollments_new.html.j2",
        {**context, "title": "Erreur – " + context["title"], "values": values, "errors": errors},
        status=status,
    )


@routes.post("/inscriptions/document")
async def deposit_document(request: web.Request) -> web.Response:
    """A required document deposited from the enrollment form: to the household's documents
    (about this child), then back to the form, where it shows awaiting the town's check."""
    form = await request.post()
    child_id = uuid_or_404(str(form.get("enfant", "")))
    activity_id = uuid_or_404(str(form.get("activite", "")))
    context = await _form_context(request, child_id, activity_id)
    code = str(form.get("document_type", ""))
    if code not in {d.code for d in context["documents"]}:
        raise web.HTTPNotFound()
    file = attachment(form)
    answer = None
    if file is not None:
        fields = {"document_type": code, "member_id": child_id}
        answer = await api(
            request,
            "family",
            "POST",
            "/tenants/{tenant}/me/household/documents",
            form=Multipart(fields, (file,)),
        )
        if answer.ok:
            return redirect(
                f"/inscriptions/nouvelle?enfant={child_id}&activite={activity_id}&depose={code}"
            )
    if answer is None:
        message = "Choisissez le fichier à envoyer."
    else:
        errors = form_errors(answer.problem, ("file",))
        message = errors.fields.get("file") or errors.general or "Le fichier n'a pas été envoyé."
    status = answer.status if answer and answer.status in (409, 413, 415, 422, 429) else 422
    return await render(
        request,
        "enrollments_new.html.j2",
        {**context, "title": "Erreur – " + context["title"], "upload_errors": {code: message}},
        status=status,
    )
