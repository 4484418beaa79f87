"""Quotes (what days would cost, line by line) and the public price list ("Tarifs")."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import anyone, household_of, now, pool
from billing.domain.documents import local_date
from billing.schemas import PriceListOut, PriceListQuery, QuoteIn, QuoteOut
from billing.usecases import pricing
from shared.errors import DomainError
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query

routes = web.RouteTableDef()
TAGS = ["prices"]


class HouseholdRequired(DomainError):
    code = "household-required"
    kind = "invalid"
    title = "Household required"
    detail = "Indiquez le foyer pour lequel calculer le prix."


@routes.post("/tenants/{tenant}/quotes")
@doc(
    "What these days would cost, line by line, with the QF bracket used; nothing is booked "
    "(a family for its household, staff for any)",
    request=QuoteIn,
    response=QuoteOut,
    tags=TAGS,
)
async def quote(request: web.Request) -> web.Response:
    caller = anyone(request)
    data = await read_json(request, QuoteIn())
    if caller.is_staff:
        household_id = data["household_id"]
        if household_id is None:
            raise HouseholdRequired()
    else:
        household_id = household_of(caller)
    body = await pricing.quote(pool(request), caller.tenant, household_id, data["lines"])
    return json_response(QuoteOut(), body)


@routes.get("/tenants/{tenant}/price-list")
@doc(
    "The tenant's prices in force on a date (default today); a family also sees its own "
    "price from its QF (the maximum when unknown)",
    query=PriceListQuery,
    response=PriceListOut,
    tags=TAGS,
)
async def price_list(request: web.Request) -> web.Response:
    caller = anyone(request)
    query = read_query(request, PriceListQuery())
    day = query.get("date") or local_date(now(request))
    household_id = query.get("household_id") if caller.is_staff else household_of(caller)
    body = await pricing.price_list(pool(request), caller.tenant, day, household_id)
    return json_response(PriceListOut(), body)
