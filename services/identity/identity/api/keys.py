"""The public keys that verify our access tokens."""

from __future__ import annotations

from aiohttp import web

from identity.schemas import JwksOut
from identity.state import STATE, utcnow
from shared.http.openapi import doc

routes = web.RouteTableDef()


@routes.get("/.well-known/jwks.json")
@doc("Public keys that verify access tokens", response=JwksOut, auth=False, tags=["tokens"])
async def jwks(request: web.Request) -> web.Response:
    keyring = request.app[STATE].current_keyring
    response = web.json_response(keyring.jwks(now=utcnow()))
    # Short cache: verifiers refetch on an unknown kid anyway.
    response.headers["Cache-Control"] = "public, max-age=60"
    return response
