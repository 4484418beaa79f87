"""My account: read it, accept the terms of use, change my email address, switch to another
of my households."""

from __future__ import annotations

import uuid

from aiohttp import web

from identity.api.common import origin, tenant
from identity.domain.accounts import terms_status
from identity.schemas import (
    AcceptedOut,
    AcceptTermsIn,
    ChangeEmailIn,
    CurrentHouseholdIn,
    DoneOut,
    LinkIn,
    ProfileOut,
    TokensOut,
)
from identity.state import STATE
from identity.usecases import households, profile
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/me")
@doc("My account, with the terms-of-use status", response=ProfileOut, tags=["profile"])
async def me(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_terms_pending=True)
    mine = await profile.my_profile(
        request.app[POOL], tenant(request), uuid.UUID(caller.account_id)
    )
    account = mine.account
    body = {
        "account_id": account.id,
        "tenant": account.tenant,
        "email": account.email,
        "display_name": account.display_name,
        "roles": account.roles,
        "sites": account.sites,
        "household_id": account.household_id,
        "password_change_required": account.must_change_password,
        "terms": terms_status(mine.tenant, account),
    }
    return json_response(ProfileOut(), body)


@routes.post("/tenants/{tenant}/me/terms")
@doc(
    "Accept the current terms of use (a fresh access token is returned)",
    request=AcceptTermsIn,
    response=TokensOut,
    tags=["profile"],
    description=(
        "Returns a new access token without terms_pending; the refresh token in hand stays "
        "valid and its next tokens are fresh too."
    ),
    responses={409: "Not the current version"},
)
async def accept_terms(request: web.Request) -> web.Response:
    caller = require_caller(request, allow_terms_pending=True)
    data = await read_json(request, AcceptTermsIn())
    slug = tenant(request)
    body = await profile.accept_terms(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        uuid.UUID(caller.account_id),
        data["version"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)


@routes.post("/tenants/{tenant}/me/email")
@doc(
    "Ask to change my email: a link goes to the new address, the old one is told",
    request=ChangeEmailIn,
    response=AcceptedOut,
    status=202,
    tags=["profile"],
    description="A wrong password counts as a failed login on the account (delays, then lock).",
    responses={422: "Wrong password, or the same email", 429: "Too many wrong passwords"},
)
async def change_email(request: web.Request) -> web.Response:
    caller = require_caller(request)
    data = await read_json(request, ChangeEmailIn())
    slug = tenant(request)
    new_email = data["new_email"].lower()
    await profile.change_email(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        uuid.UUID(caller.account_id),
        new_email=new_email,
        password=data["password"],
        origin=origin(request),
    )
    body = {"detail": f"Un lien de confirmation a été envoyé à {new_email}."}
    return json_response(AcceptedOut(), body, status=202)


@routes.post("/tenants/{tenant}/email/confirm")
@doc(
    "Confirm a new email with the link sent to it",
    request=LinkIn,
    response=DoneOut,
    auth=False,
    tags=["profile"],
    responses={
        404: "Unknown link",
        409: "Link already used, or the address is now used by another account",
        410: "Link expired",
    },
)
async def confirm_email(request: web.Request) -> web.Response:
    data = await read_json(request, LinkIn())
    slug = tenant(request)
    new_email = await profile.confirm_email(
        unit_of_work(request.app, tenant=slug), slug, data["token"], origin=origin(request)
    )
    body = {"detail": f"Votre adresse e-mail est désormais {new_email}."}
    return json_response(DoneOut(), body)


@routes.post("/tenants/{tenant}/accounts/me/current-household")
@doc(
    "Switch to another of my households (a guardian of two households): new tokens carry it",
    request=CurrentHouseholdIn,
    response=TokensOut,
    tags=["profile"],
    description=(
        "Returns a new session's tokens whose access token names the household; from now on "
        "a refresh token in hand gives it too. My households are listed by the family "
        "service (GET /tenants/{tenant}/accounts/me/households)."
    ),
    responses={422: "Not one of my households"},
)
async def switch_household(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("family",))
    data = await read_json(request, CurrentHouseholdIn())
    slug = tenant(request)
    body = await households.switch_household(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        uuid.UUID(caller.account_id),
        data["household_id"],
        origin=origin(request),
    )
    return json_response(TokensOut(), body)
