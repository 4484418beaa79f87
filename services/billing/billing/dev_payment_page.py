"""A local stand-in of eopayment's dummy payment page, so that a card payment can be
completed on a developer's machine.

eopayment's `dummy` backend sends the browser to https://dummy-payment.entrouvert.com/,
which cannot reach a billing running on localhost: in development nobody could finish a
payment. Outside production (`APP_ENV` other than `production`), when a régie's backend is
`dummy`, billing hands the browser its own page instead (`card.Urls.payment_page`):
`<BILLING_PUBLIC_URL>/dev/dummy-payment?<the query eopayment's dummy request built>`
(transaction_id, amount, email, return_url, direct_notification_url, origin, orderid,
subject). It speaks the real page's protocol (`dummy_page.py`):

1. `GET` shows the payment (HTML, French): the amount in euros, the reference, the subject,
   and three buttons, « Payer », « Refuser », « Abandonner ».
2. The button posts the original query back (a hidden field) with the choice. The stand-in
   then sends the dummy's answer (`signed`, and `ok` when paid, `reason` otherwise) server to
   server to the query's `direct_notification_url`, through BILLING_PUBLIC_URL like the
   browser (the gateway under `scripts/dev`), where billing verifies it with eopayment's real
   `response()`, as any bank's answer; then, once billing answered 200, it sends the browser
   (303) to `return_url` with the same fields, unsigned, as the real page does. A
   notification that fails (unreachable, timed out, refused) shows the page again with the
   reason, and the browser stays there.

What it trusts: nothing billing does not verify anyway. It only ever calls billing's own
notification URL, of a transaction that exists, was started with the dummy backend and
carries the query's bank transaction id (so the page cannot be made to call anything else);
whatever else the query says, the amount included, billing checks when notified (a forged
amount is refused there, and the page says so). There is no token, no cookie and no session
to steal: the browser arrives by redirect, and anyone able to post this form could post the
same signed answer to the notification URL directly. The dummy backend itself is meant for
tests only; in production the route answers 404 and the URL is never rewritten.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp

from billing import render
from billing.domain.money import euros
from billing.dummy_page import PageAnswer, page_answer
from shared.logging import get_logger
from shared.settings import ServiceSettings

log = get_logger(__name__)

PATH = "/dev/dummy-payment"
# How long billing may take to answer the notification before the page says it failed.
NOTIFICATION_TIMEOUT_SECONDS = 10.0
# The buttons: their value, their label, and the dummy's answer (paid, or the reason why not).
CHOICES: dict[str, tuple[str, bool, str]] = {
    "pay": ("Payer", True, ""),
    "refuse": ("Refuser", False, "refusé"),
    "abandon": ("Abandonner", False, "abandonné"),
}
STATUS_FR = {
    "pending": "en attente",
    "paid": "payée",
    "refused": "refusée",
    "cancelled": "annulée",
    "expired": "expirée",
}
# The page posts its form to itself (then billing redirects to the return URL, and that to
# the portal: form-action must allow the chain); one inline style sheet; nothing else.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_REQUIRED = ("transaction_id", "amount", "return_url", "direct_notification_url")


def enabled(settings: ServiceSettings) -> bool:
    """The stand-in exists outside production only."""
    return settings.environment != "production"


def url(public_url: str) -> str:
    """Where the stand-in is, as the browser reaches billing."""
    return f"{public_url.rstrip('/')}{PATH}"


def rewritten(payment_url: str, page_url: str) -> str:
    """The dummy backend's payment URL sent to the stand-in: the same query."""
    return f"{page_url}?{urlsplit(payment_url).query}"


class PageRefused(Exception):
    """A query the stand-in does not act on (HTTP status, French reason)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


class NotificationFailed(Exception):
    """billing did not take the notification (French reason, shown on the page)."""


@dataclass(frozen=True)
class PageRequest:
    """The query eopayment's dummy `request()` built, read."""

    query: str  # as received: posted back as it is, answered from
    fields: dict[str, str]
    amount_cents: int
    tenant: str  # the transaction the notification URL is about
    transaction_id: uuid.UUID

    @property
    def bank_transaction_id(self) -> str:
        return self.fields["transaction_id"]

    @property
    def notification_url(self) -> str:
        return self.fields["direct_notification_url"]

    @property
    def return_url(self) -> str:
        return self.fields["return_url"]


def read(query: str, public_url: str) -> PageRequest:
    """The dummy request's query; PageRefused (400) unless it is one, and its notification
    URL is billing's own for a transaction (what the caller then checks in the database)."""
    try:
        parsed = parse_qs(query, keep_blank_values=True, strict_parsing=True, max_num_fields=50)
    except ValueError:
        raise PageRefused(400, "Cette demande de paiement est illisible.") from None
    fields = {k: v[0] for k, v in parsed.items()}
    missing = [k for k in _REQUIRED if not fields.get(k)]
    if missing:
        raise PageRefused(400, "Il manque à cette demande de paiement : " + ", ".join(missing))
    pattern = (
        re.escape(public_url.rstrip("/"))
        + r"/tenants/(?P<tenant>[A-Za-z0-9_-]+)/card-payments/(?P<id>[0-9a-fA-F-]{36})"
        r"/notification"
    )
    target = re.fullmatch(pattern, fields["direct_notification_url"])
    if target is None:
        raise PageRefused(
            400,
            "Cette page ne notifie que billing lui-même (BILLING_PUBLIC_URL) : l'adresse "
            "de notification de cette demande n'est pas la sienne.",
        )
    try:
        transaction_id = uuid.UUID(target["id"])
    except ValueError:
        raise PageRefused(400, "Cette demande de paiement est illisible.") from None
    return PageRequest(
        query=query,
        fields=fields,
        amount_cents=_cents(fields["amount"]),
        tenant=target["tenant"],
        transaction_id=transaction_id,
    )


def _cents(amount: str) -> int:
    """eopayment's amount (euros with a decimal point, "16.60") in cents."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        raise PageRefused(400, f"Le montant de cette demande de paiement est illisible ({amount}).")
    return int(value * 100)


def answer(page: PageRequest, choice: str) -> PageAnswer:
    """What the real dummy page answers for this button: signed, to the notification."""
    _, paid, reason = CHOICES[choice]
    return page_answer(f"?{page.query}", paid=paid, reason=reason or "refusé")


def return_location(page: PageRequest, choice: str) -> str:
    """Where the browser goes once billing was notified: `return_url` with the same fields,
    unsigned, as the real page sends it."""
    _, paid, reason = CHOICES[choice]
    fields = page_answer(f"?{page.query}", paid=paid, signed=False, reason=reason or "refusé")
    separator = "&" if urlsplit(fields.return_url).query else "?"
    return f"{fields.return_url}{separator}{fields.body}"


async def notify(
    sent: PageAnswer, *, timeout: float | None = None, request_id: str | None = None
) -> None:
    """POST the answer to billing's notification URL (form-encoded, as the real page does);
    NotificationFailed unless billing answers 200 in time."""
    limit = NOTIFICATION_TIMEOUT_SECONDS if timeout is None else timeout
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if request_id:
        headers["X-Correlation-ID"] = request_id
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=limit)) as http,
            http.post(
                sent.notification_url,
                data=sent.body.encode(),
                headers=headers,
                allow_redirects=False,
            ) as response,
        ):
            status, text = response.status, await response.text(errors="replace")
    except TimeoutError:
        raise NotificationFailed(
            f"billing n'a pas répondu à la notification en {limit:g} secondes "
            f"({sent.notification_url})."
        ) from None
    except aiohttp.ClientError as exc:
        raise NotificationFailed(
            f"billing est injoignable à l'adresse de notification {sent.notification_url} "
            f"({type(exc).__name__}) : BILLING_PUBLIC_URL doit être l'adresse où le navigateur "
            "et billing lui-même l'atteignent (la passerelle sous scripts/dev)."
        ) from None
    if status != 200:
        raise NotificationFailed(
            f"billing a refusé la notification (HTTP {status}) : {_detail(text)}"
        )


def _detail(text: str) -> str:
    """The French detail of billing's problem+json answer, or the start of the text."""
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return text.strip()[:200] or "réponse vide"


def page(
    request: PageRequest | None,
    *,
    status: str | None = None,
    error: str | None = None,
    refusal: str | None = None,
) -> str:
    """The page as HTML: the payment and its buttons, with the notification's failure when
    there was one; or only why the stand-in refuses the request."""
    fields = request.fields if request else {}
    return render.html(
        "dev_payment_page.html.j2",
        {
            "refusal": refusal,
            "error": error,
            "query": request.query if request else "",
            "amount": euros(request.amount_cents) if request else "",
            "reference": fields.get("orderid") or fields.get("transaction_id", ""),
            "subject": fields.get("subject", ""),
            "email": fields.get("email", ""),
            "origin": fields.get("origin", ""),
            "status": STATUS_FR.get(status or "", status) if status else None,
            "pending": status in (None, "pending"),
            "choices": [(value, label) for value, (label, _, _) in CHOICES.items()],
            "action": PATH.rsplit("/", 1)[1],  # relative: right behind any path prefix
        },
    )
