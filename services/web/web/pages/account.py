"""My account: what identity holds (name, email, identifier, terms accepted), my
subscriptions (the households my account is linked to, a switch to another, one more added
with its subscriber code), the terms of use to accept, a new email address and its emailed
confirmation, my household's data (export, deletion request), my notifications. Sign-up and
passwords have their own modules; their routes are registered with these."""

from __future__ import annotations

import asyncio
import uuid

from aiohttp import web

from shared.keys import POOL
from web.apis import ApiUnavailable
from web.domain import account, security
from web.domain.problems import FormErrors, form_errors
from web.pages import passwords, signup
from web.pages.common import (
    FLASH,
    SESSION,
    LoginRequired,
    api,
    current_session,
    redirect,
    render,
    token,
)
from web.pages.reminders import reminder_preferences
from web.pages.signup import link_refused, link_tenant, public_call
from web.settings import SETTINGS
from web.state import APIS, CLOCK
from web.usecases import sessions, subscriptions

_routes = web.RouteTableDef()

EMAIL_FIELDS = ("new_email", "password")


# --- my account ---------------------------------------------------------------------------


MY_HOUSEHOLDS = "/tenants/{tenant}/accounts/me/households"


@_routes.get("/compte")
async def my_account(request: web.Request) -> web.Response:
    return await _account_page(request)


async def _account_page(
    request: web.Request,
    *,
    code: str = "",
    code_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    await token(request)  # refreshed once, before the two calls run side by side
    answer, mine, preferences = await asyncio.gather(
        api(request, "identity", "GET", "/tenants/{tenant}/me"),
        _my_households(request),
        reminder_preferences(request),
    )
    if not answer.ok:
        raise web.HTTPNotFound()
    me = answer.body
    households = mine or []
    if mine is not None:
        await subscriptions.remember(request.app[POOL], request[SESSION], households)
    return await render(
        request,
        "account.html.j2",
        {
            "title": "Erreur : mon compte" if code_errors else "Mon compte",
            "me": me,
            "identifier": str(me.get("email", "")).partition("@")[0],
            "households": households,
            "preferences": preferences,
            "code": code,
            "code_errors": code_errors or FormErrors(),
        },
        status=status,
    )


async def _my_households(request: web.Request) -> list[dict[str, object]] | None:
    """The account's households; None when family cannot say now (the rest of the page is
    still shown). Staff have none (403)."""
    try:
        answer = await api(request, "family", "GET", MY_HOUSEHOLDS)
    except ApiUnavailable:
        return None
    if answer.status == 403:
        return []
    return list((answer.body or {}).get("items") or []) if answer.ok else None


@_routes.post("/compte/abonnements")
async def add_subscription(request: web.Request) -> web.Response:
    """One more household, with its subscriber code (a guardian of two households)."""
    form = await request.post()
    code = str(form.get("code", "")).strip()
    if not code:
        errors = FormErrors({"code": "Saisissez le code abonné du courrier de votre mairie."})
        return await _account_page(request, code=code, code_errors=errors, status=422)
    answer = await api(
        request, "family", "POST", "/tenants/{tenant}/me/household/link", json={"code": code}
    )
    if not answer.ok:
        errors = form_errors(answer.problem, ("code",))
        if not errors.fields:
            errors = FormErrors({"code": errors.general or "Code abonné inconnu."})
        status = answer.status if answer.status in (409, 422, 429) else 422
        return await _account_page(request, code=code, code_errors=errors, status=status)
    return redirect("/compte?abonnement=1#abonnements")


@_routes.post("/compte/abonnements/foyer")
async def switch_household(request: web.Request) -> web.Response:
    """« Passer à ce foyer »: identity's new tokens name it; the portal shows it from now on."""
    form = await request.post()
    try:
        household_id = str(uuid.UUID(str(form.get("household_id", ""))))
    except ValueError:
        raise web.HTTPNotFound() from None
    answer = await api(
        request,
        "identity",
        "POST",
        "/tenants/{tenant}/accounts/me/current-household",
        json={"household_id": household_id},
    )
    session = request[SESSION]
    pool = request.app[POOL]
    if not answer.ok:
        detail = (answer.problem or {}).get("detail") or "Ce foyer n'a pas pu être choisi."
        await sessions.remember(pool, session, **{FLASH: str(detail)})
        return redirect("/compte#abonnements")
    notice = await subscriptions.switched(
        pool, request.app[APIS], session, answer.body, now=request.app[CLOCK].now()
    )
    await sessions.remember(pool, session, **{FLASH: notice})
    return redirect("/")


@_routes.get("/compte/adresse-e-mail")
async def email_page(request: web.Request) -> web.Response:
    await token(request)
    return await _email_form(request, "")


async def _email_form(
    request: web.Request, new_email: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "account_email.html.j2",
        {
            "title": "Erreur : changer d'adresse e-mail" if errors else "Changer d'adresse e-mail",
            "new_email": new_email,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@_routes.post("/compte/adresse-e-mail")
async def change_email(request: web.Request) -> web.Response:
    form = await request.post()
    new_email = str(form.get("new_email", "")).strip()
    password = str(form.get("password", ""))
    missing = {}
    if not new_email:
        missing["new_email"] = "Saisissez votre nouvelle adresse e-mail."
    if not password:
        missing["password"] = "Saisissez votre mot de passe."
    if missing:
        await token(request)
        return await _email_form(request, new_email, FormErrors(missing), status=422)
    answer = await api(
        request,
        "identity",
        "POST",
        "/tenants/{tenant}/me/email",
        json={"new_email": new_email, "password": password},
    )
    if not answer.ok:
        errors = account.field_errors(answer.problem, EMAIL_FIELDS)
        return await _email_form(request, new_email, errors, status=422)
    return redirect("/compte?adresse-e-mail=1")


@_routes.get("/{tenant}/email/confirm")
async def confirm_email_page(request: web.Request) -> web.Response:
    link_tenant(request)
    await current_session(request)
    return await render(
        request,
        "account_email_confirm.html.j2",
        {"title": "Confirmer ma nouvelle adresse e-mail", "token": request.query.get("token", "")},
    )


@_routes.post("/{tenant}/email/confirm")
async def confirm_email(request: web.Request) -> web.Response:
    link_tenant(request)
    form = await request.post()
    status, body = await public_call(
        request, "POST", "/tenants/{tenant}/email/confirm", json={"token": str(form.get("token"))}
    )
    if status != 200:
        return await link_refused(request, status, body, resend="/compte/adresse-e-mail")
    return await render(
        request,
        "account_email_done.html.j2",
        {"title": "Adresse e-mail modifiée", "detail": (body or {}).get("detail", "")},
    )


# --- terms of use -------------------------------------------------------------------------


@_routes.get("/conditions")
async def terms_page(request: web.Request) -> web.Response:
    return await _terms(request)


async def _terms(
    request: web.Request, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    session = request.get(SESSION)
    status_of_mine: dict[str, object] = {}
    if session is not None and session.logged_in:
        await token(request)
        rules, mine = await asyncio.gather(
            signup.town_rules(request), api(request, "identity", "GET", "/tenants/{tenant}/me")
        )
        status_of_mine = (mine.body or {}).get("terms") or {} if mine.ok else {}
    else:
        await current_session(request)
        rules = await signup.town_rules(request)
    return await render(
        request,
        "terms.html.j2",
        {
            "title": "Conditions d'utilisation",
            "terms": rules["terms"],
            "mine": status_of_mine,
            "target": security.safe_next(request.query.get("suite")),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@_routes.post("/conditions")
async def accept_terms(request: web.Request) -> web.Response:
    form = await request.post()
    version = str(form.get("version", ""))
    if not version.isdigit():
        raise web.HTTPNotFound()
    answer = await api(
        request, "identity", "POST", "/tenants/{tenant}/me/terms", json={"version": int(version)}
    )
    if not answer.ok:
        errors = FormErrors(general=str((answer.problem or {}).get("detail") or ""))
        return await _terms(request, errors, status=409 if answer.status == 409 else 422)
    step = await sessions.new_tokens(
        request.app[POOL],
        request.app[APIS],
        request[SESSION],
        answer.body,
        now=request.app[CLOCK].now(),
    )
    if step:
        return redirect(account.STEP_PAGES[step])
    return redirect(security.safe_next(str(form.get("suite", ""))))


# --- my household's data ------------------------------------------------------------------


@_routes.get("/compte/donnees")
async def privacy(request: web.Request) -> web.Response:
    answer = await api(request, "family", "GET", "/tenants/{tenant}/me/household/deletion-request")
    linked = answer.ok
    if not answer.ok and answer.status not in (403, 404):
        raise web.HTTPNotFound()
    requests = (answer.body or {}).get("items", []) if linked else []
    return await render(
        request,
        "privacy.html.j2",
        {
            "title": "Mes données personnelles",
            "linked": linked,
            "requests": requests,
            "pending": any(r.get("status") == "pending" for r in requests),
        },
    )


@_routes.get("/compte/donnees/export")
async def export(request: web.Request) -> web.StreamResponse:
    """The household's file as family exports it, downloaded as a JSON file."""
    path = f"/tenants/{request.app[SETTINGS].tenant}/me/household/export"
    found = await request.app[APIS].download("family", path, token=await token(request))
    if found.status == 401:
        found = await request.app[APIS].download(
            "family", path, token=await token(request, force=True)
        )
    if found.status in (403, 404):
        return redirect("/compte/donnees")
    if found.status != 200:
        raise web.HTTPNotFound()
    day = request.app[CLOCK].now().date().isoformat()
    return web.Response(
        body=found.content,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "Content-Disposition": f'attachment; filename="mes-donnees-{day}.json"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@_routes.get("/compte/donnees/suppression")
async def deletion_page(request: web.Request) -> web.Response:
    await token(request)
    return await _deletion_form(request, "")


async def _deletion_form(
    request: web.Request, message: str, errors: FormErrors | None = None, status: int = 200
) -> web.Response:
    return await render(
        request,
        "privacy_deletion.html.j2",
        {
            "title": "Erreur : demander la suppression" if errors else "Demander la suppression",
            "message": message,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@_routes.post("/compte/donnees/suppression")
async def ask_for_deletion(request: web.Request) -> web.Response:
    form = await request.post()
    message = str(form.get("message", "")).strip()
    if form.get("confirmation") != "oui":
        await token(request)
        errors = FormErrors({"confirmation": "Cochez la case pour confirmer votre demande."})
        return await _deletion_form(request, message, errors, status=422)
    answer = await api(
        request,
        "family",
        "POST",
        "/tenants/{tenant}/me/household/deletion-request",
        json={"message": message},
    )
    if answer.status == 409:
        return redirect("/compte/donnees")  # one is already pending: the page says so
    if not answer.ok:
        errors = account.field_errors(answer.problem, ("message",))
        return await _deletion_form(request, message, errors, status=422)
    return redirect("/compte/donnees?suppression=1")


# --- notifications --------------------------------------------------------------------------


@_routes.get("/notifications")
async def notifications(request: web.Request) -> web.Response:
    answer = await api(
        request, "notify", "GET", "/tenants/{tenant}/me/notifications", params={"limit": "50"}
    )
    if not answer.ok:
        raise web.HTTPNotFound()
    items = [
        {**n, "target": account.notification_target(str(n.get("kind", "")))}
        for n in account.unread_first(answer.body.get("items", []))
    ]
    return await render(
        request,
        "notifications.html.j2",
        {
            "title": "Notifications",
            "items": items,
            "unread_count": answer.body.get("unread_count", 0),
        },
    )


@_routes.get("/notifications/non-lues")
async def unread_count(request: web.Request) -> web.Response:
    """The menu's unread count, asked by htmx once the page is shown (the page itself is not
    slowed); nothing when there is nothing to say or it cannot be read."""
    session = request.get(SESSION)
    if session is None or not session.logged_in or session.data.get(account.PENDING):
        return web.Response(text="", content_type="text/html")
    try:
        answer = await api(
            request,
            "notify",
            "GET",
            "/tenants/{tenant}/me/notifications",
            params={"unread": "true", "limit": "1"},
        )
    except (LoginRequired, ApiUnavailable):
        answer = None
    count = int((answer.body or {}).get("unread_count") or 0) if answer and answer.ok else 0
    if not count:
        return web.Response(text="", content_type="text/html")
    plural = "s" if count > 1 else ""
    return web.Response(
        text=f'<span class="menu-count">{count}'
        f'<span class="visually-hidden"> non lue{plural}</span></span>',
        content_type="text/html",
    )


@_routes.post("/notifications/{notification_id}/lue")
async def read_one(request: web.Request) -> web.Response:
    try:
        found = str(uuid.UUID(request.match_info["notification_id"]))
    except ValueError:
        raise web.HTTPNotFound() from None
    answer = await api(
        request, "notify", "POST", f"/tenants/{{tenant}}/me/notifications/{found}/read"
    )
    if not answer.ok and answer.status != 404:
        raise web.HTTPNotFound()
    return redirect(f"/notifications#notification-{found}")


@_routes.post("/notifications/toutes-lues")
async def read_all(request: web.Request) -> web.Response:
    await api(request, "notify", "POST", "/tenants/{tenant}/me/notifications/read")
    return redirect("/notifications?toutes-lues=1")


routes: list[web.AbstractRouteDef] = [*signup.routes, *passwords.routes, *_routes]
