"""Subscriber codes as the town hands them out (staff): a household's letter, a batch of
letters for a mailing, a new code when the letter is lost."""

from __future__ import annotations

from uuid import UUID
from zoneinfo import ZoneInfo

from aiohttp import web

from family.api.access import Scope, settings, staff, uow
from family.domain import letters
from family.schemas import LetterheadQuery, SubscriberCodeOut, SubscriberLettersIn
from family.state import PDF
from family.usecases import subscriber_codes, utcnow
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.http.uploads import download
from shared.keys import POOL

routes = web.RouteTableDef()
TAGS = ["subscriber codes"]
PARIS = ZoneInfo("Europe/Paris")


async def _pdf(
    request: web.Request, tenant: str, household_ids: list[UUID], letterhead: dict[str, str]
) -> web.Response:
    """The letters; the caller may give the town's name and its portal's address (a
    deployment serves many towns: the settings are only the fallback)."""
    config = settings(request)
    content, name = await subscriber_codes.subscriber_letters(
        request.app[POOL],
        request.app[PDF],
        tenant,
        household_ids,
        town=letters.town_name(letterhead.get("town", ""), config.town_name, tenant),
        portal_url=letterhead.get("portal_url") or config.portal_url,
        today=utcnow().astimezone(PARIS).date(),
    )
    return download(name, "application/pdf", content)


@routes.get("/tenants/{tenant}/households/{household_id}/subscriber-letter")
@doc(
    "The household's subscriber-code letter, to print and mail (staff)",
    query=LetterheadQuery,
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "Unknown household"},
)
async def subscriber_letter(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    letterhead = read_query(request, LetterheadQuery())
    return await _pdf(request, scope.tenant, [scope.household_id], letterhead)


@routes.post("/tenants/{tenant}/subscriber-letters")
@doc(
    "Subscriber-code letters of several households, a page each, in one PDF (staff; at most "
    "500 households)",
    request=SubscriberLettersIn,
    tags=TAGS,
    files=["application/pdf"],
    responses={422: "Unknown household, or none, or more than 500"},
)
async def subscriber_letters(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, SubscriberLettersIn())
    return await _pdf(request, actor.tenant, data["household_ids"], data)


@routes.post("/tenants/{tenant}/households/{household_id}/subscriber-code")
@doc(
    "A new subscriber code for the household (its letter was lost); the old one stops "
    "working at once, linked accounts stay linked (staff)",
    response=SubscriberCodeOut,
    status=201,
    tags=TAGS,
    responses={404: "Unknown household"},
)
async def renew_subscriber_code(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    code = await subscriber_codes.renew_code(
        uow(request, scope.actor), scope.actor, scope.household_id
    )
    body = {"household_id": scope.household_id, "subscriber_code": code}
    return json_response(SubscriberCodeOut(), body, status=201)
