"""Waiting-list offers for families: the household's offers (open ones first, with their
deadline, accepted or declined with one button), the notice on /reservations while one is
open, and the one-click link emailed with an offer, which works without a login.

The link's page never accepts on GET (mail scanners open links): it shows a button whose
POST asks booking to accept."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.http.middlewares import REQUEST_ID
from web.apis import ApiUnavailable
from web.domain import fair_opening as domain
from web.domain.problems import form_errors
from web.pages.common import api, current_session, forwarded_for, redirect, render
from web.pages.enrollments import uuid_or_404
from web.settings import SETTINGS
from web.state import APIS

routes = web.RouteTableDef()

OFFERS = "/tenants/{tenant}/offers"
# Longer than any token booking signs; anything longer is not one of its links.
MAX_TOKEN = 1024


async def household_offers(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", OFFERS)
    if answer.status in (403, 404):
        return []  # no household linked yet
    if not answer.ok:
        raise ApiUnavailable(f"booking: {answer.status}")
    return domain.items(answer.body)


async def offers_notice(request: web.Request) -> str | None:
    """/reservations' notice while a place waits for the family's answer; None when booking
    cannot say now (the page is still shown)."""
    try:
        offers = await household_offers(request)
    except ApiUnavailable:
        return None
    return domain.open_offers_notice(offers, request.app[SETTINGS].timezone)


async def _offers_page(
    request: web.Request, *, errors: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    opened, past = domain.split_offers(await household_offers(request))
    return await render(
        request,
        "offers.html.j2",
        {
            "title": ("Erreur – " if errors else "") + "Places proposées",
            "opened": opened,
            "past": past,
            "errors": errors or {},
            "done": request.query.get("fait", ""),
            "domain": domain,
        },
        status=status,
    )


@routes.get("/reservations/offres")
async def offers_page(request: web.Request) -> web.Response:
    return await _offers_page(request)


async def _answer(request: web.Request, action: str, done: str) -> web.Response:
    offer_id = uuid_or_404(request.match_info["offer_id"])
    answer = await api(request, "booking", "POST", f"{OFFERS}/{offer_id}/{action}")
    if answer.ok:
        return redirect(f"/reservations/offres?fait={done}#offre-{offer_id}")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"booking: {answer.status}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    message = form_errors(answer.problem, ()).general or ""
    status = answer.status if answer.status in (403, 409, 410, 422) else 422
    return await _offers_page(request, errors={offer_id: message}, status=status)


@routes.post("/reservations/offres/{offer_id}/accepter")
async def accept_offer(request: web.Request) -> web.Response:
    return await _answer(request, "accept", "acceptee")


@routes.post("/reservations/offres/{offer_id}/refuser")
async def decline_offer(request: web.Request) -> web.Response:
    return await _answer(request, "decline", "refusee")


# --- the one-click link (no login) -----------------------------------------------------------

LINK = "/offres/accepter/{token}"


def _link_token(request: web.Request) -> str:
    token = request.match_info["token"]
    if not token or len(token) > MAX_TOKEN:
        raise web.HTTPNotFound()
    return token


def _no_referrer(response: web.Response) -> web.Response:
    # The token is in the address: never passed on to another site by a link of the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get(LINK)
async def link_page(request: web.Request) -> web.Response:
    _link_token(request)
    await current_session(request)  # an anonymous session carries the form's CSRF token
    response = await render(
        request, "offers_link.html.j2", {"title": "Une place vous est proposée"}
    )
    return _no_referrer(response)


@routes.post(LINK)
async def accept_by_link(request: web.Request) -> web.Response:
    token = _link_token(request)
    answer = await request.app[APIS].call(
        "booking",
        "POST",
        f"/tenants/{request.app[SETTINGS].tenant}/offers/accept-by-link",
        json={"token": token},
        request_id=request.get(REQUEST_ID),
        forwarded_for=forwarded_for(request),
    )
    outcome = domain.link_outcome(answer.status, answer.body)
    response = await render(
        request,
        "offers_link_done.html.j2",
        {
            "title": outcome.title,
            "outcome": outcome,
            "accepted": answer.ok,
        },
        status=outcome.status,
    )
    return _no_referrer(response)
