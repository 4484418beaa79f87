"""HTTP adapters of the identity service, one module per resource: each handler parses the
request, calls one use case (`identity.usecases`) and answers."""

from __future__ import annotations

from aiohttp import web

from identity.api import accounts, audit, keys, passwords, profile, sessions, signup, tenants

routes: list[web.AbstractRouteDef] = [
    *keys.routes,
    *tenants.routes,
    *signup.routes,
    *sessions.routes,
    *accounts.routes,
    *passwords.routes,
    *profile.routes,
    *audit.routes,
]
