"""Back-office: the animator's attendance sheet (a day, a site, an activity → the booked
children with their allergies and diet, one tap present or absent each, the totals; a child
who came without a booking found by name and added present) and the kitchen's meal counts per
diet for a day, printable. Staff see every site; a site animator only their own sites'
sheets (booking answers only those), never the kitchen."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from web.domain import staff_attendance as domain
from web.domain.french import long_date
from web.pages.common import api, redirect, render, staff_only
from web.pages.enrollments import today, uuid_or_404
from web.usecases import sessions

routes = web.RouteTableDef()

# Why a tap was not recorded, shown in the child's row (the code travels in the redirect).
REFUSALS = {
    "trop-tot": "Ce jour n'a pas encore commencé : le pointage se fait le jour même.",
    "non-reserve": "Cet enfant n'est pas inscrit ce jour-là : le pointage n'est pas enregistré.",
    "erreur": "Le pointage n'a pas été enregistré ; merci de réessayer.",
}


def sheet_url(day: date, site: str, activity_id: str, **extra: str) -> str:
    query = {"jour": day.isoformat(), "site": site, "activite": activity_id, **extra}
    return f"/gestion/presences?{urlencode(query)}"


_OTHER_SITE = {
    "title": "Accès réservé",
    "message": "Cette feuille de présence concerne un site dont vous n'êtes pas l'animateur. "
    "Revenez à la feuille de présence pour choisir l'un de vos sites.",
}


async def _other_site(request: web.Request) -> web.Response:
    return await render(request, "error.html.j2", _OTHER_SITE, status=403)


async def _health(
    request: web.Request, child: dict[str, Any]
) -> tuple[dict[str, Any] | None, bool]:
    """The child's care needs (allergies, PAI: only that part of the health record) and
    whether they could be read (404: none recorded); the read is logged in family and shown
    to the family, which is the point: the animator needs them on the day."""
    answer = await api(
        request,
        "family",
        "GET",
        f"/tenants/{{tenant}}/households/{child['household_id']}/children/"
        f"{child['child_id']}/care-needs",
    )
    if answer.ok and isinstance(answer.body, dict):
        return answer.body, True
    return None, answer.status == 404


@routes.get("/gestion/presences")
async def attendance_sheet(request: web.Request) -> web.Response:
    session = staff_only(request, animator=True)
    day = domain.parse_day(request.query.get("jour"), today(request))
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/attendance/activities")
    activities = answer.body.get("items", []) if answer.ok else []
    sites = domain.sites_of(activities)
    site = request.query.get("site") or (sites[0] if len(sites) == 1 else "")
    running = domain.activities_on(activities, site or None, day)
    chosen = request.query.get("activite") or (str(running[0]["id"]) if len(running) == 1 else "")
    activity = next((a for a in activities if str(a["id"]) == chosen), None)
    if chosen and activity is None and answer.ok and sessions.is_animator(session):
        return await _other_site(request)
    search = request.query.get("recherche", "").strip()[:100]
    context: dict[str, Any] = {
        "title": "Feuille de présence",
        "day": day,
        "sites": sites,
        "site": site,
        "running": running,
        "activity": activity,
        "roll": None,
        "lines": [],
        "totals": None,
        "marks": domain.MARKS,
        "refused": REFUSALS.get(request.query.get("refus", "")),
        "refused_child": request.query.get("enfant"),
        "search": search,
        "matches": [],
        "search_failed": False,
        "can_add": day <= today(request),
        "added": request.query.get("ajoute"),
        "add_refused": domain.UNEXPECTED_REFUSALS.get(request.query.get("refus-ajout", "")),
    }
    if activity is not None:
        found = await api(
            request,
            "booking",
            "GET",
            f"/tenants/{{tenant}}/activities/{activity['id']}/days/{day.isoformat()}/attendance",
        )
        if found.status == 403:
            return await _other_site(request)
        if found.ok:
            roll = found.body
            children = roll.get("children") or []
            records = await asyncio.gather(*(_health(request, c) for c in children))
            read = list(zip(children, records, strict=True))
            health = {str(c["child_id"]): record for c, (record, _) in read}
            unreadable = frozenset(str(c["child_id"]) for c, (_, ok) in read if not ok)
            lines = domain.roll_lines(roll, health, unreadable)
            if search:
                result = await api(
                    request, "booking", "GET", "/tenants/{tenant}/children", params={"q": search}
                )
                context.update(
                    matches=domain.matches(result.body if result.ok else {}, lines),
                    search_failed=not result.ok,
                )
            context.update(
                roll=roll,
                lines=lines,
                totals=domain.totals(lines),
                title=f"Présences – {activity['name']} – {long_date(day)}",
            )
    return await render(request, "staff_attendance.html.j2", context)


@routes.post("/gestion/presences/pointage")
async def mark(request: web.Request) -> web.Response:
    """One tap: the child present or absent; back to the sheet at the child's row (htmx
    follows the redirect and swaps that row and the totals in place)."""
    staff_only(request, animator=True)
    form = await request.post()
    activity_id = uuid_or_404(str(form.get("activite", "")))
    day = domain.parse_day(str(form.get("jour", "")), today(request))
    site = str(form.get("site", ""))
    body, _ = domain.marks_body(form)
    child = str(form.get("enfant", ""))
    if body is None:
        return redirect(sheet_url(day, site, activity_id, enfant=child, refus="erreur"))
    answer = await api(
        request,
        "booking",
        "POST",
        f"/tenants/{{tenant}}/activities/{activity_id}/days/{day.isoformat()}/attendance",
        json=body,
    )
    if answer.ok:
        return redirect(sheet_url(day, site, activity_id) + f"#enfant-{child}")
    if answer.status == 403:
        return await _other_site(request)
    refusal = {409: "trop-tot", 422: "non-reserve"}.get(answer.status, "erreur")
    target = sheet_url(day, site, activity_id, enfant=child, refus=refusal)
    return redirect(f"{target}#enfant-{child}")


@routes.post("/gestion/presences/sans-reservation")
async def add_unexpected(request: web.Request) -> web.Response:
    """A child who came without a booking, chosen among the search's matches: booked and
    marked present by booking; back to the sheet at the child's row, flagged."""
    staff_only(request, animator=True)
    form = await request.post()
    activity_id = uuid_or_404(str(form.get("activite", "")))
    day = domain.parse_day(str(form.get("jour", "")), today(request))
    site = str(form.get("site", ""))
    child = uuid_or_404(str(form.get("enfant", "")))
    answer = await api(
        request,
        "booking",
        "POST",
        f"/tenants/{{tenant}}/activities/{activity_id}/days/{day.isoformat()}"
        "/attendance/unexpected",
        json={"child_id": child},
    )
    if answer.ok:
        return redirect(sheet_url(day, site, activity_id, ajoute=child) + f"#enfant-{child}")
    if answer.status == 403:
        return await _other_site(request)
    kind = str(answer.body.get("type", "")) if isinstance(answer.body, dict) else ""
    refusal = {409: "trop-tot", 422: "inconnu"}.get(answer.status, "erreur")
    if kind.endswith("/already-booked-that-day"):
        refusal = "deja-inscrit"
    target = sheet_url(day, site, activity_id, **{"refus-ajout": refusal})
    return redirect(f"{target}#sans-reservation")


@routes.get("/gestion/presences/cuisine")
async def kitchen(request: web.Request) -> web.Response:
    staff_only(request)
    day = domain.parse_day(request.query.get("jour"), today(request))
    site = request.query.get("site", "")
    params = {"from": day.isoformat(), "to": day.isoformat()}
    if site:
        params["site"] = site
    meals, activities = await asyncio.gather(
        api(request, "booking", "GET", "/tenants/{tenant}/meals", params=params),
        api(request, "booking", "GET", "/tenants/{tenant}/activities"),
    )
    listed = activities.body.get("items", []) if activities.ok else []
    return await render(
        request,
        "staff_attendance_kitchen.html.j2",
        {
            "title": f"Repas par régime – {long_date(day)}",
            "day": day,
            "site": site,
            "sites": domain.sites_of(listed),
            "kitchen": domain.kitchen(meals.body if meals.ok else {}, day),
        },
    )
