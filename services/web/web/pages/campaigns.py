"""Enrollment campaigns for families: a campaign's activities enrolled in at once for one
child (each activity's outcome said plainly), and the yearly renewal: the household file
checked and attested, then each proposed renewal confirmed or declined. Both pages show the
town's documents in force for the campaign's activities, as the single enrollment form does."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from shared.keys import POOL
from web.apis import Answer, ApiUnavailable
from web.domain import campaigns as domain
from web.domain import enrollments as enrollments_domain
from web.domain import household as hh
from web.domain.problems import FormErrors, form_errors
from web.domain.town_documents import DocumentGroup
from web.pages.common import SESSION, api, redirect, render
from web.pages.enrollments import (
    activities_for,
    campaigns_listed,
    household_enrollments,
    household_of,
    today,
    uuid_or_404,
)
from web.pages.town_documents import documents_of_activities
from web.usecases import sessions

routes = web.RouteTableDef()

CAMPAIGNS = "/tenants/{tenant}/campaigns"


async def renewal_notices(request: web.Request) -> list[dict[str, Any]]:
    """The home page's notices: each open campaign in which the household has renewals
    still to answer. One call, then one per open campaign only."""
    listed = await campaigns_listed(request)
    opened = [c for c in listed or [] if c.get("state") == "open"]
    if not opened:
        return []
    answers = await asyncio.gather(
        *(api(request, "booking", "GET", f"{CAMPAIGNS}/{c['id']}/renewals") for c in opened)
    )
    notices = []
    for campaign, answer in zip(opened, answers, strict=True):
        if answer.ok and domain.pending_renewals(answer.body.get("items", [])):
            notices.append(
                {
                    "text": domain.renewal_notice(campaign),
                    "href": f"/inscriptions/renouvellement/{campaign['id']}",
                }
            )
    return notices


async def _campaign(request: web.Request) -> dict[str, Any]:
    campaign_id = uuid_or_404(request.match_info["campaign_id"])
    answer = await api(request, "booking", "GET", f"{CAMPAIGNS}/{campaign_id}")
    if answer.status in (403, 404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return dict(answer.body)


async def _document_labels(request: web.Request) -> dict[str, str]:
    types = await api(request, "family", "GET", "/tenants/{tenant}/document-types")
    return {t["code"]: t["label"] for t in (types.body or {}).get("items", [])} if types.ok else {}


# --- enrolling in several activities of a campaign at once -------------------------------------


async def _enrollment_context(request: web.Request) -> dict[str, Any]:
    campaign, household, catalogue, enrolled, labels = await asyncio.gather(
        _campaign(request),
        household_of(request),
        api(request, "booking", "GET", "/tenants/{tenant}/activities"),
        household_enrollments(request),
        _document_labels(request),
    )
    children = (household or {}).get("children") or []
    # Each child's catalogue says whether it may enroll (as /inscriptions shows it).
    catalogues = await asyncio.gather(*(activities_for(request, str(c["id"])) for c in children))
    # The campaign lists its activities without their weekdays and booking mode: the
    # catalogue has them (the rhythm's choices, as the single enrollment form offers).
    known = (
        {str(a["id"]): a for a in (catalogue.body or {}).get("items", [])} if catalogue.ok else {}
    )
    activities = [{**known.get(str(a["id"]), {}), **a} for a in campaign.get("activities") or []]
    return {
        "title": f"Inscriptions « {campaign['name']} »",
        "labels": labels,
        "campaign": campaign,
        "household": household,
        "children": children,
        "activities": activities,
        "chances": {
            str(a["id"]): domain.children_chances(a, children, catalogues, enrolled)
            for a in activities
        },
        "domain": domain,
        "enrollments": enrollments_domain,
        "values": None,
        "errors": FormErrors(),
        "closed_detail": None,
    }


async def _town_documents(request: web.Request, campaign: dict[str, Any]) -> list[DocumentGroup]:
    """The town's documents in force for the campaign's activities, as the single
    enrollment form shows its activity's (read only where the form shows)."""
    return await documents_of_activities(request, list(campaign.get("activities") or []))


@routes.get("/inscriptions/campagnes/{campaign_id}")
async def campaign_page(request: web.Request) -> web.Response:
    context = await _enrollment_context(request)
    context["values"] = domain.grouped_values(request.query, context["activities"])
    context["town_documents"] = await _town_documents(request, context["campaign"])
    return await render(request, "campaigns.html.j2", context)


@routes.post("/inscriptions/campagnes/{campaign_id}")
async def campaign_enroll(request: web.Request) -> web.Response:
    form = await request.post()
    context = await _enrollment_context(request)
    campaign, activities = context["campaign"], context["activities"]
    values = domain.grouped_values(form, activities)
    read = domain.grouped_enrollment_body(
        form, [str(c["id"]) for c in context["children"]], activities
    )
    if read.errors:
        return await _form_again(request, context, values, read.errors, 422)
    answer = await api(
        request, "booking", "POST", f"{CAMPAIGNS}/{campaign['id']}/enrollments", json=read.body
    )
    if answer.ok:
        # The answer is shown after a redirect (POST, then GET), from the session: a reload
        # shows it again instead of enrolling again. Only ids, outcomes and booking's reasons.
        kept = [
            {"activity_id": i["activity_id"], "outcome": i["outcome"], "problem": i.get("problem")}
            for i in answer.body.get("items", [])
        ]
        await sessions.remember(
            request.app[POOL],
            request[SESSION],
            campaign_outcome={
                "campaign_id": str(campaign["id"]),
                "child_id": read.body["child_id"],
                "items": kept,
            },
        )
        return redirect(f"/inscriptions/campagnes/{campaign['id']}/reponse")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    if answer.status == 409:
        # The window closed meanwhile (or was never open): said, and no form.
        context["closed_detail"] = answer.problem.get("detail")
    errors = domain.grouped_errors(answer.problem, read.body["lines"])
    return await _form_again(request, context, values, errors, answer.status)


@routes.get("/inscriptions/campagnes/{campaign_id}/reponse")
async def campaign_outcome(request: web.Request) -> web.Response:
    context = await _enrollment_context(request)
    campaign = context["campaign"]
    kept = request[SESSION].data.get("campaign_outcome") or {}
    child = next((c for c in context["children"] if str(c["id"]) == kept.get("child_id")), None)
    if kept.get("campaign_id") != str(campaign["id"]) or child is None:
        return redirect(f"/inscriptions/campagnes/{campaign['id']}")
    return await render(
        request,
        "campaigns_outcome.html.j2",
        {
            **context,
            "title": f"Inscriptions « {campaign['name']} » : la réponse",
            "child": child,
            "outcomes": domain.outcomes(kept["items"], context["activities"], context["labels"]),
        },
    )


async def _form_again(
    request: web.Request,
    context: dict[str, Any],
    values: dict[str, Any],
    errors: FormErrors,
    status: int,
) -> web.Response:
    status = status if status in (403, 404, 409, 422) else 422
    return await render(
        request,
        "campaigns.html.j2",
        {
            **context,
            "title": "Erreur – " + context["title"],
            "values": values,
            "errors": errors,
            "town_documents": await _town_documents(request, context["campaign"]),
        },
        status=status,
    )


# --- the yearly renewal --------------------------------------------------------------------------

RENEWAL = "/inscriptions/renouvellement/{campaign_id}"


async def _renewal_page(
    request: web.Request,
    *,
    check_error: str | None = None,
    renewal_errors: dict[str, dict[str, Any]] | None = None,
    status: int = 200,
) -> web.Response:
    campaign = await _campaign(request)
    base = f"{CAMPAIGNS}/{campaign['id']}"
    household, documents, renewals, checked, labels, town_documents = await asyncio.gather(
        household_of(request),
        api(
            request,
            "family",
            "GET",
            "/tenants/{tenant}/me/household/documents",
            params={"status": "all", "per_page": "100"},
        ),
        api(request, "booking", "GET", f"{base}/renewals"),
        api(request, "booking", "GET", f"{base}/file-check"),
        _document_labels(request),
        _town_documents(request, campaign),
    )
    if household is None:
        raise web.HTTPSeeOther("/foyer")  # a renewal is a household's: link it first
    items = list(renewals.body.get("items", [])) if renewals.ok else []
    names = hh.member_names(household)
    return await render(
        request,
        "campaigns_renewal.html.j2",
        {
            "title": f"Renouvellement des inscriptions {campaign['school_year']}",
            "campaign": campaign,
            "household": household,
            "documents": domain.documents_to_check(
                (documents.body or {}).get("items", []) if documents.ok else [],
                names,
                today(request),
                domain.new_period_start(campaign),
            ),
            "file_check": checked.body if checked.ok else None,
            "children": domain.renewals_by_child(household, items),
            "renewals_failed": not renewals.ok,
            "labels": labels,
            "town_documents": town_documents,
            "domain": domain,
            "check_error": check_error,
            "renewal_errors": renewal_errors or {},
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


@routes.get(RENEWAL)
async def renewal_page(request: web.Request) -> web.Response:
    return await _renewal_page(request)


@routes.post(RENEWAL + "/verification")
async def file_check(request: web.Request) -> web.Response:
    form = await request.post()
    campaign_id = uuid_or_404(request.match_info["campaign_id"])
    if form.get("confirme") != "oui":
        message = "Cochez la case pour confirmer que votre dossier est à jour."
        return await _renewal_page(request, check_error=message, status=422)
    answer = await api(request, "booking", "POST", f"{CAMPAIGNS}/{campaign_id}/file-check")
    if answer.ok:
        return redirect(f"/inscriptions/renouvellement/{campaign_id}?fait=verifie#renouvellements")
    return await _renewal_page(request, check_error=_said(answer), status=_status(answer))


@routes.post(RENEWAL + "/reponse")
async def renewal_answer(request: web.Request) -> web.Response:
    form = await request.post()
    campaign_id = uuid_or_404(request.match_info["campaign_id"])
    renewal_id = uuid_or_404(str(form.get("renouvellement", "")))
    choice = str(form.get("reponse", ""))
    if choice not in ("confirm", "decline"):
        raise web.HTTPNotFound()
    answer = await api(
        request,
        "booking",
        "POST",
        f"/tenants/{{tenant}}/renewals/{renewal_id}/answer",
        json={"answer": choice},
    )
    if answer.ok:
        done = "confirme" if choice == "confirm" else "refuse"
        return redirect(f"/inscriptions/renouvellement/{campaign_id}?fait={done}#r-{renewal_id}")
    message = _said(answer)
    missing = (answer.problem or {}).get("missing_documents")
    if missing:
        labels = await _document_labels(request)
        message = enrollments_domain.missing_documents_message(list(missing), labels)
    said = {"message": message, "documents": bool(missing)}
    return await _renewal_page(request, renewal_errors={renewal_id: said}, status=_status(answer))


def _said(answer: Answer) -> str:
    """booking's refusal in its French words (file check required, window closed, answered
    already); the generic message for anything without a problem."""
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    errors = form_errors(answer.problem, ())
    return errors.general or str(answer.problem.get("detail") or "")


def _status(answer: Answer) -> int:
    return answer.status if answer.status in (403, 404, 409, 422) else 422
