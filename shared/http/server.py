"""How a service's HTTP server runs: aiohttp's application runner, whose connections answer
the HTTP parser's own refusals (a request line or a header above the parser's limits, a
malformed request) in problem+json like every other refusal.

aiohttp's parser fails before any request or middleware exists and its connection answers a
plain-text 400 (`RequestHandler.handle_error`); there is no public hook to reword it
(aio-libs/aiohttp#3287), so the connection class is ours: `ProblemRequestHandler`, made by
`ProblemServer`, which `ServiceRunner` builds from the app as `web.AppRunner` does.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import signal
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError, LineTooLong
from aiohttp.web_protocol import RequestHandler

from shared.errors import Problem
from shared.http.middlewares import PROBLEM_TYPE
from shared.logging import get_logger

log = get_logger("http")

# `web.TCPSite`'s options among those a caller of `start`/`run` may give.
SITE_OPTIONS = ("reuse_port", "reuse_address", "backlog", "ssl_context")

URI_TOO_LONG = Problem(414, "uri-too-long", "URI too long", "L'adresse demandée est trop longue.")
HEADER_TOO_LARGE = Problem(
    431,
    "header-too-large",
    "Request header fields too large",
    "Un en-tête de la requête est trop volumineux.",
)
BAD_REQUEST = Problem(
    400, "bad-request", "Bad request", "La requête HTTP est mal formée et n'a pas pu être lue."
)
INTERNAL_ERROR = Problem(
    500,
    "internal-error",
    "Internal error",
    "Une erreur inattendue s'est produite ; elle a été enregistrée.",
)
TIMEOUT = Problem(
    504,
    "timeout",
    "Timeout",
    "Le service n'a pas répondu à temps ; merci de réessayer.",
)


class ProblemRequestHandler(RequestHandler):
    """aiohttp's connection, whose own error answers are problem+json."""

    def __init__(
        self,
        manager: web.Server,
        *,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            manager, max_line_size=max_line_size, max_field_size=max_field_size, **kwargs
        )
        # LineTooLong carries only the limit it passed: the two limits tell which it was.
        self._line_limit, self._field_limit = max_line_size, max_field_size

    def handle_error(
        self,
        request: web.BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if isinstance(exc, HttpProcessingError):
            # A client's malformed or oversized request, not our failure: no traceback.
            if request.writer.output_size > 0:
                raise ConnectionError("Response already sent, cannot send a problem")
            problem = self._parser_problem(exc)
            log.warning("http_parser_refused", status=problem.status, error=str(exc.message)[:200])
            instance = None  # no request line was read: the path is unknown
        else:
            # An exception past every middleware: aiohttp logs it (and refuses to answer
            # twice); only the body changes.
            super().handle_error(request, status, exc, message)
            problem = TIMEOUT if status == 504 else INTERNAL_ERROR
            instance = request.path
        body = problem.body(instance or "", uuid.uuid4().hex)
        if instance is None:
            del body["instance"]
        response = web.json_response(body, status=problem.status, content_type=PROBLEM_TYPE)
        response.force_close()
        return response

    def _parser_problem(self, exc: HttpProcessingError) -> Problem:
        if not isinstance(exc, LineTooLong):
            return BAD_REQUEST
        limit = exc.args[1] if len(exc.args) > 1 else None
        if limit == self._line_limit and limit != self._field_limit:
            return URI_TOO_LONG
        return HEADER_TOO_LARGE


class ProblemServer(web.Server):
    """aiohttp's low-level server, making `ProblemRequestHandler` connections."""

    def __call__(self) -> RequestHandler:
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class ServiceRunner(web.AppRunner):
    """`web.AppRunner` whose server is a `ProblemServer` (same app, same options)."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        return ProblemServer(
            server.request_handler,
            request_factory=server.request_factory,
            handler_cancellation=server.handler_cancellation,
            loop=server._loop,
            **server._kwargs,
        )


async def start(
    app: web.Application, host: str, port: int, **options: Any
) -> tuple[ServiceRunner, web.TCPSite]:
    """Start serving `app` on host:port (port 0: any free one); `options` go to the runner
    (shutdown_timeout, keepalive_timeout, access_log, the parser's limits...)."""
    # The listening socket's options go to the site, the others to the runner.
    site_options = {k: options.pop(k) for k in SITE_OPTIONS if k in options}
    runner = ServiceRunner(app, **options)
    await runner.setup()
    site = web.TCPSite(runner, host, port, **site_options)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner, site


def run(
    app: web.Application,
    host: str,
    port: int,
    *,
    print: Callable[..., Any] | None = builtins.print,
    **options: Any,
) -> None:
    """Serve until SIGTERM/SIGINT, then shut down gracefully: the app's cleanup (consumers
    stopped, outbox drained) runs while its tasks still live, as with `web.run_app`, whose
    `print` (called with its banner once listening: a parent process may wait for it) and
    site options (`reuse_port`...) it takes too."""

    async def serve() -> None:
        loop, main = asyncio.get_running_loop(), asyncio.current_task()
        assert main is not None
        stop = asyncio.Event()
        started = False

        def on_signal() -> None:
            # Once serving, stop in order (below); while starting, abandon the start.
            if started:
                stop.set()
            else:
                main.cancel()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        runner, _ = await start(app, host, port, **options)
        started = True
        if print is not None:
            print(f"======== Running on http://{host}:{port} ========\n(Press CTRL+C to quit)")
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(serve())
