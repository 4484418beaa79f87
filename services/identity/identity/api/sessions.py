"""Sessions: login, refresh, logout."""

from __future__ import annotations

from aiohttp import web

from identity.api.common import origin, tenant
from identity.schemas import LoginIn, RefreshIn, TokensOut
from identity.state import STATE
from identity.usecases import sessions
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/login")
@doc(
    "Log in with an email (or the part before the @) and a password",
    request=LoginIn,
    response=TokensOut,
    auth=False,
    tags=["tokens"],
    responses={
        401: "Wrong login or password (also for unknown or locked accounts)",
        403: "Account not activated yet (only said when the password is right)",
        429: "Too many failed attempts: wait Retry-After seconds",
    },
)
async def login(request: web.Request) -> web.Response:
    data = await read_json(request, LoginIn())
    slug = tenant(request)
    body = await sessions.login(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        login=data["login"].lower(),
        password=data["password"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)


@routes.post("/tenants/{tenant}/token/refresh")
@doc(
    "Exchange a refresh token for new tokens (the old one stops working)",
    request=RefreshIn,
    response=TokensOut,
    auth=False,
    tags=["tokens"],
    responses={401: "Unknown, expired, revoked or reused refresh token"},
)
async def refresh(request: web.Request) -> web.Response:
    data = await read_json(request, RefreshIn())
    slug = tenant(request)
    body = await sessions.refresh(
        unit_of_work(request.app, tenant=slug),
        request.app[STATE],
        slug,
        data["refresh_token"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)


@routes.post("/tenants/{tenant}/logout")
@doc(
    "Log out: the refresh token and its session end",
    request=RefreshIn,
    status=204,
    auth=False,
    tags=["tokens"],
)
async def logout(request: web.Request) -> web.Response:
    data = await read_json(request, RefreshIn())
    slug = tenant(request)
    await sessions.logout(
        unit_of_work(request.app, tenant=slug),
        slug,
        data["refresh_token"],
        origin=origin(request),
    )
    # Same answer for an unknown token: logging out twice is not an error.
    return web.Response(status=204)
