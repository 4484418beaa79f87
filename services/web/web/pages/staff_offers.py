"""Back-office: the chain of waiting-list offers of an activity's day (booking's, issue 18):
to whom a freed place was offered, in order, and what became of each offer. Agents and
admins."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import staff_windows
from web.domain.staff_activities import TYPES, parse_day
from web.pages.common import api, render, staff_only
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()

ID = "{activity_id:[0-9a-fA-F-]{36}}"
# booking's Offer.status, always said in words.
OFFER_STATUSES: dict[str, str] = {
    "open": "En attente de réponse",
    "accepted": "Acceptée",
    "declined": "Refusée",
    "expired": "Expirée sans réponse",
    "void": "Annulée",
}


def _today(request: web.Request) -> date:
    now: datetime = request.app[CLOCK].now()
    return now.astimezone(ZoneInfo(request.app[SETTINGS].timezone)).date()


@routes.get(f"/gestion/activites/{ID}/offres")
async def offers_chain(request: web.Request) -> web.Response:
    staff_only(request)
    try:
        activity_id = str(uuid.UUID(request.match_info["activity_id"]))
    except ValueError:
        raise web.HTTPNotFound() from None
    try:
        day = parse_day(request.query.get("jour", "")) if request.query.get("jour") else None
    except ValueError:
        day = None  # a day that is not one: today's chain, the form shows which
    day = day or _today(request)
    activity = await api(request, "booking", "GET", f"/tenants/{{tenant}}/activities/{activity_id}")
    if activity.status in (404, 422):
        raise web.HTTPNotFound()
    if not activity.ok:
        raise ApiUnavailable(f"booking: {activity.status}")
    answer = await api(
        request,
        "booking",
        "GET",
        f"/tenants/{{tenant}}/activities/{activity_id}/offers",
        params={"day": day.isoformat()},
    )
    if not answer.ok and answer.status != 404:
        raise ApiUnavailable(f"booking: {answer.status}")
    return await render(
        request,
        "staff_activities_offers.html.j2",
        {
            "title": f"Propositions de place – {activity.body['name']}",
            "activity": activity.body,
            "day": day,
            "offers": staff_windows.items_of(answer.body) if answer.ok else [],
            "statuses": OFFER_STATUSES,
            "types": TYPES,
        },
    )
