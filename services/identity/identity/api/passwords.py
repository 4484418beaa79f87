"""Passwords: changed, forgotten, reset with a link."""

from __future__ import annotations

import uuid

from aiohttp import web

from identity.api.common import ACCEPTED, origin, tenant
from identity.schemas import (
    AcceptedOut,
    ChangePasswordIn,
    DoneOut,
    ForgotPasswordIn,
    ResetPasswordIn,
    TokensOut,
)
from identity.state import STATE
from identity.usecases import passwords
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/me/password")
@doc(
    "Change my password (ends my other sessions; new tokens are returned)",
    request=ChangePasswordIn,
    response=TokensOut,
    tags=["passwords"],
    description=(
        "Also the only call a temporary-password token (scope password-change) may make. A "
        "wrong current password counts as a failed login on the account (delays, then lock)."
    ),
    responses={422: "Wrong current password or weak new one", 429: "Too many wrong passwords"},
)
async def change_password(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_password_change=True, allow_terms_pending=True)
    data = await read_json(request, ChangePasswordIn())
    slug = tenant(request)
    body = await passwords.change_password(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        uuid.UUID(caller.account_id),
        current_password=data["current_password"],
        new_password=data["new_password"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)


@routes.post("/tenants/{tenant}/password/forgot")
@doc(
    "Ask for a password reset link by email or login identifier (same answer whatever is typed)",
    request=ForgotPasswordIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["passwords"],
)
async def forgot_password(request: web.Request) -> web.Response:
    data = await read_json(request, ForgotPasswordIn())
    slug = tenant(request)
    await passwords.forgot_password(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        data.get("login", data.get("email", "")).lower(),
        origin=origin(request),
    )
    return json_response(AcceptedOut(), ACCEPTED, status=202)


@routes.post("/tenants/{tenant}/password/reset")
@doc(
    "Choose a new password with a reset link (ends every session, lifts a lock)",
    request=ResetPasswordIn,
    response=DoneOut,
    auth=False,
    tags=["passwords"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def reset_password(request: web.Request) -> web.Response:
    data = await read_json(request, ResetPasswordIn())
    slug = tenant(request)
    await passwords.reset_password(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        token=data["token"],
        new_password=data["new_password"],
        origin=origin(request),
    )
    body = {"detail": "Votre mot de passe a été modifié ; vous pouvez vous connecter."}
    return json_response(DoneOut(), body)
