"""Reservations: the household's children and their activities, a child's month calendar in
the legend's states (guide 003), days chosen on it or by week, range or rhythm put in the
basket, a booked day cancelled, the child's private iCalendar feed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from shared.keys import POOL
from web.apis import Answer
from web.domain import calendar, rhythm
from web.domain.problems import form_errors
from web.pages.common import SESSION, api, public_origin, redirect, render
from web.pages.offers import offers_notice
from web.settings import SETTINGS
from web.state import CLOCK
from web.usecases import sessions

routes = web.RouteTableDef()

ENROLLMENT_STATUSES = {
    "approved": "Inscription acceptée",
    "pending": "Inscription en attente de validation par la mairie",
    "rejected": "Inscription refusée",
}


def today(request: web.Request) -> date:
    """Today in the town's time zone (deadlines are the town's wall-clock time)."""
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    return request.app[CLOCK].now().astimezone(zone).date()


def uuid_of(text: str | None) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise web.HTTPNotFound() from None


async def children(request: web.Request) -> list[dict[str, Any]]:
    """The household's children (none when no household is linked to the account yet)."""
    answer = await api(request, "family", "GET", "/tenants/{tenant}/me/household")
    if answer.status in (403, 404):
        return []
    if not answer.ok:
        raise web.HTTPNotFound()
    return list(answer.body.get("children") or [])


async def child_of(request: web.Request, child_id: str) -> dict[str, Any]:
    for child in await children(request):
        if str(child.get("id")) == child_id:
            return child
    raise web.HTTPNotFound()


def child_name(child: dict[str, Any]) -> str:
    return f"{child.get('first_name', '')} {child.get('last_name', '')}".strip()


async def add_to_basket(request: web.Request, line: dict[str, Any]) -> Answer:
    """Adds days to the family's open basket (its id kept in the session); a new basket when
    there is none, or the kept one is gone or already validated."""
    session = request[SESSION]
    kept = session.data.get("basket")
    if kept:
        answer = await api(
            request, "booking", "POST", f"/tenants/{{tenant}}/baskets/{kept}/lines", json=line
        )
        if answer.status not in (404, 409):
            return answer
    answer = await api(
        request, "booking", "POST", "/tenants/{tenant}/baskets", json={"lines": [line]}
    )
    if answer.ok:
        await sessions.remember(request.app[POOL], session, basket=str(answer.body["id"]))
    return answer


def api_errors(answer: Answer) -> tuple[dict[str, str], str | None]:
    """A refused request's problem: messages by the form's field, and the general one."""
    problem = dict(answer.problem or {})
    problem["errors"] = [
        {**e, "field": rhythm.api_field(str(e.get("field", "")))}
        for e in problem.get("errors") or []
    ]
    found = form_errors(problem, rhythm.FIELDS)
    return found.fields, found.general


# --- the children and their activities -----------------------------------------------------


@routes.get("/reservations")
async def reservations(request: web.Request) -> web.Response:
    kids, enrollments, activities, offer_notice = await asyncio.gather(
        children(request),
        api(request, "booking", "GET", "/tenants/{tenant}/enrollments"),
        api(request, "booking", "GET", "/tenants/{tenant}/activities"),
        offers_notice(request),
    )
    names = {a["id"]: a["name"] for a in (activities.body or {}).get("items", [])}
    by_child: dict[str, list[dict[str, Any]]] = {}
    for e in (enrollments.body or {}).get("items", []) if enrollments.ok else []:
        by_child.setdefault(str(e["child_id"]), []).append(
            {
                "name": names.get(e["activity_id"], "Activité"),
                "status": ENROLLMENT_STATUSES.get(e["status"], e["status"]),
                "bookable": e["status"] != "rejected",
            }
        )
    listed = [
        {
            "id": c["id"],
            "name": child_name(c),
            "enrollments": by_child.get(str(c["id"]), []),
            "may_book": any(x["bookable"] for x in by_child.get(str(c["id"]), [])),
        }
        for c in kids
    ]
    return await render(
        request,
        "reservations.html.j2",
        {
            "title": "Réservations",
            "children": listed,
            "basket": request[SESSION].data.get("basket"),
            "offer_notice": offer_notice,
        },
    )


# --- a child's month -----------------------------------------------------------------------


async def calendar_page(
    request: web.Request,
    child_id: str,
    *,
    month: date | None = None,
    activity_id: str | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    form: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    day = today(request)
    month = month or calendar.parse_month(request.query.get("mois"), day)
    child, answer = await asyncio.gather(
        child_of(request, child_id),
        api(
            request,
            "booking",
            "GET",
            f"/tenants/{{tenant}}/children/{child_id}/calendar",
            params={"month": calendar.month_key(month)},
        ),
    )
    if answer.status in (403, 404):
        raise web.HTTPNotFound()
    activities = answer.body.get("activities", []) if answer.ok else []
    chosen = activity_id or request.query.get("activite")
    shown = next((a for a in activities if str(a["activity_id"]) == chosen), None)
    shown = shown or (activities[0] if activities else None)
    weeks = calendar.calendar_weeks(month, shown["days"]) if shown else []
    days = [d for week in weeks for d in week if d.in_month]
    session = request[SESSION]
    feeds = dict(session.data.get("ical") or {})
    feed = feeds.pop(child_id, None)
    if feed is not None:  # the feed's address is shown once, then forgotten
        await sessions.remember(request.app[POOL], session, ical=feeds or None)
    name = child_name(child)
    return await render(
        request,
        "reservations_calendar.html.j2",
        {
            "title": f"Calendrier de {name} – {calendar.month_name(month)}"
            + (f" – {shown['name']}" if shown and len(activities) > 1 else ""),
            "child": child,
            "child_name": name,
            "month": month,
            "month_key": calendar.month_key(month),
            "month_name": calendar.month_name(month),
            "previous": calendar.previous_month(month),
            "next": calendar.next_month(month),
            "month_key_of": calendar.month_key,
            "month_name_of": calendar.month_name,
            "activities": activities,
            "shown": shown,
            "weeks": weeks,
            "legend": calendar.LEGEND,
            "past_deadline": calendar.NOT_OFFERED["deadline_passed"],
            "fair_legend": calendar.fair_legend(days),
            "booked": [
                d
                for d in days
                if d.booking_id
                and d.legend
                and d.legend.state
                in ("booked_cancellable", "booked_locked", "waiting_list", "offered")
            ],
            "choosable": any(d.choosable for d in days),
            "weekdays": rhythm.WEEKDAYS,
            "frequencies": rhythm.FREQUENCIES,
            "errors": errors or {},
            "general": general,
            "form": form or {},
            "feed": feed,
            "today": day,
            "basket": session.data.get("basket"),
        },
        status=status,
    )


@routes.get("/reservations/{child_id}")
async def child_calendar(request: web.Request) -> web.Response:
    return await calendar_page(request, uuid_of(request.match_info["child_id"]))


def _back(child_id: str, month: str, activity_id: str, anchor: str = "") -> str:
    """The calendar's address, with the month and activity the form came from (kept only
    when they are what they should be: they go into a Location header)."""
    month = month if calendar.is_month(month) else ""
    try:
        activity_id = str(uuid.UUID(activity_id)) if activity_id else ""
    except ValueError:
        activity_id = ""
    query = "&".join(f"{k}={v}" for k, v in (("mois", month), ("activite", activity_id)) if v)
    return f"/reservations/{child_id}" + (f"?{query}" if query else "") + anchor


@routes.post("/reservations/{child_id}/jours")
async def add_days(request: web.Request) -> web.Response:
    """The days ticked on the calendar into the basket."""
    child_id = uuid_of(request.match_info["child_id"])
    form = await request.post()
    activity_id = uuid_of(str(form.get("activite", "")))
    month = calendar.parse_month(str(form.get("mois", "")), today(request))
    days, wrong = rhythm.chosen_days([str(v) for v in form.getall("jour", [])])
    if not days or wrong:
        return await calendar_page(
            request,
            child_id,
            month=month,
            activity_id=activity_id,
            errors={"jours-choisis": "Cochez au moins un jour du calendrier."},
            status=422,
        )
    line = {
        "child_id": child_id,
        "activity_id": activity_id,
        "dates": [d.isoformat() for d in days],
    }
    answer = await add_to_basket(request, line)
    if not answer.ok:
        fields, general = api_errors(answer)
        return await calendar_page(
            request,
            child_id,
            month=month,
            activity_id=activity_id,
            errors={"jours-choisis": general or " ".join(fields.values())},
            status=answer.status,
        )
    return redirect("/panier")


@routes.post("/reservations/{child_id}/rythme")
async def add_rhythm(request: web.Request) -> web.Response:
    """A day, a week, a range or a rhythm into the basket."""
    child_id = uuid_of(request.match_info["child_id"])
    form = await request.post()
    activity_id = uuid_of(str(form.get("activite", "")))
    month = calendar.parse_month(str(form.get("mois", "")), today(request))
    values = {k: str(form.get(k, "")) for k in ("mode", "date", "du", "au", "frequence")}
    ticked = [str(v) for v in form.getall("jours", [])]
    asked = rhythm.read_request(
        values, ticked, child_id=child_id, activity_id=activity_id, today=today(request)
    )
    shown = {**values, "jours": ticked}
    if asked.line is None:
        return await calendar_page(
            request,
            child_id,
            month=month,
            activity_id=activity_id,
            errors=asked.errors,
            form=shown,
            status=422,
        )
    answer = await add_to_basket(request, asked.line)
    if not answer.ok:
        fields, general = api_errors(answer)
        return await calendar_page(
            request,
            child_id,
            month=month,
            activity_id=activity_id,
            errors=fields,
            general=general,
            form=shown,
            status=answer.status,
        )
    return redirect("/panier")


# --- cancelling a booked day ---------------------------------------------------------------


def _cancel_context(request: web.Request, child: dict[str, Any], booking_id: str) -> dict[str, Any]:
    query = request.query
    return {
        "title": "Annuler une réservation",
        "child": child,
        "child_name": child_name(child),
        "booking_id": booking_id,
        "day": query.get("date", ""),
        "activity_name": query.get("nom", ""),
        "month_key": query.get("mois", ""),
        "activity_id": query.get("activite", ""),
    }


@routes.get("/reservations/{child_id}/annuler/{booking_id}")
async def cancel_confirm(request: web.Request) -> web.Response:
    child = await child_of(request, uuid_of(request.match_info["child_id"]))
    booking_id = uuid_of(request.match_info["booking_id"])
    return await render(
        request, "reservations_cancel.html.j2", _cancel_context(request, child, booking_id)
    )


@routes.post("/reservations/{child_id}/annuler/{booking_id}")
async def cancel(request: web.Request) -> web.Response:
    child_id = uuid_of(request.match_info["child_id"])
    booking_id = uuid_of(request.match_info["booking_id"])
    form = await request.post()
    month, activity_id = str(form.get("mois", "")), str(form.get("activite", ""))
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/bookings/{booking_id}/cancel", json={}
    )
    if answer.ok:
        back = _back(child_id, month, activity_id)
        sep = "&" if "?" in back else "?"
        return redirect(f"{back}{sep}annule={answer.body.get('date', '')}#reservations")
    if answer.status == 404:
        raise web.HTTPNotFound()
    child = await child_of(request, child_id)
    context = _cancel_context(request, child, booking_id)
    context.update(
        {
            "day": str(form.get("date", "")),
            "activity_name": str(form.get("nom", "")),
            "month_key": month,
            "activity_id": activity_id,
            "error": form_errors(answer.problem, ()).general,
            "title": "Annulation impossible",
        }
    )
    return await render(request, "reservations_cancel.html.j2", context, status=answer.status)


# --- the child's iCalendar feed -----------------------------------------------------------


@routes.post("/reservations/{child_id}/agenda")
async def create_feed(request: web.Request) -> web.Response:
    child_id = uuid_of(request.match_info["child_id"])
    form = await request.post()
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/children/{child_id}/calendar-token"
    )
    if answer.status in (403, 404):
        raise web.HTTPNotFound()
    if not answer.ok:
        return await calendar_page(
            request, child_id, general=form_errors(answer.problem, ()).general, status=409
        )
    session = request[SESSION]
    feeds = dict(session.data.get("ical") or {})
    feeds[child_id] = f"{public_origin(request)}/api/booking{answer.body['url']}"
    await sessions.remember(request.app[POOL], session, ical=feeds)
    return redirect(
        _back(child_id, str(form.get("mois", "")), str(form.get("activite", "")), "#agenda")
    )


@routes.post("/reservations/{child_id}/agenda/revoquer")
async def revoke_feed(request: web.Request) -> web.Response:
    child_id = uuid_of(request.match_info["child_id"])
    form = await request.post()
    answer = await api(
        request, "booking", "DELETE", f"/tenants/{{tenant}}/children/{child_id}/calendar-token"
    )
    if answer.status == 403:
        raise web.HTTPNotFound()
    # 404: there was no feed to revoke; either way none works now.
    back = _back(child_id, str(form.get("mois", "")), str(form.get("activite", "")))
    sep = "&" if "?" in back else "?"
    done = "revoque" if answer.ok else "aucun"
    return redirect(f"{back}{sep}agenda={done}#agenda")
