"""Passwords: forgotten (a link by email), reset with that link, changed by the logged-in
family, which is also the forced change of a temporary password given by the town."""

from __future__ import annotations

from aiohttp import web

from shared.keys import POOL
from web.domain import account
from web.domain.problems import FormErrors
from web.pages.common import SESSION, api, current_session, redirect, render, token
from web.pages.signup import link_refused, link_tenant, public_call, town_rules
from web.state import APIS, CLOCK
from web.usecases import sessions

routes = web.RouteTableDef()

RESET_FIELDS = ("new_password", "new_password_confirmation")
CHANGE_FIELDS = ("current_password", "new_password", "new_password_confirmation")


# --- forgotten password -------------------------------------------------------------------


@routes.get("/mot-de-passe-oublie")
async def forgot_page(request: web.Request) -> web.Response:
    await current_session(request)
    return await _forgot_form(request, "")


async def _forgot_form(
    request: web.Request, login: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "password_forgot.html.j2",
        {
            "title": "Erreur : mot de passe oublié" if errors else "Mot de passe oublié",
            "login": login,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.post("/mot-de-passe-oublie")
async def forgot(request: web.Request) -> web.Response:
    form = await request.post()
    login = str(form.get("login", "")).strip()
    if not login:
        errors = FormErrors(
            {"login": "Saisissez l'adresse e-mail ou l'identifiant de votre compte."}
        )
        return await _forgot_form(request, login, errors, status=422)
    # identity looks the account up as login does (an email, or the identifier before its @)
    # and answers the same whatever is typed.
    status, body = await public_call(
        request, "POST", "/tenants/{tenant}/password/forgot", json={"login": login}
    )
    if status != 202:
        errors = account.field_errors(body if isinstance(body, dict) else None, ("login",))
        return await _forgot_form(request, login, errors, status=422)
    return await render(
        request, "password_forgot_sent.html.j2", {"title": "Lien envoyé", "login": login}
    )


# --- reset with the emailed link ------------------------------------------------------------


@routes.get("/{tenant}/password/reset")
async def reset_page(request: web.Request) -> web.Response:
    link_tenant(request)
    await current_session(request)
    return await _reset_form(request, request.query.get("token", ""))


async def _reset_form(
    request: web.Request, link: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "password_reset.html.j2",
        {
            "title": "Erreur : nouveau mot de passe"
            if errors
            else "Choisir un nouveau mot de passe",
            "token": link,
            "errors": errors or FormErrors(),
            **await town_rules(request),
        },
        status=status,
    )


@routes.post("/{tenant}/password/reset")
async def reset(request: web.Request) -> web.Response:
    link_tenant(request)
    form = await request.post()
    link = str(form.get("token", ""))
    password = str(form.get("new_password", ""))
    missing = {} if password else {"new_password": "Choisissez un nouveau mot de passe."}
    missing.update(
        account.confirmation_errors(
            password, str(form.get("new_password_confirmation", "")), "new_password_confirmation"
        )
    )
    if missing:
        return await _reset_form(request, link, FormErrors(missing), status=422)
    status, body = await public_call(
        request,
        "POST",
        "/tenants/{tenant}/password/reset",
        json={"token": link, "new_password": password},
    )
    problem = body if isinstance(body, dict) else None
    if (
        status == 422
        and problem
        and any(e.get("field") == "new_password" for e in problem.get("errors") or [])
    ):
        return await _reset_form(
            request, link, account.field_errors(problem, RESET_FIELDS), status=422
        )
    if status != 200:
        return await link_refused(request, status, body, resend="/mot-de-passe-oublie")
    return await render(request, "password_reset_done.html.j2", {"title": "Mot de passe modifié"})


# --- change (and forced change) -----------------------------------------------------------


@routes.get("/compte/mot-de-passe")
async def change_page(request: web.Request) -> web.Response:
    await token(request)  # logged in (the forced step's own page)
    return await _change_form(request)


async def _change_form(
    request: web.Request, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    forced = request[SESSION].data.get(account.PENDING) == account.PASSWORD_STEP
    return await render(
        request,
        "password_change.html.j2",
        {
            "title": "Erreur : changer mon mot de passe" if errors else "Changer mon mot de passe",
            "forced": forced,
            "errors": errors or FormErrors(),
            **await town_rules(request),
        },
        status=status,
    )


@routes.post("/compte/mot-de-passe")
async def change(request: web.Request) -> web.Response:
    form = await request.post()
    current = str(form.get("current_password", ""))
    new = str(form.get("new_password", ""))
    missing = {}
    if not current:
        missing["current_password"] = "Saisissez votre mot de passe actuel."
    if not new:
        missing["new_password"] = "Choisissez un nouveau mot de passe."
    missing.update(
        account.confirmation_errors(
            new, str(form.get("new_password_confirmation", "")), "new_password_confirmation"
        )
    )
    if missing:
        await token(request)
        return await _change_form(request, FormErrors(missing), status=422)
    answer = await api(
        request,
        "identity",
        "POST",
        "/tenants/{tenant}/me/password",
        json={"current_password": current, "new_password": new},
    )
    if not answer.ok:
        return await _change_form(
            request, account.field_errors(answer.problem, CHANGE_FIELDS), status=422
        )
    session = request[SESSION]
    forced = session.data.get(account.PENDING) == account.PASSWORD_STEP
    step = await sessions.new_tokens(
        request.app[POOL], request.app[APIS], session, answer.body, now=request.app[CLOCK].now()
    )
    if step:
        return redirect(account.STEP_PAGES[step])
    return redirect("/" if forced else "/compte?mot-de-passe=1")
