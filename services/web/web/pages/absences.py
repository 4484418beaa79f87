"""Absences: the family's declared absences and the town's decision; declaring one for a
booked day (chosen from the child's calendar), with a reason, a note and, when the family
has deposited it, a supporting document."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.domain import enrollments as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render
from web.pages.enrollments import child_in, household_of, today, uuid_or_404

routes = web.RouteTableDef()


async def _absences(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/absences")
    return answer.body.get("items", []) if answer.ok else []


async def _activity_names(request: web.Request) -> dict[str, str]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    items = answer.body.get("items", []) if answer.ok else []
    return {str(a["id"]): f"{a['name']} ({a['site']})" for a in items}


@routes.get("/absences")
async def absences_page(request: web.Request) -> web.Response:
    household = await household_of(request)
    context: dict[str, Any] = {"title": "Mes absences", "household": household, "domain": domain}
    if household is None:
        return await render(request, "absences.html.j2", {**context, "absences": []})
    absences, names = await asyncio.gather(_absences(request), _activity_names(request))
    children = {str(c["id"]): c for c in household.get("children") or []}
    absences.sort(key=lambda a: (str(a["date"]), str(a.get("requested_at"))), reverse=True)
    shown = [
        {
            **a,
            "child": children.get(str(a["child_id"])),
            "activity": names.get(str(a["activity_id"]), ""),
        }
        for a in absences
    ]
    return await render(
        request,
        "absences.html.j2",
        {
            **context,
            "absences": shown,
            "declared": request.query.get("declaree") == "1",
        },
    )


async def _form_context(request: web.Request, child_id: str | None, month: str | None) -> Any:
    household = await household_of(request)
    children = (household or {}).get("children") or []
    if child_id is None and len(children) == 1:
        child_id = str(children[0]["id"])  # one child: nothing to choose
    first = domain.month_of(month, today(request))
    context: dict[str, Any] = {
        "title": "Déclarer une absence",
        "household": household,
        "children": children,
        "child": None,
        "month": first,
        "previous": domain.shift_month(first, -1),
        "next": domain.shift_month(first, 1),
        "days": [],
        "stored": [],
        "domain": domain,
        "values": {},
        "errors": FormErrors(),
    }
    if child_id is None:
        return context
    child = child_in(household, child_id)
    calendar, absences, stored = await asyncio.gather(
        api(
            request,
            "booking",
            "GET",
            f"/tenants/{{tenant}}/children/{child_id}/calendar",
            params={"month": f"{first:%Y-%m}"},
        ),
        _absences(request),
        api(
            request,
            "family",
            "GET",
            "/tenants/{tenant}/me/household/documents",
            params={"status": "all", "per_page": "100"},
        ),
    )
    days = domain.booked_days(calendar.body if calendar.ok else {}, absences)
    documents = (stored.body or {}).get("items", []) if stored.ok else []
    return {
        **context,
        "child": child,
        "days": days,
        "stored": [d for d in documents if d.get("status") != "rejected"],
    }


@routes.get("/absences/nouvelle")
async def absence_form(request: web.Request) -> web.Response:
    given = request.query.get("enfant")
    child_id = uuid_or_404(given) if given else None
    context = await _form_context(request, child_id, request.query.get("mois"))
    return await render(request, "absences_new.html.j2", context)


@routes.post("/absences/nouvelle")
async def declare_absence(request: web.Request) -> web.Response:
    form = await request.post()
    child_id = uuid_or_404(str(form.get("enfant", "")))
    context = await _form_context(request, child_id, str(form.get("mois", "")))
    values = {k: str(form.get(k) or "") for k in domain.ABSENCE_FIELDS}
    read = domain.absence_body(form, {d.booking_id for d in context["days"]})
    if read.errors:
        return await render(
            request,
            "absences_new.html.j2",
            {
                **context,
                "title": "Erreur – " + context["title"],
                "values": values,
                "errors": read.errors,
            },
            status=422,
        )
    body = dict(read.body)
    booking_id = body.pop("booking_id")
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/bookings/{booking_id}/absence", json=body
    )
    if answer.status == 201:
        return redirect("/absences?declaree=1")
    errors = form_errors(answer.problem, domain.ABSENCE_FIELDS)
    status = answer.status if answer.status in (403, 404, 409, 422) else 422
    return await render(
        request,
        "absences_new.html.j2",
        {**context, "title": "Erreur – " + context["title"], "values": values, "errors": errors},
        status=status,
    )
