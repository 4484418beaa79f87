"""Middlewares: request context, load shedding, metrics, problem+json errors."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import asyncpg
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from shared.errors import DomainError, Problem
from shared.http.requests import nul_problem
from shared.keys import METRICS, SETTINGS
from shared.logging import get_logger

log = get_logger("http")

REQUEST_ID = web.RequestKey("request_id", str)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PROBLEM_TYPE = "application/problem+json"


def _route(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request an id (ours or the gateway's) carried by each log line."""
    incoming = request.headers.get("X-Request-ID", "")
    request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    correlation = request.headers.get("X-Correlation-ID", "")
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(
        request_id=request_id,
        correlation_id=correlation if _SAFE_ID.match(correlation) else request_id,
        tenant=request.match_info.get("tenant"),
    )
    try:
        response = await handler(request)
    finally:
        structlog.contextvars.clear_contextvars()
    response.headers["X-Request-ID"] = request_id
    return response


@web.middleware
async def nul_bytes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a NUL (`%00`) in the query string or a path parameter, once for every route:
    Postgres refuses it in text, and no parameter of ours ever holds one. The query's
    parameters get a 422 naming them, a path parameter a 400 naming it."""
    query = [
        key.replace("\x00", "\ufffd")
        for key, value in request.query.items()
        if "\x00" in key or "\x00" in value
    ]
    if query:
        raise nul_problem(
            sorted(set(query)), "Ce paramètre contient un caractère interdit (caractère nul)."
        )
    path = [name for name, value in request.match_info.items() if "\x00" in value]
    if path:
        raise Problem(
            400,
            "invalid-path",
            "Invalid path",
            "L'adresse contient un caractère interdit (caractère nul).",
            errors=[{"field": name, "detail": "Caractère nul interdit."} for name in path],
        )
    return await handler(request)


def load_shedding(max_inflight: int) -> web.middleware:  # type: ignore[valid-type]
    """Past `max_inflight` concurrent requests, answer 503 at once instead of timing out."""
    inflight = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal inflight
        if request.path in ("/healthz", "/readyz", "/metrics"):
            return await handler(request)
        if inflight >= max_inflight:
            request.app[METRICS].shed.inc()
            raise Problem(
                503,
                "overloaded",
                "Service overloaded",
                "Le service est très sollicité ; merci de réessayer dans un instant.",
                headers={"Retry-After": "1"},
            )
        inflight += 1
        try:
            return await handler(request)
        finally:
            inflight -= 1

    return middleware


@web.middleware
async def metrics(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        route = _route(request)
        m = request.app[METRICS]
        m.requests.labels(request.method, route, str(status)).inc()
        m.latency.labels(request.method, route).observe(time.perf_counter() - started)
        log.info(
            "request",
            method=request.method,
            route=route,
            status=status,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
        )


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure becomes an RFC 9457 application/problem+json answer."""
    try:
        return await handler(request)
    except Problem as problem:
        return problem_response(request, problem)
    except DomainError as error:
        return problem_response(request, Problem.from_domain(error))
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SETTINGS].max_body_bytes
        return problem_response(
            request,
            Problem(
                413,
                "payload-too-large",
                "Payload too large",
                f"Le contenu envoyé est trop volumineux (maximum {limit} octets).",
                max_bytes=limit,
            ),
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return problem_response(request, _from_http_exception(exc))
    except (
        OSError,
        asyncpg.InterfaceError,
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
    ) as exc:
        # The database is restarting or unreachable: the pool heals by itself, retry soon.
        log.warning("dependency_unavailable", error=repr(exc))
        return problem_response(
            request,
            Problem(
                503,
                "temporarily-unavailable",
                "Temporarily unavailable",
                "Le service est momentanément indisponible ; merci de réessayer.",
                headers={"Retry-After": "2"},
            ),
        )
    except TimeoutError:
        log.warning("request_timeout", exc_info=True)
        return problem_response(
            request,
            Problem(
                503,
                "temporarily-unavailable",
                "Temporarily unavailable",
                "Le service est momentanément indisponible ; merci de réessayer.",
                headers={"Retry-After": "2"},
            ),
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        error_id = uuid.uuid4().hex
        log.exception("unhandled_error", error_id=error_id)
        return problem_response(
            request,
            Problem(
                500,
                "internal-error",
                "Internal error",
                "Une erreur inattendue s'est produite ; elle a été enregistrée.",
                error_id=error_id,
            ),
        )


_HTTP_PROBLEMS = {
    404: ("not-found", "Not found", "Cette adresse n'existe pas."),
    405: (
        "method-not-allowed",
        "Method not allowed",
        "Cette opération n'est pas possible à cette adresse.",
    ),
    413: ("payload-too-large", "Payload too large", "Le contenu envoyé est trop volumineux."),
    415: ("unsupported-media-type", "Unsupported media type", "Format de contenu non accepté."),
}


def _from_http_exception(exc: web.HTTPException) -> Problem:
    code, title, detail = _HTTP_PROBLEMS.get(
        exc.status, ("http-error", exc.reason, "La requête n'a pas pu être traitée.")
    )
    headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
    return Problem(exc.status, code, title, detail, headers=headers)


def problem_response(request: web.Request, problem: Problem) -> web.Response:
    body = problem.body(request.path, request.get(REQUEST_ID))
    response = web.json_response(body, status=problem.status, content_type=PROBLEM_TYPE)
    response.headers.update(problem.headers)
    return response
