"""What eopayment's `dummy` payment page answers, for development and tests: the page
(https://dummy-payment.entrouvert.com/) receives the query eopayment's `request()` built
(transaction_id, amount, email, return_url, direct_notification_url, origin, orderid,
subject) and, once the tester chose, posts the payment's fields back to
`direct_notification_url` with `signed` (the dummy's signature) and `ok` when paid (no `ok`:
refused, `reason` saying why; `waiting`: still running), and sends the browser to
`return_url` with the same fields, unsigned. eopayment's dummy `response()` reads exactly
these keys; billing verifies them through it like any bank's answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

ECHOED = ("transaction_id", "amount", "email", "orderid", "origin", "subject")


@dataclass(frozen=True)
class PageAnswer:
    notification_url: str  # the bank's server-to-server call
    return_url: str  # where the browser goes back
    body: str  # the form-encoded fields (POSTed to the notification, in the return's query)


def page_answer(
    payment_url: str, *, paid: bool, signed: bool = True, reason: str = "refusé"
) -> PageAnswer:
    """The dummy page's answer to a payment page it was sent to (`payment_url`)."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(payment_url).query).items()}
    fields = {k: query[k] for k in ECHOED if k in query}
    if paid:
        fields["ok"] = "1"
    else:
        fields["reason"] = reason
    if signed:
        fields["signed"] = "1"
    return PageAnswer(query["direct_notification_url"], query["return_url"], urlencode(fields))
