"""Refunds (staff): a credit note's available amount given back to the payer instead of
being deducted from the next invoice."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import actor, now, pool, staff
from billing.schemas import RefundIn, RefundListOut, RefundOut, RefundsQuery
from billing.usecases import refunds
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.uow import reading, unit_of_work

routes = web.RouteTableDef()
TAGS = ["invoices"]


@routes.post("/tenants/{tenant}/credit-notes/{credit_note_id}/refund")
@doc(
    "Refund what is left of a credit note (transfer, cheque or cash) instead of deducting it "
    "from the next invoice: numbered V-<CODE>-<year>-NNNNNN, written in the ledger (staff)",
    request=RefundIn,
    response=RefundOut,
    status=201,
    tags=TAGS,
    responses={404: "No such credit note", 409: "Nothing left to refund"},
)
@idempotent
async def refund_credit_note(request: web.Request) -> web.Response:
    caller = staff(request)
    credit_note_id = path_uuid(request, "credit_note_id")
    data = await read_json(request, RefundIn())
    refund_id = await refunds.refund_credit_note(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        credit_note_id,
        data["method"],
        data["reference"],
        actor(caller),
        now=now(request),
    )
    # Read in the request's transaction: under Idempotency-Key it commits with the answer.
    row = await refunds.refund(reading(pool(request)), caller.tenant, refund_id)
    return json_response(RefundOut(), row, status=201)


@routes.get("/tenants/{tenant}/refunds")
@doc(
    "The tenant's refunds, newest first, with filters (staff)",
    query=RefundsQuery,
    response=RefundListOut,
    tags=TAGS,
)
async def list_refunds(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, RefundsQuery())
    rows = await refunds.refunds(pool(request), caller.tenant, filters)
    return json_response(RefundListOut(), {"refunds": rows})
