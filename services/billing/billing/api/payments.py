"""Payments: counter payments and their reversal (staff), receipts (a family its own),
remittance slips (staff), the régies' card payment service (staff), online card payments
(a family for its invoices, staff for a household), and the bank's notification and the
browser's return (public: the bank and the browser carry no token; eopayment verifies)."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import actor, anyone, household_of, now, pool, staff, viewer
from billing.domain.errors import TransactionNotFound
from billing.schemas import (
    CardBackendIn,
    CardBackendOut,
    CardPaymentIn,
    CardTransactionListOut,
    CardTransactionOut,
    CardTransactionsQuery,
    CounterPaymentIn,
    PaymentListOut,
    PaymentOut,
    PaymentsQuery,
    RemittanceIn,
    RemittanceListOut,
    RemittanceOut,
    RemittancesQuery,
    ReversalIn,
)
from billing.settings import SETTINGS
from billing.state import PDF
from billing.usecases import card, payments, slips
from shared.errors import DomainError, validation_problem
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import download
from shared.logging import get_logger
from shared.uow import reading, unit_of_work

log = get_logger(__name__)
routes = web.RouteTableDef()
TAGS = ["payments"]


# --- counter payments and receipts -------------------------------------------------------


@routes.post("/tenants/{tenant}/payments")
@doc(
    "Record a counter payment (staff): cash, cheque (number and bank required), CESU, "
    "chèques vacances (ancv) or transfer, spread over the chosen invoices or the oldest "
    "unpaid first, never beyond what each owes; the excess is the payer's credit, deducted "
    "from its next invoices. Numbered R-<CODE>-<year>-NNNNNN; billing.PaymentReceived",
    request=CounterPaymentIn,
    response=PaymentOut,
    status=201,
    tags=TAGS,
    responses={
        404: "No such régie, household, payer or invoice",
        422: "Invalid body, a cheque without its number or bank, an invoice of another "
        "régie or payer",
    },
)
@idempotent
async def record_payment(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, CounterPaymentIn())
    payment_id = await payments.record_counter_payment(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        data,
        actor(caller),
        now=now(request),
    )
    # Read in the request's transaction: under Idempotency-Key it commits with the answer.
    row = await payments.payment(reading(pool(request)), caller.tenant, payment_id)
    return json_response(PaymentOut(), row, status=201)


@routes.get("/tenants/{tenant}/payments")
@doc(
    "Payments, newest first: a family's own, or the tenant's for staff with filters (method, "
    "status, period, remitted or not, an invoice's)",
    query=PaymentsQuery,
    response=PaymentListOut,
    tags=TAGS,
)
async def list_payments(request: web.Request) -> web.Response:
    caller = anyone(request)
    filters = read_query(request, PaymentsQuery())
    rows = await payments.payments(
        pool(request), caller.tenant, filters, await viewer(request, caller)
    )
    return json_response(PaymentListOut(), {"payments": rows})


@routes.get("/tenants/{tenant}/payments/{payment_id}")
@doc(
    "A payment (receipt) with the invoices it settled",
    response=PaymentOut,
    tags=TAGS,
    responses={404: "No such payment (or another household's)"},
)
async def get_payment(request: web.Request) -> web.Response:
    caller = anyone(request)
    row = await payments.payment(
        pool(request),
        caller.tenant,
        path_uuid(request, "payment_id"),
        await viewer(request, caller),
    )
    return json_response(PaymentOut(), row)


@routes.get("/tenants/{tenant}/payments/{payment_id}/pdf")
@doc(
    "A payment's receipt as a PDF: the régie, the payer, the amount, the method and its "
    "reference, the invoices settled and the credit left",
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "No such payment (or another household's)"},
)
async def get_receipt_pdf(request: web.Request) -> web.Response:
    caller = anyone(request)
    pdf = await slips.receipt_pdf(
        pool(request),
        request.app[PDF],
        caller.tenant,
        path_uuid(request, "payment_id"),
        await viewer(request, caller),
    )
    return download(pdf.filename, "application/pdf", pdf.content)


@routes.post("/tenants/{tenant}/payments/{payment_id}/reverse")
@doc(
    "Reverse a payment (staff): a bounced cheque, a payment recorded by mistake. Its invoices "
    "owe again what it settled (opposite ledger entries); never twice",
    request=ReversalIn,
    response=PaymentOut,
    tags=TAGS,
    responses={404: "No such payment", 409: "Already reversed"},
)
async def reverse_payment(request: web.Request) -> web.Response:
    caller = staff(request)
    payment_id = path_uuid(request, "payment_id")
    data = await read_json(request, ReversalIn())
    await payments.reverse_payment(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        payment_id,
        data["reason"],
        now=now(request),
    )
    row = await payments.payment(pool(request), caller.tenant, payment_id)
    return json_response(PaymentOut(), row)


# --- remittance slips --------------------------------------------------------------------


@routes.post("/tenants/{tenant}/remittances")
@doc(
    "Make a remittance slip (staff): a régie's recorded payments of one method (cash, "
    "cheque, CESU, ANCV) not yet remitted, all of them (up to `received_to`) or those "
    "chosen; numbered B-<CODE>-<year>-NNNNNN",
    request=RemittanceIn,
    response=RemittanceOut,
    status=201,
    tags=TAGS,
    responses={404: "No such régie", 409: "Nothing to remit, or a payment not remittable"},
)
@idempotent
async def create_remittance(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, RemittanceIn())
    remittance_id = await payments.create_remittance(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        regie_id=data["regie_id"],
        method=data["method"],
        payment_ids=data["payment_ids"],
        received_to=data["received_to"],
        actor=actor(caller),
        now=now(request),
    )
    row = await payments.remittance(reading(pool(request)), caller.tenant, remittance_id)
    return json_response(RemittanceOut(), row, status=201)


@routes.get("/tenants/{tenant}/remittances")
@doc(
    "Remittance slips, newest first (staff)",
    query=RemittancesQuery,
    response=RemittanceListOut,
    tags=TAGS,
)
async def list_remittances(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, RemittancesQuery())
    rows = await payments.remittances(pool(request), caller.tenant, filters)
    return json_response(RemittanceListOut(), {"remittances": rows})


@routes.get("/tenants/{tenant}/remittances/{remittance_id}")
@doc(
    "A remittance slip with its payments (staff)",
    response=RemittanceOut,
    tags=TAGS,
    responses={404: "No such remittance slip"},
)
async def get_remittance(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await payments.remittance(
        pool(request), caller.tenant, path_uuid(request, "remittance_id")
    )
    return json_response(RemittanceOut(), row)


@routes.get("/tenants/{tenant}/remittances/{remittance_id}/csv")
@doc(
    "A remittance slip as a CSV (staff; `;`, decimal comma, UTF-8 with BOM): one row per "
    "payment (receipt, date, payer, reference, amount) and the total",
    tags=TAGS,
    files=["text/csv"],
    responses={404: "No such remittance slip"},
)
async def get_remittance_csv(request: web.Request) -> web.Response:
    caller = staff(request)
    export = await slips.remittance_csv(
        pool(request), caller.tenant, path_uuid(request, "remittance_id")
    )
    return download(export.filename, "text/csv", export.content, charset="utf-8")


@routes.get("/tenants/{tenant}/remittances/{remittance_id}/pdf")
@doc(
    "A remittance slip as a PDF (staff), to hand over with the cheques or titles",
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "No such remittance slip"},
)
async def get_remittance_pdf(request: web.Request) -> web.Response:
    caller = staff(request)
    pdf = await slips.remittance_pdf(
        pool(request), request.app[PDF], caller.tenant, path_uuid(request, "remittance_id")
    )
    return download(pdf.filename, "application/pdf", pdf.content)


# --- the régies' card payment service ----------------------------------------------------


@routes.put("/tenants/{tenant}/regies/{regie_id}/card-payment")
@doc(
    "Set how the régie takes card payments online (staff): an eopayment backend (PayFIP web "
    "service, TIPI, or the dummy backend) and its options, checked as eopayment describes "
    "them; the return and notification URLs are billing's. Secrets are never returned",
    request=CardBackendIn,
    response=CardBackendOut,
    tags=TAGS,
    responses={404: "No such régie", 422: "An option missing, unknown or invalid"},
)
async def set_card_backend(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, CardBackendIn())
    row = await card.set_backend(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        path_uuid(request, "regie_id"),
        data,
        actor(caller),
        now=now(request),
    )
    return json_response(CardBackendOut(), row)


@routes.get("/tenants/{tenant}/regies/{regie_id}/card-payment")
@doc(
    "How the régie takes card payments online (staff; secrets masked)",
    response=CardBackendOut,
    tags=TAGS,
    responses={409: "Card payment not set up for this régie"},
)
async def get_card_backend(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await card.backend(pool(request), caller.tenant, path_uuid(request, "regie_id"))
    return json_response(CardBackendOut(), row)


# --- online card payments ----------------------------------------------------------------


@routes.post("/tenants/{tenant}/card-payments")
@doc(
    "Pay invoices by card: a family its own unpaid invoices (one régie, one payer), staff a "
    "household's. The amount is what they still owe (`amount_cents`, when given, must be "
    "it). Answers the transaction and the bank's page to send the browser to",
    request=CardPaymentIn,
    response=CardTransactionOut,
    status=201,
    tags=TAGS,
    responses={
        404: "No such invoice (or another household's)",
        409: "Nothing left to pay, the amount due changed, or card payment not set up",
        422: "Invoices of different régies or payers; no email for the bank",
        503: "The payment service does not answer",
    },
)
@idempotent
async def start_card_payment(request: web.Request) -> web.Response:
    caller = anyone(request)
    data = await read_json(request, CardPaymentIn())
    if caller.is_staff:
        if data["household_id"] is None:
            raise validation_problem({"household_id": ["Missing data for required field."]})
        household_id, family_viewer, account_id = data["household_id"], None, None
    else:
        household_id = household_of(caller)
        family_viewer = await viewer(request, caller)
        account_id = actor(caller)
    started = await card.pay_invoices(
        unit_of_work(request.app, caller.tenant),
        pool(request),
        caller.tenant,
        household_id=household_id,
        invoice_ids=data["invoice_ids"],
        amount_cents=data["amount_cents"],
        account_id=account_id,
        email=data["email"],
        created_by=actor(caller),
        now=now(request),
        viewer=family_viewer,
        urls=_urls(request),
    )
    row = await card.transaction(reading(pool(request)), caller.tenant, started["transaction_id"])
    return json_response(CardTransactionOut(), row, status=201)


@routes.get("/tenants/{tenant}/card-payments")
@doc(
    "Card payment transactions, newest first (staff)",
    query=CardTransactionsQuery,
    response=CardTransactionListOut,
    tags=TAGS,
)
async def list_card_payments(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, CardTransactionsQuery())
    rows = await card.transactions(pool(request), caller.tenant, filters)
    return json_response(CardTransactionListOut(), {"transactions": rows})


@routes.get("/tenants/{tenant}/card-payments/{transaction_id}")
@doc(
    "A card payment transaction and its state (a family: its own), e.g. for the portal's "
    "return page while the bank's notification is on its way",
    response=CardTransactionOut,
    tags=TAGS,
    responses={404: "No such transaction (or another household's)"},
)
async def get_card_payment(request: web.Request) -> web.Response:
    caller = anyone(request)
    row = await card.transaction(
        pool(request),
        caller.tenant,
        path_uuid(request, "transaction_id", TransactionNotFound),
        None if caller.is_staff else household_of(caller),
    )
    return json_response(CardTransactionOut(), row)


@routes.post("/tenants/{tenant}/card-payments/{transaction_id}/check")
@doc(
    "Ask the bank now what became of a pending card payment (staff reconciling it)",
    response=CardTransactionOut,
    tags=TAGS,
    description=(
        "What the sweeper does for every silent transaction, for this one at once: PayFIP is "
        "asked; a backend that cannot be asked expires the transaction once past its expiry. "
        "The answer is applied once (PaymentReceived or PaymentRefused). A transaction that is "
        "no longer pending is returned as it is."
    ),
    responses={404: "No such transaction"},
)
async def check_card_payment(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await card.check_now(
        unit_of_work(request.app, caller.tenant),
        pool(request),
        caller.tenant,
        path_uuid(request, "transaction_id", TransactionNotFound),
        now=now(request),
        urls=_urls(request),
    )
    return json_response(CardTransactionOut(), row)


def _urls(request: web.Request) -> card.Urls:
    return card.Urls.of(request.app[SETTINGS])


async def _answer_text(request: web.Request) -> str:
    """What the bank sent: a form body (POST) or the query string (GET), as eopayment reads."""
    if request.method == "POST" and request.can_read_body:
        body = await request.read()
        if body:
            return body.decode("utf-8", errors="replace")
    return request.query_string


@routes.post("/tenants/{tenant}/card-payments/{transaction_id}/notification")
@routes.get("/tenants/{tenant}/card-payments/{transaction_id}/notification")
@doc(
    "The bank's notification of a card payment (public: the payment service calls it). "
    "Verified by eopayment, applied once (a duplicate or late one changes nothing more); "
    "anything unverifiable is refused and changes nothing",
    auth=False,
    tags=TAGS,
    responses={
        200: "Applied, or known already (the bank's expected answer)",
        404: "No such transaction",
        422: "Not verified (unsigned, another transaction's, another amount)",
        503: "The payment service could not be asked",
    },
)
async def card_notification(request: web.Request) -> web.Response:
    tenant = request.match_info["tenant"]
    transaction_id = path_uuid(request, "transaction_id", TransactionNotFound)
    settled = await card.handle_answer(
        lambda: unit_of_work(request.app, tenant),
        pool(request),
        tenant,
        transaction_id,
        await _answer_text(request),
        now=now(request),
        urls=_urls(request),
    )
    return web.Response(text=settled["return_content"] or "OK", content_type="text/plain")


@routes.get("/tenants/{tenant}/card-payments/{transaction_id}/return")
@routes.post("/tenants/{tenant}/card-payments/{transaction_id}/return")
@doc(
    "Where the bank sends the family's browser back (public): the answer it carries is "
    "verified and applied as a notification would be (whichever comes first), then the "
    "browser goes to the portal's <PORTAL_URL>/paiement/retour?transaction=<id>&statut=…",
    auth=False,
    tags=TAGS,
    responses={303: "To the portal", 404: "No such transaction"},
)
async def card_return(request: web.Request) -> web.Response:
    tenant = request.match_info["tenant"]
    transaction_id = path_uuid(request, "transaction_id", TransactionNotFound)
    text = await _answer_text(request)
    status: str | None = None
    if text:
        try:
            settled = await card.handle_answer(
                lambda: unit_of_work(request.app, tenant),
                pool(request),
                tenant,
                transaction_id,
                text,
                now=now(request),
                urls=_urls(request),
            )
            status = settled["status"]
        except DomainError as exc:  # the notification will tell; the family sees the state
            log.info("card_return_not_applied", transaction_id=str(transaction_id), error=exc.code)
    if status is None:
        status = (await card.transaction(pool(request), tenant, transaction_id))["status"]
    raise web.HTTPSeeOther(_urls(request).portal_return(transaction_id, status))
