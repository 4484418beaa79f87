"""The basket: its days by child, activity and date (a late one "sera majorée", a full one
goes on the waiting list), a day removed, the whole validated at once, and the outcome:
confirmed days, days on the waiting list, refused days with their reason."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from aiohttp import web

from shared.keys import POOL
from web.domain import basket as lines_of
from web.domain.problems import form_errors
from web.pages.common import SESSION, api, redirect, render
from web.pages.reservations import child_name, children, uuid_of
from web.usecases import sessions

routes = web.RouteTableDef()


async def _month(request: web.Request, child_id: str, month: str) -> list[dict[str, Any]]:
    """The activities of a child's calendar month with their days (none when unreadable)."""
    answer = await api(
        request,
        "booking",
        "GET",
        f"/tenants/{{tenant}}/children/{child_id}/calendar",
        params={"month": month},
    )
    return list(answer.body.get("activities", [])) if answer.ok else []


async def _calendar_days(
    request: web.Request, lines: list[dict[str, Any]]
) -> tuple[dict[tuple[str, str, str], dict[str, Any]], dict[str, str]]:
    """The calendar's day of each (child, activity, date) of the months the lines touch, and
    the activities' names."""
    months = sorted({(str(x["child_id"]), str(x["date"])[:7]) for x in lines})
    found = await asyncio.gather(*(_month(request, c, m) for c, m in months))
    days: dict[tuple[str, str, str], dict[str, Any]] = {}
    names: dict[str, str] = {}
    for (child_id, _), activities in zip(months, found, strict=True):
        for activity in activities:
            key = str(activity["activity_id"])
            names[key] = activity["name"]
            for day in activity["days"]:
                days[(child_id, key, str(day["date"]))] = day
    return days, names


async def _page(
    request: web.Request, *, message: str | None = None, status: int = 200
) -> web.Response:
    session = request[SESSION]
    kept = session.data.get("basket")
    basket: dict[str, Any] | None = None
    if kept:
        answer = await api(request, "booking", "GET", f"/tenants/{{tenant}}/baskets/{kept}")
        if answer.ok and answer.body.get("status") == "open":
            basket = answer.body
        else:  # validated elsewhere (another tab), or gone: the family starts a new one
            await sessions.remember(request.app[POOL], session, basket=None)
            message = message or (
                "Votre panier a déjà été validé ; vos réservations figurent sur le calendrier"
                " de chaque enfant."
                if answer.ok
                else "Votre panier n'existe plus ; choisissez de nouveau vos jours."
            )
    groups: list[lines_of.Group] = []
    if basket and basket["lines"]:
        kids, (days, names) = await asyncio.gather(
            children(request), _calendar_days(request, basket["lines"])
        )
        groups = lines_of.group_lines(
            basket["lines"],
            {str(c["id"]): child_name(c) for c in kids},
            names,
            {key: str(day.get("state", "closed")) for key, day in days.items()},
        )
    return await render(
        request,
        "basket.html.j2",
        {
            "title": "Mon panier",
            "basket": basket,
            "groups": groups,
            "count": sum(len(g.lines) for g in groups),
            "message": message,
        },
        status=status,
    )


@routes.get("/panier")
async def basket_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/panier/lignes/{line_id}/retirer")
async def remove_line(request: web.Request) -> web.Response:
    line_id = uuid_of(request.match_info["line_id"])
    kept = request[SESSION].data.get("basket")
    if not kept:
        return redirect("/panier")
    answer = await api(
        request, "booking", "DELETE", f"/tenants/{{tenant}}/baskets/{kept}/lines/{line_id}"
    )
    if answer.ok or answer.status == 404:
        return redirect("/panier")  # removed, or no longer there
    return await _page(
        request, message=form_errors(answer.problem, ()).general, status=answer.status
    )


@routes.post("/panier/valider")
async def validate(request: web.Request) -> web.Response:
    session = request[SESSION]
    kept = session.data.get("basket")
    if not kept:
        return await _page(
            request,
            message="Votre panier est vide : ajoutez des jours avant de valider.",
            status=409,
        )
    answer = await api(
        request, "booking", "POST", f"/tenants/{{tenant}}/baskets/{kept}/validate", json={}
    )
    if answer.status in (404, 409) and (answer.problem or {}).get("code") != "basket-empty":
        await sessions.remember(request.app[POOL], session, basket=None)
        message = (
            "Ce panier a déjà été validé ; vos réservations figurent sur le calendrier de "
            "chaque enfant."
            if answer.status == 409
            else "Ce panier n'existe plus ; choisissez de nouveau vos jours."
        )
        return await _page(request, message=message, status=answer.status)
    if not answer.ok:
        return await _page(
            request, message=form_errors(answer.problem, ()).general, status=answer.status
        )
    # The outcome is shown after the redirect (POST, then GET), from the session.
    await sessions.remember(
        request.app[POOL], session, basket=None, outcome=lines_of.outcome_summary(answer.body)
    )
    return redirect("/panier/resultat")


@routes.get("/panier/resultat")
async def outcome(request: web.Request) -> web.Response:
    result = request[SESSION].data.get("outcome")
    if not result:
        return redirect("/panier")
    kids, (days, activity_names) = await asyncio.gather(
        children(request), _calendar_days(request, result["lines"])
    )
    names = {str(c["id"]): child_name(c) for c in kids}
    by_outcome: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in result["lines"]:
        day = days.get((line["child_id"], line["activity_id"], line["date"]), {})
        by_outcome[line["outcome"]].append(
            {
                **line,
                "child_name": names.get(line["child_id"], "Votre enfant"),
                "activity_name": activity_names.get(line["activity_id"], "Activité"),
                "waiting_position": day.get("waiting_position"),
            }
        )
    return await render(
        request,
        "basket_outcome.html.j2",
        {"title": "Panier validé", "result": result, "by_outcome": by_outcome},
    )
