"""The portal's pages (thin: read the form, call a use case or a service, render)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from web.pages import auth, home, household, invoices, theme

STATIC = Path(__file__).resolve().parent.parent / "static"

routes: list[web.AbstractRouteDef] = [
    *auth.routes,
    *home.routes,
    *household.routes,
    *invoices.routes,
    *theme.routes,
    web.static("/static", STATIC),
]
