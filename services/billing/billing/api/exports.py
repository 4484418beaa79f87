"""Exports for the town's finance software (staff): a régie's accounting CSV per period."""

from __future__ import annotations

from aiohttp import web

from billing.api.access import pool, staff
from billing.schemas import ExportQuery
from billing.usecases import exports
from shared.http.openapi import doc
from shared.http.requests import path_uuid, read_query
from shared.http.uploads import download

routes = web.RouteTableDef()
TAGS = ["exports"]


@routes.get("/tenants/{tenant}/regies/{regie_id}/exports/accounting.csv")
@doc(
    "The régie's accounting export for a period (staff): a CSV (`;`, decimal comma, UTF-8 "
    "with BOM) with a row per invoice and activity, per credit note and activity (with the "
    "activity's accounting code), and per credit note deducted from an invoice",
    query=ExportQuery,
    tags=TAGS,
    files=["text/csv"],
    responses={404: "No such régie", 422: "Invalid period"},
)
async def accounting_export(request: web.Request) -> web.Response:
    caller = staff(request)
    query = read_query(request, ExportQuery())
    export = await exports.accounting_csv(
        pool(request),
        caller.tenant,
        path_uuid(request, "regie_id"),
        query["start"],
        query["end"],
    )
    return download(export.filename, "text/csv", export.content, charset="utf-8")
