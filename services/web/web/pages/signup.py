"""Sign-up (with identity's ALTCHA proof of work), the activation link resent, the emailed
links that open an account: activation, and the invitation of an account staff created.

A link's page never acts on GET (mail scanners open links): it shows a button whose POST
calls identity."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.http.middlewares import REQUEST_ID
from shared.keys import POOL
from web.domain import account
from web.domain.problems import FormErrors
from web.pages.common import (
    SESSION,
    current_session,
    forwarded_for,
    lifetime,
    redirect,
    render,
)
from web.settings import SETTINGS
from web.state import APIS, CLOCK
from web.usecases import sessions

routes = web.RouteTableDef()

SIGNUP_FIELDS = ("display_name", "email", "password", "password_confirmation", "captcha")
EMAIL_FIELDS = ("email",)
INVITATION_FIELDS = ("password", "password_confirmation")
# The session remembers the address just signed up with, to offer resending its link.
SIGNUP_EMAIL = "signup_email"


async def public_call(
    request: web.Request, method: str, path: str, json: Any = None
) -> tuple[int, Any]:
    """identity's public (token-less) API, with the family's address for its throttling."""
    tenant = request.app[SETTINGS].tenant
    answer = await request.app[APIS].call(
        "identity",
        method,
        path.format(tenant=tenant),
        json=json,
        request_id=request.get(REQUEST_ID),
        forwarded_for=forwarded_for(request),
    )
    return answer.status, answer.body


async def town_rules(request: web.Request) -> dict[str, Any]:
    """The town's terms of use and password length (identity's public page of the tenant)."""
    status, body = await public_call(request, "GET", "/tenants/{tenant}")
    found = body if status == 200 and isinstance(body, dict) else {}
    return {
        "terms": found.get("terms") or {},
        "rules": account.password_rules(found.get("password_min_length")),
    }


def link_tenant(request: web.Request) -> None:
    """A link of another town is not one of this portal's pages."""
    if request.match_info["tenant"] != request.app[SETTINGS].tenant:
        raise web.HTTPNotFound()


# --- sign-up ------------------------------------------------------------------------------


@routes.get("/inscription")
async def signup_page(request: web.Request) -> web.Response:
    await current_session(request)
    return await _signup_form(request, {})


async def _signup_form(
    request: web.Request,
    values: dict[str, str],
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "signup.html.j2",
        {
            "title": "Erreur dans la création du compte" if errors else "Créer mon compte",
            "values": values,
            "errors": errors or FormErrors(),
            **await town_rules(request),
        },
        status=status,
    )


@routes.get("/inscription/defi")
async def captcha_challenge(request: web.Request) -> web.Response:
    """identity's ALTCHA challenge, fetched by the widget from the portal's own origin."""
    status, body = await public_call(request, "GET", "/tenants/{tenant}/captcha/challenge")
    if status != 200:
        raise web.HTTPNotFound()
    return web.json_response(body, headers={"Cache-Control": "no-store"})


@routes.post("/inscription")
async def signup(request: web.Request) -> web.Response:
    form = await request.post()
    values = {name: str(form.get(name, "")).strip() for name in ("display_name", "email")}
    password = str(form.get("password", ""))
    captcha = str(form.get("captcha", ""))
    missing = {
        name: message
        for name, message in (
            ("display_name", "Saisissez votre nom et prénom."),
            ("email", "Saisissez votre adresse e-mail."),
        )
        if not values[name]
    }
    if not password:
        missing["password"] = "Choisissez un mot de passe."
    missing.update(
        account.confirmation_errors(
            password, str(form.get("password_confirmation", "")), "password_confirmation"
        )
    )
    if not captcha:
        missing["captcha"] = "Cochez la case « Je ne suis pas un robot » et attendez la fin de"
        missing["captcha"] += " la vérification."
    if missing:
        return await _signup_form(request, values, FormErrors(missing), status=422)
    status, body = await public_call(
        request,
        "POST",
        "/tenants/{tenant}/signup",
        json={**values, "password": password, "captcha": captcha},
    )
    if status != 202:
        errors = account.field_errors(body if isinstance(body, dict) else None, SIGNUP_FIELDS)
        if status == 422 and "captcha" in str((body or {}).get("type", "")) and not errors.fields:
            errors = FormErrors({"captcha": str(body.get("detail"))})
        return await _signup_form(request, values, errors, status=422)
    session = await current_session(request)
    await sessions.remember(request.app[POOL], session, **{SIGNUP_EMAIL: values["email"]})
    return redirect("/inscription/envoyee")


@routes.get("/inscription/envoyee")
async def signup_sent(request: web.Request) -> web.Response:
    session = await current_session(request)
    return await render(
        request,
        "signup_sent.html.j2",
        {
            "title": "Vérifiez votre boîte mail",
            "email": session.data.get(SIGNUP_EMAIL, ""),
            "errors": FormErrors(),
        },
    )


@routes.get("/activation/renvoi")
async def resend_page(request: web.Request) -> web.Response:
    session = await current_session(request)
    return await _resend_form(request, session.data.get(SIGNUP_EMAIL, ""))


async def _resend_form(
    request: web.Request, email: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "activation_resend.html.j2",
        {
            "title": "Erreur : nouveau lien d'activation"
            if errors
            else "Recevoir un nouveau lien d'activation",
            "email": email,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.post("/activation/renvoi")
async def resend(request: web.Request) -> web.Response:
    form = await request.post()
    email = str(form.get("email", "")).strip()
    if not email:
        errors = FormErrors({"email": "Saisissez l'adresse e-mail de votre compte."})
        return await _resend_form(request, email, errors, status=422)
    status, body = await public_call(
        request, "POST", "/tenants/{tenant}/activation/resend", json={"email": email}
    )
    if status != 202:
        errors = account.field_errors(body if isinstance(body, dict) else None, EMAIL_FIELDS)
        return await _resend_form(request, email, errors, status=422)
    session = await current_session(request)
    await sessions.remember(request.app[POOL], session, **{SIGNUP_EMAIL: email})
    return redirect("/inscription/envoyee?renvoye=1")


# --- activation link ------------------------------------------------------------------------


@routes.get("/{tenant}/activation")
async def activation_page(request: web.Request) -> web.Response:
    link_tenant(request)
    await current_session(request)
    return await render(
        request,
        "activation.html.j2",
        {"title": "Activer mon compte", "token": request.query.get("token", "")},
    )


@routes.post("/{tenant}/activation")
async def activate(request: web.Request) -> web.Response:
    link_tenant(request)
    form = await request.post()
    status, body = await public_call(
        request, "POST", "/tenants/{tenant}/activation", json={"token": str(form.get("token", ""))}
    )
    if status == 200:
        return await render(
            request,
            "activation_done.html.j2",
            {"title": "Compte activé", "email": (body or {}).get("email", "")},
        )
    return await link_refused(request, status, body, resend="/activation/renvoi")


async def link_refused(
    request: web.Request, status: int, body: Any, *, resend: str | None
) -> web.Response:
    """The French page of a link identity refused (unknown, used, expired, replaced)."""
    problem = body if isinstance(body, dict) else None
    if status not in (404, 409, 410, 422):
        raise web.HTTPNotFound()
    outcome = account.link_outcome(status, problem)
    return await render(
        request,
        "account_link.html.j2",
        {"title": outcome.title, "outcome": outcome, "resend": resend if outcome.resend else None},
        status=status if status != 422 else 404,
    )


# --- invitation link (an account created by staff) ---------------------------------------------


@routes.get("/{tenant}/invitation")
async def invitation_page(request: web.Request) -> web.Response:
    link_tenant(request)
    await current_session(request)
    return await _invitation_form(request, request.query.get("token", ""))


async def _invitation_form(
    request: web.Request, token: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "password_invitation.html.j2",
        {
            "title": "Erreur : choisir mon mot de passe" if errors else "Choisir mon mot de passe",
            "token": token,
            "errors": errors or FormErrors(),
            **await town_rules(request),
        },
        status=status,
    )


@routes.post("/{tenant}/invitation")
async def accept_invitation(request: web.Request) -> web.Response:
    link_tenant(request)
    form = await request.post()
    token = str(form.get("token", ""))
    password = str(form.get("password", ""))
    missing = {} if password else {"password": "Choisissez un mot de passe."}
    missing.update(
        account.confirmation_errors(
            password, str(form.get("password_confirmation", "")), "password_confirmation"
        )
    )
    if missing:
        return await _invitation_form(request, token, FormErrors(missing), status=422)
    status, body = await public_call(
        request,
        "POST",
        "/tenants/{tenant}/invitation/accept",
        json={"token": token, "password": password},
    )
    problem = body if isinstance(body, dict) else None
    if (
        status == 422
        and problem
        and any(e.get("field") == "password" for e in problem.get("errors") or [])
    ):
        errors = account.field_errors(problem, INVITATION_FIELDS)
        return await _invitation_form(request, token, errors, status=422)
    if status != 200:
        return await link_refused(request, status, body, resend="/mot-de-passe-oublie")
    app = request.app
    request[SESSION] = await sessions.logged_in(
        app[POOL],
        app[APIS],
        await current_session(request),
        body,
        now=app[CLOCK].now(),
        lifetime=lifetime(app),
    )
    return redirect("/")
