"""Waiting-list offers (issue 18): accepting one by its emailed link (no login), or logged in;
declining; a family's offers, staff's view of them and of a day's chain."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, STAFF, calling, now, online_booking_allowed, uow
from booking.domain.errors import ActivityNotFound, OfferNotFound
from booking.schemas import (
    AcceptByLinkIn,
    OfferAcceptedOut,
    OfferChainOut,
    OfferChainQuery,
    OfferListOut,
    OfferOut,
    OffersQuery,
)
from booking.usecases import offers
from shared import tenant_features
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/offers/accept-by-link")
@doc(
    "Accept a place offered from the waiting list with the emailed link's token (no"
    " Authorization: the token is the secret; single use). The child is booked and billed as"
    " any promotion",
    request=AcceptByLinkIn,
    response=OfferAcceptedOut,
    auth=False,
    tags=["offers"],
    responses={
        403: "The town does not let families book online (feature-off)",
        404: "Unknown or forged token (offer-link-invalid)",
        409: "Already answered (offer-answered), or the child no longer enrolled"
        " (offer-not-enrolled)",
        410: "Expired, or withdrawn (offer-expired)",
    },
)
async def accept_by_link(request: web.Request) -> web.Response:
    tenant = request.match_info["tenant"]
    data = await read_json(request, AcceptByLinkIn())
    # The link's holder is a family: refused while its town does not let families book online.
    await tenant_features.require(request.app[POOL], tenant, "online_booking", staff=False)
    body = await offers.accept_by_link(
        uow(request, tenant), tenant, data["token"], now=now(request)
    )
    return json_response(OfferAcceptedOut(), body)


@routes.post("/tenants/{tenant}/offers/{offer_id}/accept")
@doc(
    "Accept a place offered from the waiting list (the family of the household, or staff)",
    response=OfferOut,
    tags=["offers"],
    responses={
        403: "The town does not let families book online (feature-off; staff still can)",
        409: "Already answered (offer-answered), or the child no longer enrolled"
        " (offer-not-enrolled)",
        410: "Expired (offer-expired)",
    },
)
async def accept(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    offer_id = path_uuid(request, "offer_id", OfferNotFound)
    await online_booking_allowed(request, tenant, actor)
    body = await offers.accept(uow(request, tenant), tenant, offer_id, actor, now=now(request))
    return json_response(OfferOut(), body)


@routes.post("/tenants/{tenant}/offers/{offer_id}/decline")
@doc(
    "Decline a place offered from the waiting list (the family, or staff): it passes to the"
    " next child; this child stays on the waiting list, at its end",
    response=OfferOut,
    tags=["offers"],
    responses={409: "Already answered (offer-answered)", 410: "Expired (offer-expired)"},
)
async def decline(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    offer_id = path_uuid(request, "offer_id", OfferNotFound)
    body = await offers.decline(uow(request, tenant), tenant, offer_id, actor, now=now(request))
    return json_response(OfferOut(), body)


@routes.get("/tenants/{tenant}/offers")
@doc(
    "Places offered from the waiting list: a family's (its household's, the open ones first);"
    " staff's, of an activity and a day when given (?activity_id=&day=), in the order made",
    query=OffersQuery,
    response=OfferListOut,
    tags=["offers"],
)
async def list_offers(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    query = read_query(request, OffersQuery())
    items = await offers.list_offers(
        request.app[POOL], tenant, actor, activity_id=query["activity_id"], day=query["day"]
    )
    return json_response(OfferListOut(), {"items": items})


@routes.get("/tenants/{tenant}/activities/{activity_id}/offers")
@doc(
    "The chain of offers of an activity (?day= for one day): every offer in the order made,"
    " with its status and times (staff)",
    query=OfferChainQuery,
    response=OfferChainOut,
    tags=["offers"],
)
async def offer_chain(request: web.Request) -> web.Response:
    tenant, _ = calling(request, STAFF)
    activity_id = path_uuid(request, "activity_id", ActivityNotFound)
    query = read_query(request, OfferChainQuery())
    body = await offers.day_chain(request.app[POOL], tenant, activity_id, query["day"])
    return json_response(OfferChainOut(), body)
