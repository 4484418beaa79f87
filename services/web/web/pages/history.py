"""One history of the household's procedures [guide 001]: the families' page `/historique`
and the same history on the household file for staff (`/gestion/foyers/{id}/historique`).
Each service's list is read side by side (the family's own reads, or staff reads naming the
household); the merge, the filter and the pages are `web.domain.history`'s. A service that
does not answer leaves its kinds out and the page says so."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import history
from web.domain import household as hh
from web.pages.common import api, render, staff_only, token
from web.pages.staff_households import UUID, Refused, _household, _refused
from web.pages.wallet import linked_household_id

routes = web.RouteTableDef()

PER_PAGE = 20
# How many of each kind are read (the services' largest page for the smallest of them).
READ = "100"

Call = Callable[[], Awaitable[Answer]]


async def _items(call: Call, key: str) -> list[dict[str, Any]] | None:
    """The list under `key`, [] when the service refuses (e.g. nothing of the kind for this
    household), None when it does not answer."""
    try:
        answer = await call()
    except ApiUnavailable:
        return None
    if not answer.ok or not isinstance(answer.body, dict):
        return []
    return list(answer.body.get(key) or [])


async def _sources(calls: dict[str, tuple[Call, str]]) -> tuple[history.Sources, list[str]]:
    """Every list read side by side; the kinds of history whose service did not answer."""
    names = list(calls)
    found = await asyncio.gather(*(_items(call, key) for call, key in calls.values()))
    lists = dict(zip(names, found, strict=True))
    missing = [name for name, items in lists.items() if items is None]
    return history.Sources(**{name: items or [] for name, items in lists.items()}), missing


def _page_number(request: web.Request) -> int:
    try:
        return max(1, int(request.query.get("page", "1")))
    except ValueError:
        return 1


def _activity_names(answer: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(a["id"]): str(a.get("name", "")) for a in answer or []}


_MISSING = {
    "changes": "modifications du dossier",
    "requests": "demandes",
    "documents": "documents",
    "enrollments": "inscriptions",
    "absences": "absences",
    "baskets": "réservations",
    "payments": "paiements",
    "mandates": "mandats de prélèvement",
}


async def _render(
    request: web.Request,
    template: str,
    sources: history.Sources,
    missing: list[str],
    links: history.Links,
    names: dict[str, str],
    activities: dict[str, str],
    context: dict[str, Any],
) -> web.Response:
    kind = request.query.get("type") or None
    if kind not in history.KINDS:
        kind = None
    lists = history.entries(sources, links, names=names, activities=activities, today=date.today())
    shown = history.history_page(lists, kind=kind, page=_page_number(request), per_page=PER_PAGE)
    title = context.pop("heading")
    if kind:
        title += f" : {history.KINDS[kind].lower()}"
    if shown.page > 1:
        title += f", page {shown.page}"
    return await render(
        request,
        template,
        {
            **context,
            "title": title,
            "shown": shown,
            "kinds": history.KINDS,
            "kind": kind,
            "missing": [_MISSING[m] for m in missing],
        },
    )


@routes.get("/historique")
async def family_history(request: web.Request) -> web.Response:
    found = await api(request, "family", "GET", "/tenants/{tenant}/me/household")
    if found.status in (403, 404):
        raise web.HTTPSeeOther("/foyer")  # a history belongs to a household: link it first
    if not found.ok:
        raise ApiUnavailable(f"family /me/household: {found.status}")
    household = found.body
    household_id = await linked_household_id(request) or str(household.get("id", ""))
    me = "/tenants/{tenant}/me/household"

    def get(service: str, path: str, **params: str) -> Call:
        return lambda: api(request, service, "GET", path, params=params or None)

    (sources, missing), activities = await asyncio.gather(
        _sources(
            {
                "changes": (get("family", f"{me}/changes", status="all", per_page=READ), "items"),
                "requests": (get("family", f"{me}/requests", per_page=READ), "items"),
                "documents": (get("family", f"{me}/documents", per_page=READ), "items"),
                "enrollments": (get("booking", "/tenants/{tenant}/enrollments"), "items"),
                "absences": (get("booking", "/tenants/{tenant}/absences"), "items"),
                "baskets": (get("booking", "/tenants/{tenant}/baskets", limit=READ), "items"),
                "payments": (get("billing", "/tenants/{tenant}/payments", limit=READ), "payments"),
                "mandates": (
                    get(
                        "billing",
                        f"/tenants/{{tenant}}/billing/households/{household_id}/mandates",
                    ),
                    "mandates",
                ),
            }
        ),
        _items(get("booking", "/tenants/{tenant}/activities"), "items"),
    )
    return await _render(
        request,
        "history.html.j2",
        sources,
        missing,
        history.FAMILY_LINKS,
        hh.member_names(household),
        _activity_names(activities),
        {"heading": "Historique de mes démarches", "base": "/historique"},
    )


@routes.get(f"/gestion/foyers/{UUID}/historique")
async def staff_history(request: web.Request) -> web.Response:
    staff_only(request)
    household_id = request.match_info["household_id"]
    await token(request)  # refreshed once here, then the calls side by side
    try:
        household = await _household(request)
    except Refused as exc:
        return await _refused(request, exc)
    one = {"household_id": household_id}

    def get(service: str, path: str, **params: str) -> Call:
        return lambda: api(request, service, "GET", path, params=params or None)

    (sources, missing), activities = await asyncio.gather(
        _sources(
            {
                "changes": (
                    get("family", "/tenants/{tenant}/changes", status="all", per_page=READ, **one),
                    "items",
                ),
                "requests": (
                    get("family", "/tenants/{tenant}/requests", per_page=READ, **one),
                    "items",
                ),
                "documents": (
                    get(
                        "family",
                        f"/tenants/{{tenant}}/households/{household_id}/documents",
                        status="all",
                        per_page=READ,
                    ),
                    "items",
                ),
                "enrollments": (get("booking", "/tenants/{tenant}/enrollments", **one), "items"),
                "absences": (get("booking", "/tenants/{tenant}/absences", **one), "items"),
                "baskets": (
                    get("booking", "/tenants/{tenant}/baskets", limit=READ, **one),
                    "items",
                ),
                "payments": (
                    get("billing", "/tenants/{tenant}/payments", limit=READ, **one),
                    "payments",
                ),
                "mandates": (
                    get(
                        "billing",
                        f"/tenants/{{tenant}}/billing/households/{household_id}/mandates",
                    ),
                    "mandates",
                ),
            }
        ),
        _items(get("booking", "/tenants/{tenant}/activities"), "items"),
    )
    guardians = [f"{g['first_name']} {g['last_name']}" for g in household.get("guardians", [])]
    name = ", ".join(guardians) or "Foyer sans responsable"
    return await _render(
        request,
        "staff_history.html.j2",
        sources,
        missing,
        history.staff_links(household_id),
        hh.member_names(household),
        _activity_names(activities),
        {
            "heading": f"Historique des démarches – {name}",
            "base": f"/gestion/foyers/{household_id}/historique",
            "household": household,
            "name": name,
        },
    )
