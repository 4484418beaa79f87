"""Reminders and recovery: the régies' reminder schedules, running the reminders now, the
overdue invoices and households (staff); an invoice's reminders (its family too); collection
dockets sent to the treasury, as CSV and PDF (staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from marshmallow import Schema

from billing.api.access import actor, anyone, now, pool, staff, viewer
from billing.domain.documents import local_date
from billing.schemas import (
    DocketIn,
    DocketListOut,
    DocketOut,
    DocketsQuery,
    InvoiceRemindersOut,
    OverdueHouseholdListOut,
    OverdueInvoiceListOut,
    OverdueQuery,
    RecoverableListOut,
    ReminderScheduleIn,
    ReminderScheduleOut,
    RemindersRunIn,
    RemindersRunOut,
)
from billing.settings import SETTINGS
from billing.state import PDF
from billing.usecases import reminders
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import download
from shared.uow import unit_of_work

routes = web.RouteTableDef()
TAGS = ["reminders and recovery"]


async def _optional_json(request: web.Request, schema: Schema) -> Any:
    """A body whose fields all have defaults may be left out."""
    if not request.can_read_body:
        return schema.load({})
    return await read_json(request, schema)


@routes.get("/tenants/{tenant}/regies/{regie_id}/reminder-schedule")
@doc(
    "The régie's reminder schedule (staff); never set: no reminders",
    response=ReminderScheduleOut,
    tags=TAGS,
    responses={404: "No such régie"},
)
async def get_schedule(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await reminders.schedule(pool(request), caller.tenant, path_uuid(request, "regie_id"))
    return json_response(ReminderScheduleOut(), row)


@routes.put("/tenants/{tenant}/regies/{regie_id}/reminder-schedule")
@doc(
    "Set the régie's reminder schedule (staff): reminders so many days after the due date, "
    "the minimum amount reminded, the days after the last reminder before recovery; it "
    "applies from the next run",
    request=ReminderScheduleIn,
    response=ReminderScheduleOut,
    tags=TAGS,
    responses={404: "No such régie", 422: "Invalid schedule (the field is named)"},
)
async def put_schedule(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, ReminderScheduleIn())
    row = await reminders.set_schedule(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        path_uuid(request, "regie_id"),
        data,
        actor(caller),
        now=now(request),
    )
    return json_response(ReminderScheduleOut(), row)


@routes.post("/tenants/{tenant}/reminders/run")
@doc(
    "Send now the reminders due today to the tenant's unpaid invoices, as the background "
    "sweeper does (staff); each level once per invoice however often it runs. "
    "`dry_run`: list them, send nothing",
    request=RemindersRunIn,
    response=RemindersRunOut,
    tags=TAGS,
)
async def run_reminders(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await _optional_json(request, RemindersRunIn())
    run = await reminders.send_reminders(
        lambda: unit_of_work(request.app, caller.tenant),
        pool(request),
        now=now(request),
        tenant=caller.tenant,
        regie_id=data["regie_id"],
        batch_size=request.app[SETTINGS].reminder_batch_size,
        dry_run=data["dry_run"],
    )
    body = {
        "today": run.today,
        "dry_run": run.dry_run,
        "count": len(run.reminders),
        "reminders": run.reminders,
    }
    return json_response(RemindersRunOut(), body)


@routes.get("/tenants/{tenant}/overdue-invoices")
@doc(
    "Invoices past their due date that still owe something, oldest due first, with their "
    "last reminder and whether they went to recovery (staff)",
    query=OverdueQuery,
    response=OverdueInvoiceListOut,
    tags=TAGS,
)
async def overdue_invoices(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, OverdueQuery())
    body = await reminders.overdue_invoices(
        pool(request), caller.tenant, filters, today=local_date(now(request))
    )
    return json_response(OverdueInvoiceListOut(), body)


@routes.get("/tenants/{tenant}/overdue-households")
@doc(
    "Households with overdue invoices: how many, the amount due, the oldest due date; the "
    "most owed first (staff)",
    query=OverdueQuery,
    response=OverdueHouseholdListOut,
    tags=TAGS,
)
async def overdue_households(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, OverdueQuery())
    body = await reminders.overdue_households(
        pool(request), caller.tenant, filters, today=local_date(now(request))
    )
    return json_response(OverdueHouseholdListOut(), body)


@routes.get("/tenants/{tenant}/invoices/{invoice_id}/reminders")
@doc(
    "The reminders sent for an invoice, and whether it went to recovery (a family: its own)",
    response=InvoiceRemindersOut,
    tags=TAGS,
    responses={404: "No such invoice (or another household's)"},
)
async def invoice_reminders(request: web.Request) -> web.Response:
    caller = anyone(request)
    body = await reminders.invoice_reminders(
        pool(request),
        caller.tenant,
        path_uuid(request, "invoice_id"),
        await viewer(request, caller),
    )
    return json_response(InvoiceRemindersOut(), body)


@routes.get("/tenants/{tenant}/regies/{regie_id}/recoverable-invoices")
@doc(
    "The régie's invoices that may go to recovery today: still owing at least the minimum, "
    "the schedule's last reminder sent long enough ago, not sent already (staff)",
    response=RecoverableListOut,
    tags=TAGS,
    responses={404: "No such régie"},
)
async def recoverable_invoices(request: web.Request) -> web.Response:
    caller = staff(request)
    rows = await reminders.recoverable_invoices(
        pool(request),
        caller.tenant,
        path_uuid(request, "regie_id"),
        today=local_date(now(request)),
    )
    return json_response(RecoverableListOut(), {"invoices": rows})


@routes.post("/tenants/{tenant}/regies/{regie_id}/recovery-dockets")
@doc(
    "Make a collection docket (bordereau de titres): the régie's invoices that may go to "
    "recovery (or those of `invoice_ids`), numbered T-<CODE>-<year>-NNNN; each is in "
    "recovery from then on: no more reminders, no online payment (staff)",
    request=DocketIn,
    response=DocketOut,
    status=201,
    tags=TAGS,
    responses={
        404: "No such régie",
        409: "No schedule, nothing to recover, or invoices that may not go (listed)",
    },
)
async def create_docket(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await _optional_json(request, DocketIn())
    row = await reminders.create_docket(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        path_uuid(request, "regie_id"),
        invoice_ids=data["invoice_ids"],
        actor=actor(caller),
        now=now(request),
    )
    return json_response(DocketOut(), row, status=201)


@routes.get("/tenants/{tenant}/recovery-dockets")
@doc(
    "Collection dockets, newest first (staff)",
    query=DocketsQuery,
    response=DocketListOut,
    tags=TAGS,
)
async def list_dockets(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, DocketsQuery())
    rows = await reminders.dockets(pool(request), caller.tenant, filters)
    return json_response(DocketListOut(), {"dockets": rows})


@routes.get("/tenants/{tenant}/recovery-dockets/{docket_id}")
@doc(
    "A collection docket with its invoices and debtors (staff)",
    response=DocketOut,
    tags=TAGS,
    responses={404: "No such docket"},
)
async def get_docket(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await reminders.docket(pool(request), caller.tenant, path_uuid(request, "docket_id"))
    return json_response(DocketOut(), row)


@routes.get("/tenants/{tenant}/recovery-dockets/{docket_id}/export.csv")
@doc(
    "A collection docket as the finance office sends it to the treasury (staff): a CSV "
    "(`;`, decimal comma, UTF-8 with BOM) with a row per invoice: debtor's name and "
    "address, invoice number, issue and due dates, amount invoiced and to recover, régie",
    tags=TAGS,
    files=["text/csv"],
    responses={404: "No such docket"},
)
async def docket_csv(request: web.Request) -> web.Response:
    caller = staff(request)
    export = await reminders.docket_export(
        pool(request), caller.tenant, path_uuid(request, "docket_id")
    )
    return download(export.filename, "text/csv", export.content, charset="utf-8")


@routes.get("/tenants/{tenant}/recovery-dockets/{docket_id}/pdf")
@doc(
    "A collection docket printed, for the régisseur to sign (staff)",
    tags=TAGS,
    files=["application/pdf"],
    responses={404: "No such docket"},
)
async def docket_pdf(request: web.Request) -> web.Response:
    caller = staff(request)
    pdf = await reminders.docket_pdf(
        pool(request), request.app[PDF], caller.tenant, path_uuid(request, "docket_id")
    )
    return download(pdf.filename, "application/pdf", pdf.content)
