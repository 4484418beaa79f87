"""The booking service's HTTP API, one module per resource; each handler parses the request,
calls one use case (`booking.usecases`) and answers.

Staff of the tenant manage the catalogue and decide enrollments; a family (its household
from the access token) enrolls its own children, fills baskets and validates them.
"""

from __future__ import annotations

from aiohttp import web

from booking.api import (
    activities,
    attendance,
    baskets,
    bookings,
    calendar,
    campaigns,
    children,
    enrollments,
    offers,
    renewals,
    staff_views,
    tenant_settings,
    windows,
)

routes: list[web.AbstractRouteDef] = [
    *tenant_settings.routes,
    *activities.routes,
    *enrollments.routes,
    *campaigns.routes,
    *renewals.routes,
    *baskets.routes,
    *bookings.routes,
    *offers.routes,
    *calendar.routes,
    *staff_views.routes,
    *attendance.routes,
    *children.routes,
    *windows.routes,
]
