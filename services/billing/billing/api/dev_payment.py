"""The local stand-in of eopayment's dummy payment page (development only; public: the
browser arrives by redirect, without a token). What it does and trusts: dev_payment_page.py.
In production both routes answer 404, as an unknown address."""

from __future__ import annotations

from aiohttp import web

from billing import dev_payment_page as stand_in
from billing.api.access import pool
from billing.domain.errors import TransactionNotFound
from billing.settings import SETTINGS
from billing.usecases import card
from shared.http.middlewares import REQUEST_ID
from shared.http.openapi import doc
from shared.logging import get_logger

log = get_logger(__name__)
routes = web.RouteTableDef()
TAGS = ["payments"]
HEADERS = {
    "Content-Security-Policy": stand_in.CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


@routes.get(stand_in.PATH)
@doc(
    "Development only (404 in production): billing's stand-in of eopayment's dummy payment "
    "page, where the browser is sent for a régie whose backend is `dummy`, with the query "
    "eopayment built. An HTML page (French) with the amount and the buttons Payer, Refuser, "
    "Abandonner",
    auth=False,
    tags=TAGS,
    files=["text/html"],
    responses={
        400: "Not a dummy payment request for billing (HTML)",
        404: "Production, or no such dummy transaction (HTML)",
    },
)
async def dummy_payment_page(request: web.Request) -> web.Response:
    _refuse_in_production(request)
    try:
        page, status = await _read(request, request.rel_url.raw_query_string)
    except stand_in.PageRefused as exc:
        return _html(stand_in.page(None, refusal=exc.reason), exc.status)
    return _html(stand_in.page(page, status=status))


@routes.post(stand_in.PATH)
@doc(
    "Development only (404 in production): a button of the stand-in page (form fields "
    "`query`, the original query, and `choice`: pay, refuse or abandon). Sends billing the "
    "dummy page's signed answer at the transaction's notification URL, verified there by "
    "eopayment, then sends the browser to the return URL with the same fields",
    auth=False,
    tags=TAGS,
    raw_types=["application/x-www-form-urlencoded"],
    files=["text/html"],
    responses={
        303: "Notified: to the transaction's return URL",
        400: "Not a dummy payment request for billing, or no such button (HTML)",
        404: "Production, or no such dummy transaction (HTML)",
        502: "billing did not take the notification: the page again, with why (HTML)",
    },
)
async def dummy_payment_answer(request: web.Request) -> web.Response:
    _refuse_in_production(request)
    form = await request.post()
    query, choice = form.get("query"), form.get("choice")
    try:
        if not isinstance(query, str) or not isinstance(choice, str):
            raise stand_in.PageRefused(400, "Ce formulaire est incomplet.")
        page, status = await _read(request, query)
        if choice not in stand_in.CHOICES:
            raise stand_in.PageRefused(400, "Ce bouton n'existe pas.")
    except stand_in.PageRefused as exc:
        return _html(stand_in.page(None, refusal=exc.reason), exc.status)
    try:
        await stand_in.notify(stand_in.answer(page, choice), request_id=request.get(REQUEST_ID))
    except stand_in.NotificationFailed as exc:
        log.warning(
            "dev_payment_notification_failed",
            transaction_id=str(page.transaction_id),
            choice=choice,
            error=str(exc),
        )
        return _html(stand_in.page(page, status=status, error=str(exc)), 502)
    log.info("dev_payment_answered", transaction_id=str(page.transaction_id), choice=choice)
    raise web.HTTPSeeOther(stand_in.return_location(page, choice))


def _refuse_in_production(request: web.Request) -> None:
    if not stand_in.enabled(request.app[SETTINGS]):
        raise web.HTTPNotFound()


async def _read(request: web.Request, query: str) -> tuple[stand_in.PageRequest, str]:
    """The request, only for a transaction billing started with the dummy backend under
    this bank transaction id, whose return and notification URLs are billing's own; and
    the transaction's status."""
    urls = card.Urls.of(request.app[SETTINGS])
    page = stand_in.read(query, urls.public_url)
    unknown = stand_in.PageRefused(
        404, "billing ne connaît pas de paiement par la banque fictive pour cette demande."
    )
    try:
        tx = await card.transaction(pool(request), page.tenant, page.transaction_id)
    except TransactionNotFound:
        raise unknown from None
    own = urls.transaction(page.tenant, page.transaction_id)
    if (
        tx["backend"] != "dummy"
        or tx["bank_transaction_id"] != page.bank_transaction_id
        or page.notification_url != own["notification"]
        or page.return_url != own["return"]
    ):
        raise unknown
    return page, tx["status"]


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
    )
