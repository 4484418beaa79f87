"""Billing's HTTP adapters, one module per resource; `routes` is all of them."""

from __future__ import annotations

from aiohttp import web

from billing.api import (
    activities,
    campaigns,
    certificates,
    exports,
    households,
    invoices,
    payers,
    prices,
    refunds,
    regies,
)

routes: list[web.RouteDef] = [
    *regies.routes,
    *activities.routes,
    *households.routes,
    *payers.routes,
    *prices.routes,
    *invoices.routes,
    *refunds.routes,
    *campaigns.routes,
    *certificates.routes,
    *exports.routes,
]
