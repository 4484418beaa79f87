"""Back-office: the fair opening windows (booking's, issue 18): listed with their status and
requests, created and edited while scheduled (the priority rules in their order); one
window with its published seed hash, its requests (paged) and their verified criteria, the
draw launched once closed, its results and their CSV export. Agents and admins; not site
animators."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import staff_windows as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, fetched_file, file_response, redirect, render, staff_only
from web.settings import SETTINGS

routes = web.RouteTableDef()

HOME = "/gestion/fenetres"
ID = "{window_id:[0-9a-fA-F-]{36}}"
WINDOWS = "/tenants/{tenant}/windows"
PAGE_SIZE = 50  # requests per page of a window


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[SETTINGS].timezone)


def _uuid(request: web.Request, name: str) -> str:
    try:
        return str(uuid.UUID(request.match_info[name]))
    except ValueError:
        raise web.HTTPNotFound() from None


def _unavailable(answer: Answer) -> ApiUnavailable:
    return ApiUnavailable(f"booking: {answer.status}")


async def _window(request: web.Request) -> dict[str, Any]:
    """The window of the URL; the French 404 page when booking does not know it."""
    answer = await api(request, "booking", "GET", f"{WINDOWS}/{_uuid(request, 'window_id')}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise _unavailable(answer)
    return dict(answer.body)


async def _activities(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    return sorted(
        domain.items_of(answer.body) if answer.ok else [],
        key=lambda a: (str(a.get("site", "")).lower(), str(a["name"]).lower()),
    )


def _status(answer: Answer) -> int:
    return answer.status if answer.status in (403, 404, 409, 422) else 422


def _refused(answer: Answer) -> FormErrors:
    """booking's refusal by field (a rule's error by the rules); the rest for the form."""
    if answer.status >= 500 or answer.problem is None:
        raise _unavailable(answer)
    return form_errors(answer.problem, domain.FIELDS)


# --- the list and the creation -----------------------------------------------------------------


async def _list_page(
    request: web.Request,
    *,
    values: domain.WindowForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    listed, activities = await asyncio.gather(
        api(request, "booking", "GET", WINDOWS), _activities(request)
    )
    items = domain.items_of(listed.body) if listed.ok else []
    items.sort(key=lambda w: str(w.get("opens_at") or ""), reverse=True)  # the newest first
    title = "Fenêtres d'inscription"
    return await render(
        request,
        "staff_windows.html.j2",
        {
            "title": f"Erreur – {title}" if errors else title,
            "items": items,
            "failed": not listed.ok,
            "activities": activities,
            "form": values or domain.WindowForm(),
            "errors": errors or FormErrors(),
            "window": None,
            "domain": domain,
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


@routes.get(HOME)
async def windows_list(request: web.Request) -> web.Response:
    staff_only(request)
    return await _list_page(request)


@routes.post(HOME)
async def window_create(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    values, read = domain.read_window_form(form, _zone(request))
    if read.errors:
        return await _list_page(request, values=values, errors=read.errors, status=422)
    answer = await api(request, "booking", "POST", WINDOWS, json=read.body)
    if answer.status == 201:
        return redirect(f"{HOME}/{answer.body['id']}?fait=creee")
    return await _list_page(request, values=values, errors=_refused(answer), status=_status(answer))


# --- the edit (while scheduled) ----------------------------------------------------------------


async def _edit_page(
    request: web.Request,
    window: dict[str, Any],
    *,
    values: domain.WindowForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    title = f"Modifier la fenêtre « {window['name']} »"
    return await render(
        request,
        "staff_windows_form.html.j2",
        {
            "title": f"Erreur – {title}" if errors else title,
            "window": window,
            "activities": await _activities(request),
            "form": values or domain.window_form_of(window, _zone(request)),
            "errors": errors or FormErrors(),
            "domain": domain,
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}/modifier")
async def window_edit(request: web.Request) -> web.Response:
    staff_only(request)
    return await _edit_page(request, await _window(request))


@routes.post(f"{HOME}/{ID}/modifier")
async def window_update(request: web.Request) -> web.Response:
    staff_only(request)
    window = await _window(request)
    form = await request.post()
    values, read = domain.read_window_form(form, _zone(request))
    if window.get("status") != "scheduled":
        # booking would refuse it too (409): said before anything is sent
        errors = FormErrors(general="La fenêtre est déjà ouverte : elle ne peut plus changer.")
        return await _edit_page(request, window, values=values, errors=errors, status=409)
    if read.errors:
        return await _edit_page(request, window, values=values, errors=read.errors, status=422)
    changed = domain.window_changes(read.body, window)
    if not changed:
        return redirect(f"{HOME}/{window['id']}?fait=inchangee")
    answer = await api(request, "booking", "PATCH", f"{WINDOWS}/{window['id']}", json=changed)
    if answer.ok:
        return redirect(f"{HOME}/{window['id']}?fait=enregistree")
    return await _edit_page(
        request, window, values=values, errors=_refused(answer), status=_status(answer)
    )


# --- one window: its requests, the verification, the draw --------------------------------------


def _page_number(request: web.Request) -> int:
    given = request.query.get("page", "1")
    return int(given) if given.isdigit() and int(given) >= 1 else 1


async def _window_page(
    request: web.Request,
    *,
    failure: str | None = None,
    failed_request: str | None = None,
    status: int = 200,
) -> web.Response:
    window = await _window(request)
    page = _page_number(request)
    base = f"{WINDOWS}/{window['id']}"
    params = {"limit": str(PAGE_SIZE + 1), "offset": str((page - 1) * PAGE_SIZE)}
    calls = [api(request, "booking", "GET", f"{base}/requests", params=params)]
    allocated = window.get("status") == "allocated"
    if allocated:
        calls.append(api(request, "booking", "GET", f"{base}/draw"))
    requests_answer, *rest = await asyncio.gather(*calls)
    found = domain.items_of(requests_answer.body) if requests_answer.ok else []
    draw = dict(rest[0].body) if rest and rest[0].ok and isinstance(rest[0].body, dict) else None
    rules = [dict(r) for r in window.get("priority_rules") or []]
    # asked one more than a page: there is a next page when it came
    return await render(
        request,
        "staff_windows_window.html.j2",
        {
            "title": f"Fenêtre « {window['name']} »",
            "window": window,
            "rules": rules,
            # criteria the town checks against the proofs (the sibling one booking computes)
            "verifiable": [r for r in rules if r.get("code") != "sibling_enrolled"],
            "requests": found[:PAGE_SIZE],
            "requests_failed": not requests_answer.ok,
            "page": page,
            "next_page": len(found) > PAGE_SIZE,
            "draw": draw,
            "draw_entries": sorted(
                (draw or {}).get("entries") or [],
                key=lambda e: (e.get("rank") is None, e.get("rank") or 0),
            ),
            "draw_failed": allocated and draw is None,
            "failure": failure,
            "failed_request": failed_request,
            "domain": domain,
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}")
async def window_page(request: web.Request) -> web.Response:
    staff_only(request)
    return await _window_page(request)


@routes.post(f"{HOME}/{ID}/demandes/{{request_id:[0-9a-fA-F-]{{36}}}}/criteres")
async def verify_criteria(request: web.Request) -> web.Response:
    staff_only(request)
    window = await _window(request)
    request_id = _uuid(request, "request_id")
    form = await request.post()
    declarable = [str(r.get("code")) for r in window.get("priority_rules") or []]
    verified = domain.verified_of(form, declarable)
    answer = await api(
        request,
        "booking",
        "PATCH",
        f"{WINDOWS}/{window['id']}/requests/{request_id}",
        json={"verified_criteria": verified},
    )
    back = f"{HOME}/{window['id']}"
    page = str(form.get("page") or "")
    if answer.ok:
        suffix = f"&page={page}" if page.isdigit() and page != "1" else ""
        return redirect(f"{back}?fait=verifiee{suffix}#demande-{request_id}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.status >= 500 or answer.problem is None:
        raise _unavailable(answer)
    detail = str(answer.problem.get("detail") or "Les critères n'ont pas été enregistrés.")
    return await _window_page(
        request, failure=detail, failed_request=request_id, status=_status(answer)
    )


@routes.post(f"{HOME}/{ID}/tirage")
async def run_allocation(request: web.Request) -> web.Response:
    staff_only(request)
    window_id = _uuid(request, "window_id")
    answer = await api(request, "booking", "POST", f"{WINDOWS}/{window_id}/allocation")
    if answer.ok:
        body = answer.body if isinstance(answer.body, dict) else {}
        counts = "&".join(f"{k}={n}" for k, n in domain.draw_counts(body).items())
        return redirect(f"{HOME}/{window_id}?fait=tirage{'&' + counts if counts else ''}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.status >= 500 or answer.problem is None:
        raise _unavailable(answer)
    detail = str(answer.problem.get("detail") or "Le tirage n'a pas pu être lancé.")
    return await _window_page(request, failure=detail, status=_status(answer))


@routes.get(f"{HOME}/{ID}/export.csv")
async def export_csv(request: web.Request) -> web.Response:
    """booking's allocation CSV passed on as a download (family data: never cached)."""
    staff_only(request)
    window_id = _uuid(request, "window_id")
    found = await fetched_file(request, "booking", f"{WINDOWS}/{window_id}/allocation.csv")
    if found.status != 200:
        raise web.HTTPNotFound()
    return file_response(found, f"attribution-{window_id}.csv", private=True)
