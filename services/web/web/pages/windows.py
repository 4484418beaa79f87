"""« Inscriptions par tirage au sort » for families: the town's opening windows, a window's
published rules and how its draw works, the household's request (sent, changed, withdrawn
while the window is open), its outcome after the draw, and the draw itself as a table
anyone can recompute from the revealed seed."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import fair_opening as domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render
from web.pages.enrollments import uuid_or_404
from web.pages.reservations import children

routes = web.RouteTableDef()

WINDOWS = "/tenants/{tenant}/windows"
PAGE = "/reservations/fenetres/{window_id}"


@routes.get("/reservations/fenetres")
async def windows_page(request: web.Request) -> web.Response:
    answer = await api(request, "booking", "GET", WINDOWS)
    if answer.status >= 500:
        raise ApiUnavailable(f"booking: {answer.status}")
    return await render(
        request,
        "windows.html.j2",
        {
            "title": "Inscriptions par tirage au sort",
            "windows": domain.items(answer.body) if answer.ok else [],
            "refused": None if answer.ok else _detail(answer),
            "domain": domain,
        },
    )


async def _window(request: web.Request, window_id: str) -> dict[str, Any]:
    answer = await api(request, "booking", "GET", f"{WINDOWS}/{window_id}")
    if answer.status in (403, 404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return dict(answer.body)


async def _mine(request: web.Request, window_id: str) -> dict[str, Any] | None:
    """The household's request in this window; None when it made none (or has no household)."""
    answer = await api(request, "booking", "GET", f"{WINDOWS}/{window_id}/requests/mine")
    if answer.status in (403, 404):
        return None
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return dict(answer.body)


async def _window_page(
    request: web.Request,
    window_id: str,
    *,
    values: domain.Values | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    window, mine, kids = await asyncio.gather(
        _window(request, window_id), _mine(request, window_id), children(request)
    )
    rules = list(window.get("priority_rules") or [])
    errors = errors or FormErrors()
    return await render(
        request,
        "windows_window.html.j2",
        {
            "title": ("Erreur – " if errors else "") + str(window.get("name", "")),
            "window": window,
            "mine": mine,
            "children": kids,
            "values": values if values is not None else domain.values_of_request(mine),
            "errors": errors,
            "levels": domain.levels(rules),
            "declarable": domain.declarable(rules),
            "computed": [r for r in rules if r.get("code") in domain.COMPUTED_CRITERIA],
            "criteria_labels": {str(r.get("code")): str(r.get("label")) for r in rules},
            "done": request.query.get("fait", ""),
            "domain": domain,
        },
        status=status,
    )


@routes.get(PAGE)
async def window_page(request: web.Request) -> web.Response:
    return await _window_page(request, uuid_or_404(request.match_info["window_id"]))


@routes.post(PAGE)
async def send_request(request: web.Request) -> web.Response:
    """The request sent (or changed: the same PUT), then shown after a redirect."""
    window_id = uuid_or_404(request.match_info["window_id"])
    form = await request.post()
    window, kids = await asyncio.gather(_window(request, window_id), children(request))
    child_ids = [str(c["id"]) for c in kids]
    values = domain.values_of_form(form, child_ids)
    read = domain.request_body(form, child_ids, window)
    if read.errors:
        return await _window_page(request, window_id, values=values, errors=read.errors, status=422)
    answer = await api(
        request, "booking", "PUT", f"{WINDOWS}/{window_id}/requests/mine", json=read.body
    )
    if answer.ok:
        return redirect(f"/reservations/fenetres/{window_id}?fait=envoyee#demande")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    errors = domain.request_errors(answer.problem, read.body)
    return await _window_page(
        request, window_id, values=values, errors=errors, status=_status(answer)
    )


@routes.post(PAGE + "/retrait")
async def withdraw_request(request: web.Request) -> web.Response:
    window_id = uuid_or_404(request.match_info["window_id"])
    answer = await api(request, "booking", "DELETE", f"{WINDOWS}/{window_id}/requests/mine")
    if answer.ok:
        return redirect(f"/reservations/fenetres/{window_id}?fait=retiree#demande")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    errors = FormErrors(general=_detail(answer))
    return await _window_page(request, window_id, errors=errors, status=_status(answer))


# --- the draw, published ---------------------------------------------------------------------


async def _draw(request: web.Request, window_id: str) -> tuple[dict[str, Any] | None, Answer]:
    answer = await api(request, "booking", "GET", f"{WINDOWS}/{window_id}/draw")
    if answer.status >= 500:
        raise ApiUnavailable(f"booking: {answer.status}")
    return (dict(answer.body) if answer.ok and isinstance(answer.body, dict) else None), answer


@routes.get(PAGE + "/tirage")
async def draw_page(request: web.Request) -> web.Response:
    window_id = uuid_or_404(request.match_info["window_id"])
    window, (draw, answer) = await asyncio.gather(
        _window(request, window_id), _draw(request, window_id)
    )
    entries = sorted((draw or {}).get("entries") or [], key=lambda e: int(e.get("rank") or 0))
    return await render(
        request,
        "windows_draw.html.j2",
        {
            "title": f"Tirage au sort – {window.get('name', '')}",
            "window": window,
            "draw": draw,
            "entries": entries,
            "levels": {
                lv.number: lv.label for lv in domain.levels(window.get("priority_rules") or [])
            },
            "check": domain.check_draw(draw) if draw else None,
            "refused": None if draw is not None else _detail(answer),
            "domain": domain,
        },
    )


@routes.get(PAGE + "/tirage.json")
async def draw_json(request: web.Request) -> web.Response:
    """booking's published draw as it is, for whoever recomputes it with their own tools."""
    window_id = uuid_or_404(request.match_info["window_id"])
    draw, _ = await _draw(request, window_id)
    if draw is None:
        raise web.HTTPNotFound()
    return web.json_response(
        draw,
        headers={"Content-Disposition": f'attachment; filename="tirage-{window_id}.json"'},
    )


def _detail(answer: Answer) -> str:
    return form_errors(answer.problem, ()).general or ""


def _status(answer: Answer) -> int:
    return answer.status if answer.status in (403, 404, 409, 422) else 422
