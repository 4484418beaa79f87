"""Sign-up of a family: captcha, sign-up, activation, activation link resent."""

from __future__ import annotations

from aiohttp import web

from identity.api.common import ACCEPTED, origin, tenant
from identity.schemas import (
    AcceptedOut,
    ActivatedOut,
    CaptchaChallengeOut,
    EmailIn,
    LinkIn,
    SignupIn,
)
from identity.state import STATE
from identity.usecases import signup
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/captcha/challenge")
@doc(
    "An ALTCHA proof-of-work challenge for the sign-up form",
    response=CaptchaChallengeOut,
    auth=False,
    tags=["sign-up"],
)
async def captcha_challenge(request: web.Request) -> web.Response:
    challenge = await signup.captcha_challenge(
        request.app[POOL], request.app[STATE], tenant(request)
    )
    return web.json_response(challenge)


@routes.post("/tenants/{tenant}/signup")
@doc(
    "Create a family account (pending until the emailed link is opened)",
    request=SignupIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["sign-up"],
    description=(
        "Answers 202 with the same body whether or not the email already has an account, so "
        "nobody can learn which emails are registered. For a known email nothing is created "
        "and nothing is sent (the attempt is only written to the audit log); the owner can "
        "use the forgotten-password link."
    ),
)
@idempotent
async def sign_up(request: web.Request) -> web.Response:
    data = await read_json(request, SignupIn())
    slug = tenant(request)
    await signup.signup(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        email=data["email"].lower(),
        display_name=data["display_name"],
        password=data["password"],
        captcha=data["captcha"],
        origin=origin(request),
    )
    return json_response(AcceptedOut(), ACCEPTED, status=202)


@routes.post("/tenants/{tenant}/activation")
@doc(
    "Activate an account with the emailed link",
    request=LinkIn,
    response=ActivatedOut,
    auth=False,
    tags=["sign-up"],
    responses={404: "Unknown link", 409: "Link already used", 410: "Link expired"},
)
async def activate(request: web.Request) -> web.Response:
    data = await read_json(request, LinkIn())
    slug = tenant(request)
    account = await signup.activate(
        unit_of_work(request.app, tenant=slug), slug, data["token"], origin=origin(request)
    )
    body = {"account_id": account.id, "email": account.email, "status": "active"}
    return json_response(ActivatedOut(), body)


@routes.post("/tenants/{tenant}/activation/resend")
@doc(
    "Send a new activation link (same answer for every email)",
    request=EmailIn,
    response=AcceptedOut,
    status=202,
    auth=False,
    tags=["sign-up"],
)
async def resend_activation(request: web.Request) -> web.Response:
    data = await read_json(request, EmailIn())
    slug = tenant(request)
    await signup.resend_activation(
        unit_of_work(request.app, tenant=slug),
        request.app[POOL],
        request.app[STATE],
        slug,
        data["email"].lower(),
        origin=origin(request),
    )
    return json_response(AcceptedOut(), ACCEPTED, status=202)
