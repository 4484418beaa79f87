"""Login (email or identifier) and logout."""

from __future__ import annotations

from aiohttp import web

from shared.http.middlewares import REQUEST_ID
from shared.keys import POOL
from web.domain import account, security
from web.domain.problems import FormErrors
from web.pages.common import (
    ANIMATOR_HOME,
    SESSION,
    STAFF_HOME,
    current_session,
    forwarded_for,
    lifetime,
    redirect,
    render,
)
from web.state import APIS, CLOCK
from web.usecases import sessions, subscriptions

routes = web.RouteTableDef()


@routes.get("/connexion")
async def login_page(request: web.Request) -> web.Response:
    session = request.get(SESSION)
    target = security.safe_next(request.query.get("suite"))
    if session is not None and session.logged_in:
        return redirect(target)
    await current_session(request)
    return await _login_form(request, target=target)


async def _login_form(
    request: web.Request,
    *,
    target: str,
    login: str = "",
    errors: FormErrors | None = None,
    status: int = 200,
    not_activated: bool = False,
) -> web.Response:
    return await render(
        request,
        "login.html.j2",
        {
            "title": "Erreur de connexion" if errors else "Connexion",
            "login": login,
            "target": target,
            "errors": errors or FormErrors(),
            "not_activated": not_activated,
        },
        status=status,
    )


@routes.post("/connexion")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    login = str(form.get("login", ""))
    target = security.safe_next(str(form.get("suite", "")))
    session = await current_session(request)  # the CSRF check found it
    app = request.app
    result = await sessions.login(
        app[POOL],
        app[APIS],
        session,
        login=login,
        password=str(form.get("password", "")),
        now=app[CLOCK].now(),
        lifetime=lifetime(app),
        forwarded_for=forwarded_for(request),
        request_id=request.get(REQUEST_ID),
    )
    if result.session is None:
        return await _login_form(
            request,
            target=target,
            login=login,
            errors=result.errors,
            status=422,
            not_activated=result.not_activated,
        )
    request[SESSION] = result.session
    if sessions.is_staff(result.session) and target == "/":
        target = STAFF_HOME  # the town's staff work in the back-office
    elif sessions.is_animator(result.session) and target == "/":
        target = ANIMATOR_HOME
    elif not result.session.data.get(account.PENDING) and result.session.access_token:
        # A guardian of several households sees the switcher in the header from now on.
        found = await subscriptions.households(
            app[APIS], result.session.tenant, result.session.access_token
        )
        if found is not None:
            await subscriptions.remember(app[POOL], result.session, found)
    return redirect(target)


@routes.post("/deconnexion")
async def logout(request: web.Request) -> web.Response:
    session = request[SESSION]  # the CSRF check needs one
    await sessions.logout(
        request.app[POOL], request.app[APIS], session, forwarded_for=forwarded_for(request)
    )
    del request[SESSION]
    response = redirect("/connexion?deconnecte=1")
    response.del_cookie(security.COOKIE, path="/")
    return response
