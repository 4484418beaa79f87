"""What every page shares: the session middleware (cookie, CSRF on every POST), rendering
with the town's theme, the calls to the services with the family's token, HTML errors."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any
from urllib.parse import quote

import aiohttp_jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Handler

from shared.http.middlewares import REQUEST_ID
from shared.keys import POOL
from shared.logging import get_logger
from web.apis import Answer, ApiUnavailable, Attachment, Binary, Multipart, RawBody
from web.domain import account, security
from web.domain.theme import Theme, text_on
from web.settings import SETTINGS
from web.state import APIS, CLOCK, THEME
from web.usecases import sessions

log = get_logger(__name__)

SESSION = web.RequestKey("web_session", sessions.Session)
TOKEN = web.RequestKey("web_access_token", str)  # the one this request uses
FLASH = "flash"  # session data: a message the next page shows once (e.g. after a switch)
# Paths that neither read nor need a session (files, probes).
SESSIONLESS = ("/static/", "/theme.css", "/healthz", "/readyz", "/metrics", "/openapi.json")


class LoginRequired(Exception):
    """The page needs a logged-in family: to the login page, back here afterwards."""


STAFF_HOME = "/gestion"  # the back-office's home: the work queue
ANIMATOR_HOME = "/gestion/presences"  # a site animator's only pages: attendance and lists


class StaffOnly(Exception):
    """A back-office page asked by someone who is not the town's staff (or an agent asking
    for an administrator's page): a French 403 saying who may."""

    def __init__(self, message: str = "Cette page est réservée aux agents de la mairie.") -> None:
        super().__init__(message)
        self.message = message


def staff_only(
    request: web.Request, *, admin: bool = False, animator: bool = False
) -> sessions.Session:
    """The staff member's session; LoginRequired without a login, StaffOnly for a family.

    admin: the town's settings, refused to an agent; animator: a page a site animator may
    see too (the page then shows only their sites)."""
    session = request.get(SESSION)
    if session is None or not session.logged_in:
        raise LoginRequired()
    allowed = sessions.is_staff(session) or (animator and sessions.is_animator(session))
    if not allowed:
        raise StaffOnly()
    if admin and not sessions.is_admin(session):
        raise StaffOnly(
            "Cette page est réservée aux administrateurs de la mairie : demandez-leur ce réglage."
        )
    return session


class StepRequired(Exception):
    """The family must first do the step its login left pending (new terms, a password)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def lifetime(app: web.Application) -> security.Lifetime:
    from datetime import timedelta

    settings = app[SETTINGS]
    return security.Lifetime(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_max_hours),
    )


def forwarded_for(request: web.Request) -> str | None:
    """The family's address as the gateway passed it (identity reads the last entry)."""
    return request.headers.get("X-Forwarded-For") or request.remote


async def current_session(request: web.Request) -> sessions.Session:
    """The request's session, an anonymous one started when there is none."""
    found = request.get(SESSION)
    if found is None:
        app = request.app
        found = await sessions.start(
            app[POOL],
            tenant=app[SETTINGS].tenant,
            now=app[CLOCK].now(),
            lifetime=lifetime(app),
        )
        request[SESSION] = found
    return found


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reads the session from the cookie; refuses a POST without the session's CSRF token
    (French 403 page); sets the cookie when the session is new or got a new id."""
    if request.path.startswith(SESSIONLESS):
        return await handler(request)
    app = request.app
    settings = app[SETTINGS]
    found = await sessions.load(
        app[POOL],
        request.cookies.get(security.COOKIE),
        tenant=settings.tenant,
        now=app[CLOCK].now(),
        lifetime=lifetime(app),
    )
    if found is not None:
        request[SESSION] = found
    if request.method == "POST":
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            # Above the portal's client_max_size (HTTP_MAX_BODY_BYTES): nothing was read.
            limit = settings.max_body_bytes // (1024 * 1024) or 1
            context = {**_TOO_LARGE, "message": _TOO_LARGE["message"].format(limit=limit)}
            return await render(request, "error.html.j2", context, status=413)
        except (HttpProcessingError, ValueError, AssertionError):
            # Part headers aiohttp refuses (a NUL in a name), a broken body: nothing was read.
            return await render(request, "error.html.j2", _MALFORMED, status=400)
        if any(
            "\x00" in key or (isinstance(value, str) and "\x00" in value)
            for key, value in form.items()
        ):
            # Nobody types a NUL; Postgres refuses it in text (and JSON session data).
            return await render(request, "error.html.j2", _MALFORMED, status=400)
        given = form.get(security.CSRF_FIELD)
        expected = found.csrf_token if found else None
        if not security.csrf_matches(expected, given if isinstance(given, str) else None):
            log.info("csrf_refused", path=request.path, session=found is not None)
            return await render(request, "csrf.html.j2", {"title": "Action refusée"}, status=403)
    try:
        response = await handler(request)
    except LoginRequired:
        target = request.path_qs if request.method == "GET" else "/"
        response = redirect(f"/connexion?suite={quote(target, safe='')}")
    except StepRequired as exc:
        response = redirect(exc.location)
    except StaffOnly as exc:
        response = await render(
            request, "error.html.j2", {**_STAFF_ONLY, "message": exc.message}, status=403
        )
    session = request.get(SESSION)
    if session is not None and session.changed_id:
        response.set_cookie(
            security.COOKIE,
            session.id,
            httponly=True,
            samesite="Lax",
            secure=settings.secure_cookies,
            path="/",
        )
    return response


@web.middleware
async def html_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The portal's errors as French pages (the foundation answers problem+json)."""
    if request.path.startswith(("/healthz", "/readyz", "/metrics", "/openapi.json")):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPNotFound:
        return await render(request, "error.html.j2", _NOT_FOUND, status=404)
    except web.HTTPMethodNotAllowed:
        return await render(request, "error.html.j2", _NOT_ALLOWED, status=405)
    except ApiUnavailable as exc:
        log.warning("service_unavailable", error=str(exc))
        return await render(request, "error.html.j2", _UNAVAILABLE, status=503)
    except web.HTTPException:
        raise
    except Exception:
        error_id = uuid.uuid4().hex
        log.exception("unhandled_error", error_id=error_id)
        return await render(
            request, "error.html.j2", {**_INTERNAL, "error_id": error_id}, status=500
        )


_NOT_FOUND = {
    "title": "Page introuvable",
    "message": "Cette page n'existe pas ou n'existe plus.",
}
_NOT_ALLOWED = {
    "title": "Action impossible",
    "message": "Cette action n'est pas possible à cette adresse.",
}
_TOO_LARGE = {
    "title": "Fichier trop volumineux",
    "message": "L'envoi dépasse {limit} Mo : rien n'a été enregistré. Revenez à la page "
    "précédente et choisissez un fichier plus léger.",
}
_MALFORMED = {
    "title": "Formulaire illisible",
    "message": "Le formulaire envoyé est mal formé : rien n'a été enregistré. Revenez à la page "
    "précédente et réessayez.",
}
_STAFF_ONLY = {"title": "Accès réservé"}
_UNAVAILABLE = {
    "title": "Service indisponible",
    "message": "Le service est momentanément indisponible ; merci de réessayer dans un instant.",
}
_INTERNAL = {
    "title": "Erreur inattendue",
    "message": "Une erreur inattendue s'est produite ; elle a été enregistrée.",
}


def redirect(location: str) -> web.Response:
    """303 See Other (after a POST, the browser GETs the new page)."""
    return web.Response(status=303, headers={"Location": location})


async def theme(app: web.Application) -> Theme:
    """The town's name, contact and colours (identity's public page of the tenant, notify's
    theme), kept WEB_THEME_CACHE_SECONDS; the defaults for what does not answer."""
    settings = app[SETTINGS]
    cache = app[THEME]
    if cache.theme is not None and time.monotonic() - cache.read_at < settings.theme_cache_seconds:
        return cache.theme

    async def read(service: str, path: str) -> dict[str, Any] | None:
        try:
            answer = await app[APIS].call(service, "GET", path)
        except ApiUnavailable:
            return None
        return answer.body if answer.ok and isinstance(answer.body, dict) else None

    public, styled = await asyncio.gather(
        read("identity", f"/tenants/{settings.tenant}"),
        read("notify", f"/tenants/{settings.tenant}/theme"),
    )
    found = Theme.build(settings.tenant, public, styled)
    if (public is not None and styled is not None) or cache.theme is None:
        cache.theme, cache.read_at = found, time.monotonic()
    return found


async def render(
    request: web.Request, template: str, context: dict[str, Any], *, status: int = 200
) -> web.Response:
    session = request.get(SESSION)
    if session is None and template in ("login.html.j2",):
        session = await current_session(request)
    flash = session.data.get(FLASH) if session else None
    if flash:  # said once, on the next page shown
        await sessions.remember(request.app[POOL], session, **{FLASH: None})
    town = await theme(request.app)
    full = {
        "theme": town,
        "on_primary": text_on(town.primary_color),
        "session": session,
        "logged_in": bool(session and session.logged_in),
        "staff": sessions.is_staff(session) or sessions.is_animator(session),
        "admin": sessions.is_admin(session),
        "animator": sessions.is_animator(session),
        "csrf_field": security.CSRF_FIELD,
        "csrf_token": session.csrf_token if session else "",
        "path": request.path,
        "query": request.query,
        "timezone": request.app[SETTINGS].timezone,
        "flash": flash,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    response.headers["Content-Language"] = "fr"
    return response


async def token(request: web.Request, *, force: bool = False) -> str:
    """The family's access token (refreshed when needed); LoginRequired without one."""
    session = request.get(SESSION)
    if session is None or not session.logged_in:
        raise LoginRequired()
    if step := account.step_redirect(session.data.get(account.PENDING), request.path):
        raise StepRequired(step)
    if not force and (obtained := request.get(TOKEN)):
        return obtained  # this request already has one (e.g. its calls side by side)
    found = await sessions.access_token(
        request.app[POOL],
        request.app[APIS],
        session,
        now=request.app[CLOCK].now(),
        force=force,
        forwarded_for=forwarded_for(request),
    )
    if found is None:
        raise LoginRequired()
    request[TOKEN] = found
    return found


async def api(
    request: web.Request,
    service: str,
    method: str,
    path: str,
    *,
    json: Any = None,
    params: dict[str, str] | None = None,
    form: Multipart | RawBody | None = None,
) -> Answer:
    """A call to a service with the family's token; a 401 (the token expired or was revoked
    meanwhile) is retried once with a refreshed token, then it is the login page. `form`: a
    multipart body (uploads) instead of JSON."""
    tenant = request.app[SETTINGS].tenant
    apis = request.app[APIS]
    for attempt in range(2):
        answer = await apis.call(
            service,
            method,
            path.format(tenant=tenant),
            token=await token(request, force=attempt > 0),
            json=json,
            params=params,
            request_id=request.get(REQUEST_ID),
            form=form,
        )
        if answer.status != 401:
            return answer
    raise LoginRequired()


def attachment(form: Any, name: str = "file") -> Attachment | None:
    """The file the family chose in the form's `name` field (None when it chose none: a
    browser sends an empty part without a file name)."""
    field = form.get(name)
    if not isinstance(field, web.FileField) or not field.filename:
        return None
    content = field.file.read()
    if not content and not field.filename:
        return None
    return Attachment(name, field.filename, field.content_type, content)


def public_origin(request: web.Request) -> str:
    """The address the browser reached (the gateway's, as it forwarded it)."""
    proto = request.headers.get("X-Forwarded-Proto", request.scheme).split(",")[0].strip()
    host = request.headers.get("X-Forwarded-Host", request.host).split(",")[0].strip()
    return f"{proto}://{host}"


# --- files of the services, passed on to the browser -------------------------------------------

DISPOSITION = re.compile(r"^(attachment|inline)(;\s*filename\*?=[^\r\n]*)?$")


async def fetched_file(
    request: web.Request,
    service: str,
    path: str,
    params: dict[str, str] | None = None,
    *,
    json: Any = None,
) -> Binary:
    """A file of a service read with the caller's token (refreshed once on a 401), whatever
    the service answered; `json` given: POSTed with it."""
    apis = request.app[APIS]
    full = path.format(tenant=request.app[SETTINGS].tenant)
    found = await apis.download(service, full, token=await token(request), params=params, json=json)
    if found.status == 401:
        found = await apis.download(
            service, full, token=await token(request, force=True), params=params, json=json
        )
    return found


def file_response(
    found: Binary,
    fallback_name: str,
    *,
    inline: bool = False,
    content_type: str | None = None,
    private: bool = False,
) -> web.Response:
    """The file as the browser gets it: the service's type and name (its name checked, else
    `fallback_name`), never sniffed; `content_type` what the link promises; `private` never
    kept by a cache (family data, bank details)."""
    headers = {**found.headers, "X-Content-Type-Options": "nosniff"}
    headers.pop("Content-Length", None)
    if content_type:
        headers["Content-Type"] = content_type
    if inline:
        headers["Content-Disposition"] = "inline"
    elif not DISPOSITION.match(headers.get("Content-Disposition", "")):
        headers["Content-Disposition"] = f'attachment; filename="{fallback_name}"'
    if inline or private:
        headers["Cache-Control"] = "private, no-store"
    return web.Response(body=found.content, headers=headers)


async def send_file(
    request: web.Request,
    path: str,
    fallback_name: str,
    *,
    service: str = "family",
    inline: bool = False,
    params: dict[str, str] | None = None,
) -> web.Response:
    """A file of a service passed on to the browser; 404 for any answer but 200."""
    found = await fetched_file(request, service, path, params)
    if found.status != 200:
        raise web.HTTPNotFound()
    return file_response(found, fallback_name, inline=inline)
