"""Certificates as PDF ("édition de documents" [000]): attendance, payments, and the yearly
childcare expenses for the tax credit; a family downloads its own household's, staff any
of the tenant's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from aiohttp import web

from billing.api.access import anyone, now, own_household, pool, viewer
from billing.domain.documents import local_date
from billing.schemas import AttendanceCertificateQuery, ChildcareCertificateQuery, PeriodQuery
from billing.state import PDF
from billing.usecases import certificates
from billing.usecases.pdfs import Pdf
from shared.auth import Caller
from shared.http.openapi import doc
from shared.http.requests import path_uuid, read_query
from shared.http.uploads import download

routes = web.RouteTableDef()
TAGS = ["certificates"]
RESPONSES = {
    403: "Another household",
    404: "Nothing to certify (or an unknown child)",
    422: "Invalid period",
}


async def _payers(request: web.Request, caller: Caller, query: dict[str, Any]) -> list[UUID] | None:
    """Whose documents a certificate sums. A separated parent's account: its own payer's
    only (each parent declares their own share; nothing is certified twice); another family
    account: the household's. Staff: the household's, or one payer's (the household's own
    joint documents with `payer_id` = the household)."""
    seen = await viewer(request, caller)
    if seen is not None:
        return seen.own_payers or [seen.household_id]
    return [query["payer_id"]] if query.get("payer_id") else None


def _pdf(pdf: Pdf) -> web.Response:
    return download(pdf.filename, "application/pdf", pdf.content)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/certificates/attendance")
@doc(
    "Attendance certificate: the days a child was present per activity over a period, a page "
    "per régie (staff, or its family)",
    query=AttendanceCertificateQuery,
    tags=TAGS,
    files=["application/pdf"],
    responses=RESPONSES,
)
async def attendance_certificate(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    query = read_query(request, AttendanceCertificateQuery())
    pdf = await certificates.attendance_certificate(
        pool(request),
        request.app[PDF],
        caller.tenant,
        household_id,
        query,
        today=local_date(now(request)),
    )
    return _pdf(pdf)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/certificates/payments")
@doc(
    "Payment certificate: the invoices issued over a period and what settled them (payments "
    "are not recorded yet: the credit notes deducted), a page per régie (staff, or its family)",
    query=PeriodQuery,
    tags=TAGS,
    files=["application/pdf"],
    responses=RESPONSES,
)
async def payments_certificate(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    query = read_query(request, PeriodQuery())
    pdf = await certificates.payments_certificate(
        pool(request),
        request.app[PDF],
        caller.tenant,
        household_id,
        query,
        payer_ids=await _payers(request, caller, query),
        today=local_date(now(request)),
    )
    return _pdf(pdf)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/certificates/childcare")
@doc(
    "Childcare-expense certificate for the tax credit: per child under 6 on 1 January, the "
    "childcare invoiced in the calendar year less credit notes, a page per régie (staff, or "
    "its family)",
    query=ChildcareCertificateQuery,
    tags=TAGS,
    files=["application/pdf"],
    responses=RESPONSES,
)
async def childcare_certificate(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    query = read_query(request, ChildcareCertificateQuery())
    pdf = await certificates.childcare_certificate(
        pool(request),
        request.app[PDF],
        caller.tenant,
        household_id,
        query["year"],
        payer_ids=await _payers(request, caller, query),
        today=local_date(now(request)),
    )
    return _pdf(pdf)
