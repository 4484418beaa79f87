"""Billing's HTTP adapters, one module per resource; `routes` is all of them."""

from __future__ import annotations

from aiohttp import web

from billing.api import (
    activities,
    campaigns,
    certificates,
    dev_payment,
    direct_debit,
    exports,
    households,
    invoices,
    payers,
    payments,
    prices,
    refunds,
    regies,
    reminders,
    wallet,
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
    *payments.routes,
    *reminders.routes,
    *wallet.routes,
    *direct_debit.routes,
    *dev_payment.routes,  # development only: 404 in production
]
