"""Baskets: a family (or staff for it) fills one with days, then validates it at once."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, calling, now, online_booking_allowed, uow
from booking.domain.errors import BasketNotFound
from booking.schemas import (
    BasketIn,
    BasketListOut,
    BasketOut,
    BasketsQuery,
    LineIn,
    ValidateIn,
    ValidationOut,
)
from booking.settings import SETTINGS
from booking.state import LEDGER
from booking.usecases import baskets
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/baskets")
@doc(
    "Open a basket, optionally with its first lines (family; staff for a family, with"
    " household_id)",
    request=BasketIn,
    response=BasketOut,
    status=201,
    tags=["baskets"],
)
@idempotent
async def create_basket(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    await online_booking_allowed(request, tenant, actor)
    data = await read_json(request, BasketIn())
    body = await baskets.create_basket(
        uow(request, tenant),
        tenant,
        actor,
        household_id=data["household_id"],
        lines=data["lines"],
        max_lines=request.app[SETTINGS].max_basket_lines,
        now=now(request),
    )
    return json_response(BasketOut(), body, status=201)


@routes.get("/tenants/{tenant}/baskets")
@doc(
    "Validated baskets, newest first, with their outcome counts: a family's own household's;"
    " staff name the household (?household_id=)",
    query=BasketsQuery,
    response=BasketListOut,
    tags=["baskets"],
    responses={422: "Staff without household_id", 403: "Another household"},
)
async def list_baskets(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    query = read_query(request, BasketsQuery())
    rows = await baskets.validated_baskets(
        request.app[POOL],
        tenant,
        actor,
        household_id=query.get("household_id"),
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(BasketListOut(), {"items": rows})


@routes.get("/tenants/{tenant}/baskets/{basket_id}")
@doc("A basket with its lines (its family, or staff)", response=BasketOut, tags=["baskets"])
async def get_basket(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    basket_id = path_uuid(request, "basket_id", BasketNotFound)
    body = await baskets.get_basket(request.app[POOL], tenant, actor, basket_id)
    return json_response(BasketOut(), body)


@routes.post("/tenants/{tenant}/baskets/{basket_id}/lines")
@doc(
    "Add days to a basket: dates, a range, or a rhythm (weekdays, one week in N) (family)",
    request=LineIn,
    response=BasketOut,
    tags=["baskets"],
)
async def add_lines(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    await online_booking_allowed(request, tenant, actor)
    basket_id = path_uuid(request, "basket_id", BasketNotFound)
    data = await read_json(request, LineIn())
    body = await baskets.add_lines(
        uow(request, tenant),
        tenant,
        actor,
        basket_id,
        data,
        max_lines=request.app[SETTINGS].max_basket_lines,
    )
    return json_response(BasketOut(), body)


@routes.delete("/tenants/{tenant}/baskets/{basket_id}/lines/{line_id}")
@doc("Remove a line from an open basket (family)", status=204, tags=["baskets"])
async def delete_line(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    basket_id = path_uuid(request, "basket_id", BasketNotFound)
    line_id = path_uuid(request, "line_id")
    await baskets.delete_line(uow(request, tenant), tenant, actor, basket_id, line_id)
    return web.Response(status=204)


# The opening rush's route: its schemas are built once (building one costs more CPU than
# using it; marshmallow schemas hold no per-call state).
_VALIDATE_IN, _VALIDATION_OUT = ValidateIn(), ValidationOut()


@routes.post("/tenants/{tenant}/baskets/{basket_id}/validate")
@doc(
    "Validate the basket at once: every line confirmed, waiting list, cancelled or refused",
    request=ValidateIn,
    response=ValidationOut,
    tags=["baskets"],
    responses={
        403: "hold_for_payment false asked by a family (staff only), or the town turned"
        " online booking off (families)",
        409: "Already validated, or (all_or_nothing) some line not confirmed",
    },
)
@idempotent
async def validate_basket(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    await online_booking_allowed(request, tenant, actor)
    basket_id = path_uuid(request, "basket_id", BasketNotFound)
    data = await read_json(request, _VALIDATE_IN)
    result = await baskets.validate_basket(
        request.app[LEDGER],
        uow(request, tenant),
        tenant,
        basket_id,
        actor,
        now=now(request),
        all_or_nothing=data["all_or_nothing"],
        hold_for_payment=data["hold_for_payment"],
    )
    return json_response(_VALIDATION_OUT, result)
