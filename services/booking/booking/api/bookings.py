"""Bookings: cancelling one (a family before the deadline, staff at any time)."""

from __future__ import annotations

from aiohttp import web

from booking.api.caller import ANYONE, calling, now, online_booking_allowed, uow
from booking.domain.errors import BookingNotFound
from booking.schemas import BookingOut, CancelIn
from booking.usecases import bookings
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/bookings/{booking_id}/cancel")
@doc(
    "Cancel a booking: a family before the cancellation deadline, staff at any time",
    request=CancelIn,
    response=BookingOut,
    tags=["bookings"],
    responses={
        403: "The town does not let families book online (feature-off; staff still can)",
        409: "Cancellation deadline passed (cadenas), or already cancelled",
    },
)
async def cancel_booking(request: web.Request) -> web.Response:
    tenant, actor = calling(request, ANYONE)
    booking_id = path_uuid(request, "booking_id", BookingNotFound)
    # As a basket's cancellation line: a family only while its town lets it book online.
    await online_booking_allowed(request, tenant, actor)
    data = await read_json(request, CancelIn())
    row = await bookings.cancel_booking(
        uow(request, tenant),
        tenant,
        booking_id,
        actor,
        reason=data["reason"],
        charged=data["charged"],
        now=now(request),
    )
    return json_response(BookingOut(), row)
