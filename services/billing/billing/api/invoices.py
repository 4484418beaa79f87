"""Invoices and credit notes: a family sees its household's (current and archived), staff
their tenant's with filters; another household's document is not found."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import anyone, pool, restricted_to
from billing.schemas import (
    CreditNoteListOut,
    CreditNoteOut,
    CreditNotesQuery,
    InvoiceListOut,
    InvoiceOut,
    InvoicesQuery,
)
from billing.usecases import invoices
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_query

routes = web.RouteTableDef()
TAGS = ["invoices"]


@routes.get("/tenants/{tenant}/invoices")
@doc(
    "Issued invoices, newest first: a family's own (current: something to pay; archived: "
    "settled), or the tenant's for staff with filters",
    query=InvoicesQuery,
    response=InvoiceListOut,
    tags=TAGS,
)
async def list_invoices(request: web.Request) -> web.Response:
    caller = anyone(request)
    filters = read_query(request, InvoicesQuery())
    own = restricted_to(caller)
    if own is not None:
        filters["household_id"] = own
    rows = await invoices.invoices_with_lines(pool(request), caller.tenant, filters)
    return json_response(InvoiceListOut(), {"invoices": rows})


@routes.get("/tenants/{tenant}/invoices/{invoice_id}")
@doc(
    "An invoice with its lines (the bracket used on each, credits deducted)",
    response=InvoiceOut,
    tags=TAGS,
    responses={404: "No such invoice (or another household's)"},
)
async def get_invoice(request: web.Request) -> web.Response:
    caller = anyone(request)
    row = await invoices.invoice(
        pool(request), caller.tenant, path_uuid(request, "invoice_id"), restricted_to(caller)
    )
    return json_response(InvoiceOut(), row)


@routes.get("/tenants/{tenant}/credit-notes")
@doc(
    "Credit notes, newest first, with what is left to deduct (a family's own; staff: the "
    "tenant's with filters)",
    query=CreditNotesQuery,
    response=CreditNoteListOut,
    tags=TAGS,
)
async def list_credit_notes(request: web.Request) -> web.Response:
    caller = anyone(request)
    filters = read_query(request, CreditNotesQuery())
    own = restricted_to(caller)
    if own is not None:
        filters["household_id"] = own
    rows = await invoices.credit_notes(pool(request), caller.tenant, filters)
    return json_response(CreditNoteListOut(), {"credit_notes": rows})


@routes.get("/tenants/{tenant}/credit-notes/{credit_note_id}")
@doc(
    "A credit note with its lines and the invoices it was deducted from",
    response=CreditNoteOut,
    tags=TAGS,
    responses={404: "No such credit note (or another household's)"},
)
async def get_credit_note(request: web.Request) -> web.Response:
    caller = anyone(request)
    row = await invoices.credit_note(
        pool(request), caller.tenant, path_uuid(request, "credit_note_id"), restricted_to(caller)
    )
    return json_response(CreditNoteOut(), row)
