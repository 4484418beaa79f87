"""Back-office: close one day of an activity (admin), e.g. a strike or a closed school. The
day leaves the calendar; booking cancels its bookings without charge and notify emails each
family the reason typed here (issue 16). Closing a day already closed changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import staff_activities as sa
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render, staff_only
from web.pages.staff_activities import HOME, ID, _activity, _today

routes = web.RouteTableDef()

FIELDS = ("date", "reason")
MAX_REASON = 500


def read_form(form: dict[str, str]) -> tuple[date | None, str, dict[str, str]]:
    """The day and the reason typed, with the French error of each field missing or wrong."""
    errors: dict[str, str] = {}
    day = None
    text = form.get("date", "").strip()
    if not text:
        errors["date"] = "Indiquez le jour à fermer (jj/mm/aaaa)."
    else:
        try:
            day = sa.parse_day(text)
        except ValueError:
            errors["date"] = "Le jour doit être une date au format jj/mm/aaaa."
    reason = form.get("reason", "").strip()
    if not reason:
        errors["reason"] = "Indiquez le motif : il est envoyé aux familles."
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Le motif ne doit pas dépasser {MAX_REASON} caractères."
    return day, reason, errors


def outcome(query: Any) -> dict[str, Any] | None:
    """What the last closing did, from the address it redirected to (None: nothing, or an
    address not written by it)."""
    try:
        day = date.fromisoformat(str(query.get("ferme", "")))
        cancelled = int(query.get("annules", "0"))
        waiting = int(query.get("attente", "0"))
    except ValueError:
        return None
    return {
        "date": day,
        "cancelled": max(cancelled, 0),
        "waiting": max(waiting, 0),
        "already": query.get("deja") == "1",
    }


async def _page(
    request: web.Request,
    activity: dict[str, Any],
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "staff_day_closing.html.j2",
        {
            "title": f"Fermer un jour – {activity['name']}",
            "activity": activity,
            "form": form or {},
            "errors": errors or FormErrors(),
            "today": _today(request),
            "done": outcome(request.query),
            "closed_dates": sorted(
                d for d in activity.get("closed_dates") or [] if str(d) >= str(_today(request))
            ),
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}/fermer-un-jour")
async def day_closing_form(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    return await _page(request, await _activity(request))


@routes.post(f"{HOME}/{ID}/fermer-un-jour")
async def day_closing(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    activity = await _activity(request)
    posted = await request.post()
    form = {name: str(posted.get(name, "")) for name in FIELDS}
    day, reason, errors = read_form(form)
    if errors or day is None:
        return await _page(request, activity, form=form, errors=FormErrors(errors), status=422)
    answer = await api(
        request,
        "booking",
        "POST",
        f"/tenants/{{tenant}}/activities/{activity['id']}/days/{day.isoformat()}/close",
        json={"reason": reason},
    )
    if answer.ok:
        body = answer.body
        return redirect(
            f"{HOME}/{activity['id']}/fermer-un-jour?ferme={day.isoformat()}"
            f"&annules={int(body.get('cancelled', 0))}"
            f"&attente={int(body.get('waiting_removed', 0))}"
            f"&deja={'1' if body.get('already_closed') else '0'}"
        )
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    if answer.status in (404, 422) and not answer.problem.get("errors"):
        # the day (no activity that day, or a past day): booking's French detail beside it
        found = FormErrors({"date": str(answer.problem.get("detail") or "")})
    else:
        found = form_errors(answer.problem, FIELDS)
    return await _page(request, activity, form=form, errors=found, status=422)
