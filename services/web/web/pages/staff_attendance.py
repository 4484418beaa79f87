"""Back-office: the animator's attendance sheet (a day, a site, an activity → the booked
children with their allergies and diet, one tap present or absent each, the totals) and the
kitchen's meal counts per diet for a day, printable."""

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


async def _health(request: web.Request, child: dict[str, Any]) -> dict[str, Any] | None:
    """The child's health record (allergies, PAI); staff's read is logged in family and
    shown to the family, which is the point: the animator needs it on the day."""
    answer = await api(
        request,
        "family",
        "GET",
        f"/tenants/{{tenant}}/households/{child['household_id']}/children/"
        f"{child['child_id']}/health",
    )
    return answer.body if answer.ok and isinstance(answer.body, dict) else None


@routes.get("/gestion/presences")
async def attendance_sheet(request: web.Request) -> web.Response:
    staff_only(request)
    day = domain.parse_day(request.query.get("jour"), today(request))
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    activities = answer.body.get("items", []) if answer.ok else []
    sites = domain.sites_of(activities)
    site = request.query.get("site") or (sites[0] if len(sites) == 1 else "")
    running = domain.activities_on(activities, site or None, day)
    chosen = request.query.get("activite") or (str(running[0]["id"]) if len(running) == 1 else "")
    activity = next((a for a in activities if str(a["id"]) == chosen), None)
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
    }
    if activity is not None:
        found = await api(
            request,
            "booking",
            "GET",
            f"/tenants/{{tenant}}/activities/{activity['id']}/days/{day.isoformat()}/attendance",
        )
        if found.ok:
            roll = found.body
            children = roll.get("children") or []
            records = await asyncio.gather(*(_health(request, c) for c in children))
            health = {str(c["child_id"]): r for c, r in zip(children, records, strict=True)}
            lines = domain.roll_lines(roll, health)
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
    staff_only(request)
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
    refusal = {409: "trop-tot", 422: "non-reserve"}.get(answer.status, "erreur")
    target = sheet_url(day, site, activity_id, enfant=child, refus=refusal)
    return redirect(f"{target}#enfant-{child}")


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
