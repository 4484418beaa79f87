"""Back-office: the town's activities (booking's catalogue) with their occupancy at a glance;
for the town's admin, an activity's creation, edit, closing and its billing (billing's
settings and price grid); for every agent, an activity's occupancy and waiting lists."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import staff_activities as sa
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render, staff_only
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()

HOME = "/gestion/activites"
ID = "{activity_id:[0-9a-fA-F-]{36}}"
LABELS = {
    "types": sa.TYPES,
    "weekday_names": sa.WEEKDAYS,
    "booking_modes": sa.BOOKING_MODES,
    "waiting_list_modes": sa.WAITING_LIST_MODES,
    "school_time_choices": sa.SCHOOL_TIME,
    "billing_modes": sa.BILLING_MODES,
    "postpaid_sources": sa.POSTPAID_SOURCES,
    "units": sa.UNITS,
    "payments": sa.PAYMENTS,
    "charges": sa.CHARGES,
}
GLANCE_DAYS = 5  # today and the next days on the list page


def _today(request: web.Request) -> date:
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    now: datetime = request.app[CLOCK].now()
    return now.astimezone(zone).date()


def _problem(answer: Answer, known: tuple[str, ...]) -> FormErrors:
    return form_errors(answer.problem, known)


async def _activity(request: web.Request) -> dict[str, Any]:
    """The activity of the URL; the French 404 page when booking does not know it."""
    answer = await api(
        request,
        "booking",
        "GET",
        f"/tenants/{{tenant}}/activities/{request.match_info['activity_id']}",
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return dict(answer.body)


# --- the list -------------------------------------------------------------------------------


@routes.get(HOME)
async def activities_list(request: web.Request) -> web.Response:
    staff_only(request)
    today = _today(request)
    period = sa.read_period({}, today, days=GLANCE_DAYS)
    archived = request.query.get("archivees") == "1"
    listed, occupancy = await asyncio.gather(
        api(
            request,
            "booking",
            "GET",
            "/tenants/{tenant}/activities",
            params={"archived": "true"} if archived else None,
        ),
        api(request, "booking", "GET", "/tenants/{tenant}/occupancy", params=period.params),
    )
    items = sorted(
        listed.body.get("items", []) if listed.ok else [],
        key=lambda a: (a.get("closed", False), str(a["site"]).lower(), str(a["name"]).lower()),
    )
    dates, sites, cells = sa.occupancy_grid(occupancy.body.get("days", []) if occupancy.ok else [])
    return await render(
        request,
        "staff_activities.html.j2",
        {
            "title": "Activités",
            "items": items,
            "failed": not listed.ok,
            "occupancy_failed": not occupancy.ok,
            "dates": dates,
            "sites": sites,
            "cells": cells,
            "done": request.query.get("fait", ""),
            "archived": archived,
            **LABELS,
        },
    )


# --- create and edit (admin) ----------------------------------------------------------------


async def _form_page(
    request: web.Request,
    *,
    values: sa.ActivityForm,
    activity: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    title = f"Modifier l'activité « {activity['name']} »" if activity else "Nouvelle activité"
    if errors:
        title = f"Erreur – {title}"
    return await render(
        request,
        "staff_activities_form.html.j2",
        {
            "title": title,
            "activity": activity,
            "form": values,
            "errors": errors or FormErrors(),
            "done": request.query.get("fait", ""),
            **LABELS,
        },
        status=status,
    )


@routes.get(f"{HOME}/nouvelle")
async def activity_new(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    return await _form_page(
        request, values=sa.ActivityForm(values={"booking_mode": "free", "offer_hours": "24"})
    )


@routes.post(f"{HOME}/nouvelle")
async def activity_create(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    form = await request.post()
    values, read = sa.read_form(form, [str(w) for w in form.getall("weekdays", [])])
    if read.errors:
        return await _form_page(request, values=values, errors=FormErrors(read.errors), status=422)
    answer = await api(request, "booking", "POST", "/tenants/{tenant}/activities", json=read.body)
    if answer.status == 201:
        return redirect(f"{HOME}/{answer.body['id']}?fait=creee")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    return await _form_page(request, values=values, errors=_problem(answer, sa.FIELDS), status=422)


@routes.get(f"{HOME}/{ID}")
async def activity_edit(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    activity = await _activity(request)
    return await _form_page(request, values=sa.form_of(activity), activity=activity)


@routes.post(f"{HOME}/{ID}")
async def activity_update(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    activity = await _activity(request)
    form = await request.post()
    values, read = sa.read_form(
        {**form, "type": activity["type"]}, [str(w) for w in form.getall("weekdays", [])]
    )
    values.values["type"] = activity["type"]
    if read.errors:
        return await _form_page(
            request, values=values, activity=activity, errors=FormErrors(read.errors), status=422
        )
    changed = sa.changes(read.body, activity)
    if not changed:
        return redirect(f"{HOME}/{activity['id']}?fait=inchangee")
    answer = await api(
        request,
        "booking",
        "PATCH",
        f"/tenants/{{tenant}}/activities/{activity['id']}",
        json=changed,
    )
    if answer.ok:
        return redirect(f"{HOME}/{activity['id']}?fait=enregistree")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    return await _form_page(
        request,
        values=values,
        activity=activity,
        errors=_problem(answer, sa.FIELDS),
        status=422,
    )


@routes.post(f"{HOME}/{ID}/fermer")
async def activity_close(request: web.Request) -> web.Response:
    return await _close(request, "close", "fermee")


@routes.post(f"{HOME}/{ID}/rouvrir")
async def activity_reopen(request: web.Request) -> web.Response:
    return await _close(request, "reopen", "rouverte")


@routes.post(f"{HOME}/{ID}/archiver")
async def activity_archive(request: web.Request) -> web.Response:
    return await _close(request, "archive", "archivee")


@routes.post(f"{HOME}/{ID}/desarchiver")
async def activity_unarchive(request: web.Request) -> web.Response:
    return await _close(request, "unarchive", "desarchivee")


async def _close(request: web.Request, action: str, done: str) -> web.Response:
    staff_only(request, admin=True)
    activity_id = request.match_info["activity_id"]
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/activities/{activity_id}/{action}"
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return redirect(f"{HOME}/{activity_id}?fait={done}")


# --- occupancy and waiting lists (agents) ---------------------------------------------------


@routes.get(f"{HOME}/{ID}/occupation")
async def activity_occupancy(request: web.Request) -> web.Response:
    staff_only(request)
    activity = await _activity(request)
    period = sa.read_period(request.query, _today(request))
    answer = await api(
        request,
        "booking",
        "GET",
        f"/tenants/{{tenant}}/activities/{activity['id']}/days",
        params=period.params,
    )
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return await render(
        request,
        "staff_activities_occupancy.html.j2",
        {
            "title": f"Occupation – {activity['name']}",
            "activity": activity,
            "period": period,
            "days": sa.with_free(answer.body.get("days", [])),
            **LABELS,
        },
    )


@routes.get(f"{HOME}/{ID}/attente")
async def activity_waiting(request: web.Request) -> web.Response:
    staff_only(request, animator=True)
    activity = await _activity(request)
    period = sa.read_period(request.query, _today(request), days=31)
    answer = await api(
        request,
        "booking",
        "GET",
        f"/tenants/{{tenant}}/activities/{activity['id']}/waiting-list",
        params=period.params,
    )
    if answer.status == 403:
        return await render(
            request,
            "error.html.j2",
            {
                "title": "Accès refusé",
                "message": "Cette activité n'est pas sur l'un de vos sites.",
            },
            status=403,
        )
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    days = [d for d in answer.body.get("days", []) if d.get("children")]
    return await render(
        request,
        "staff_activities_waiting.html.j2",
        {
            "title": f"Liste d'attente – {activity['name']}",
            "activity": activity,
            "period": period,
            "days": days,
            **LABELS,
        },
    )


# --- billing: settings and price grid (admin) -----------------------------------------------


async def _prices_page(
    request: web.Request,
    activity: dict[str, Any],
    *,
    billing_form: dict[str, Any] | None = None,
    billing_errors: FormErrors | None = None,
    grid_form: dict[str, Any] | None = None,
    grid_rows: list[dict[str, str]] | None = None,
    grid_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    base = f"/tenants/{{tenant}}/billing/activities/{activity['id']}"
    settings, grids, regies = await asyncio.gather(
        api(request, "billing", "GET", base),
        api(request, "billing", "GET", f"{base}/price-grids"),
        api(request, "billing", "GET", "/tenants/{tenant}/regies"),
    )
    if settings.status not in (200, 404) or regies.status != 200:
        raise ApiUnavailable(f"billing: {settings.status}/{regies.status}")
    configured = settings.body if settings.ok else None
    found_grids = list(grids.body.get("grids", [])) if grids.ok else []
    grid = found_grids[-1] if found_grids else None  # the latest period's grid is edited
    title = f"Tarifs – {activity['name']}"
    if billing_errors or grid_errors:
        title = f"Erreur – {title}"
    return await render(
        request,
        "staff_activities_prices.html.j2",
        {
            "title": title,
            "activity": activity,
            "configured": configured,
            "billing": billing_form
            or configured
            or {"billing_mode": "postpaid", "unit": "day", "payment": "invoice"}
            | {c: c in ("bill_present", "bill_absent", "bill_unexpected") for c in sa.CHARGES},
            "billing_errors": billing_errors or FormErrors(),
            "regies": regies.body.get("regies", []),
            "grids": found_grids,
            "grid": grid,
            "grid_form": grid_form
            or (grid or {"valid_from": activity.get("period_from", ""), "label": ""}),
            "grid_rows": grid_rows or sa.grid_rows(grid),
            "grid_errors": grid_errors or FormErrors(),
            "done": request.query.get("fait", ""),
            **LABELS,
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}/tarifs")
async def prices(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    return await _prices_page(request, await _activity(request))


@routes.post(f"{HOME}/{ID}/tarifs/facturation")
async def billing_save(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    activity = await _activity(request)
    form = await request.post()
    read = sa.read_billing(form, activity["name"])
    shown = {**read.body}
    if read.errors:
        return await _prices_page(
            request,
            activity,
            billing_form=shown,
            billing_errors=FormErrors(read.errors),
            status=422,
        )
    answer = await api(
        request,
        "billing",
        "PUT",
        f"/tenants/{{tenant}}/billing/activities/{activity['id']}",
        json=read.body,
    )
    if answer.ok:
        return redirect(f"{HOME}/{activity['id']}/tarifs?fait=facturation")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"billing: {answer.status}")
    return await _prices_page(
        request,
        activity,
        billing_form=shown,
        billing_errors=_problem(answer, (*read.body, "regie_id")),
        status=422,
    )


@routes.post(f"{HOME}/{ID}/tarifs/grille")
async def grid_save(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    activity = await _activity(request)
    form = await request.post()
    read = sa.read_grid(form)
    grid_id = str(form.get("grid_id", "")).strip()
    shown = {
        "label": str(form.get("label", "")),
        "valid_from": str(form.get("valid_from", "")),
        "valid_to": str(form.get("valid_to", "")),
    }
    if read.errors:
        return await _prices_page(
            request,
            activity,
            grid_form=shown,
            grid_rows=read.rows,
            grid_errors=FormErrors(read.errors),
            status=422,
        )
    if grid_id:
        answer = await api(
            request, "billing", "PUT", f"/tenants/{{tenant}}/price-grids/{grid_id}", json=read.body
        )
    else:
        answer = await api(
            request,
            "billing",
            "POST",
            f"/tenants/{{tenant}}/billing/activities/{activity['id']}/price-grids",
            json=read.body,
        )
    if answer.ok:
        return redirect(f"{HOME}/{activity['id']}/tarifs?fait=grille#grille")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"billing: {answer.status}")
    errors = _problem(answer, ("label", "valid_from", "valid_to"))
    if answer.status == 404:
        errors = FormErrors(
            general="Enregistrez d'abord la facturation de l'activité (régie, unité), "
            "puis sa grille de prix."
        )
    return await _prices_page(
        request,
        activity,
        grid_form=shown,
        grid_rows=read.rows,
        grid_errors=errors,
        status=422,
    )
