"""Invoices and credit notes: a family sees its household's (current and archived) and, when
separated parents each pay their share, only its own; staff their tenant's with filters;
a document the family may not see is not found."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import anyone, pool, viewer
from billing.schemas import (
    CreditNoteListOut,
    CreditNoteOut,
    CreditNotesQuery,
    InvoiceListOut,
    InvoiceOut,
    InvoicesQuery,
)
from billing.state import PDF
from billing.usecases import invoices, pdfs
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_query
from shared.http.uploads import download

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
    rows = await invoices.invoices_with_lines(
        pool(request), caller.tenant, filters, await viewer(request, caller)
    )
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
        pool(request),
        caller.tenant,
        path_uuid(request, "invoice_id"),
        await viewer(request, caller),
    )
    return json_response(InvoiceOut(), row)


@routes.get("/tenants/{tenant}/invoices/{invoice_id}/pdf")
@doc(
    "An invoice as a PDF: the régie (name, address, logo), the payer, lines per child, total, "
    "credits deducted, already paid, remaining, due date, legal mentions",
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "No such invoice (or another household's)"},
)
async def get_invoice_pdf(request: web.Request) -> web.Response:
    caller = anyone(request)
    pdf = await pdfs.invoice_pdf(
        pool(request),
        request.app[PDF],
        caller.tenant,
        path_uuid(request, "invoice_id"),
        await viewer(request, caller),
    )
    return _pdf(pdf)


def _pdf(pdf: pdfs.Pdf) -> web.Response:
    return download(pdf.filename, "application/pdf", pdf.content)


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
    rows = await invoices.credit_notes(
        pool(request), caller.tenant, filters, await viewer(request, caller)
    )
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
        pool(request),
        caller.tenant,
        path_uuid(request, "credit_note_id"),
        await viewer(request, caller),
    )
    return json_response(CreditNoteOut(), row)


@routes.get("/tenants/{tenant}/credit-notes/{credit_note_id}/pdf")
@doc(
    "A credit note as a PDF: the days credited per child, and the invoices it was deducted from",
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "No such credit note (or another household's)"},
)
async def get_credit_note_pdf(request: web.Request) -> web.Response:
    caller = anyone(request)
    pdf = await pdfs.credit_note_pdf(
        pool(request),
        request.app[PDF],
        caller.tenant,
        path_uuid(request, "credit_note_id"),
        await viewer(request, caller),
    )
    return _pdf(pdf)
