"""SEPA direct debit: a régie's creditor settings (staff), mandates (a guardian registers and
signs online, staff record a signed paper one; family or staff revoke; read masked, staff's
full read logged), batches and their pain.008 file, and bank rejections (staff)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from billing.api.access import (
    actor,
    anyone,
    feature_allowed,
    household_of,
    now,
    own_household,
    pool,
    staff,
    viewer,
)
from billing.domain.errors import MandateNotFound
from billing.schemas import (
    BankAccessLogOut,
    BankDetailsOut,
    BatchesQuery,
    BatchIn,
    BatchListOut,
    BatchOut,
    DirectDebitRegieListOut,
    HouseholdDebitListOut,
    MandateIn,
    MandateListOut,
    MandateOut,
    MandateSignIn,
    MandatesQuery,
    PageQuery,
    PaperMandateIn,
    RejectionImportOut,
    RejectionIn,
    RejectionOut,
    SepaCreditorIn,
    SepaCreditorOut,
)
from billing.settings import SETTINGS
from billing.state import BANK_VAULT
from billing.usecases import direct_debit, mandates
from shared.auth import Caller, require_caller
from shared.errors import Problem
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import download
from shared.uow import reading, unit_of_work

routes = web.RouteTableDef()
TAGS = ["direct debit"]


# --- the régie's creditor settings (staff) -------------------------------------------------


@routes.put("/tenants/{tenant}/regies/{regie_id}/direct-debit")
@doc(
    "Set how the régie collects by SEPA direct debit: its creditor identifier (ICS), name, "
    "account (IBAN sealed at rest, shown masked) and pre-notification delay (staff)",
    request=SepaCreditorIn,
    response=SepaCreditorOut,
    tags=TAGS,
    responses={404: "No such régie", 422: "Invalid ICS, IBAN or BIC"},
)
async def put_creditor(request: web.Request) -> web.Response:
    caller = staff(request)
    regie_id = path_uuid(request, "regie_id")
    data = await read_json(request, SepaCreditorIn())
    row = await mandates.set_creditor(
        unit_of_work(request.app, caller.tenant),
        request.app[BANK_VAULT],
        caller.tenant,
        regie_id,
        data,
        actor(caller),
        now=now(request),
    )
    return json_response(SepaCreditorOut(), row)


@routes.get("/tenants/{tenant}/regies/{regie_id}/direct-debit")
@doc(
    "The régie's direct-debit settings, the IBAN masked (staff)",
    response=SepaCreditorOut,
    tags=TAGS,
    responses={404: "No such régie", 409: "The régie does not collect by direct debit"},
)
async def get_creditor(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await mandates.creditor(
        pool(request), caller.tenant, path_uuid(request, "regie_id"), now=now(request)
    )
    return json_response(SepaCreditorOut(), row)


@routes.get("/tenants/{tenant}/billing/direct-debit-regies")
@doc(
    "The régies that collect by direct debit, which a mandate may name (staff, or a family: "
    "its portal offers them); no bank details",
    response=DirectDebitRegieListOut,
    tags=TAGS,
)
async def collecting_regies(request: web.Request) -> web.Response:
    caller = anyone(request)
    rows = await mandates.collecting_regies(pool(request), caller.tenant)
    return json_response(DirectDebitRegieListOut(), {"regies": rows})


# --- mandates ------------------------------------------------------------------------------


@routes.post("/tenants/{tenant}/billing/households/{household_id}/mandates")
@doc(
    "Register a direct-debit mandate for the household (or one of its payers) with a régie. "
    "A guardian's waits for the online signature (billing.MandateRequested: the link is "
    "emailed); staff's is a signed paper mandate (`signed_on` required), active at once. "
    "An active mandate replaces the payer's previous one of the régie and applies from the "
    "next invoice",
    request=MandateIn,
    response=MandateOut,
    status=201,
    tags=TAGS,
    description="Staff send PaperMandateIn: MandateIn plus `signed_on`.",
    responses={
        403: "Another household, or the town turned direct debit off (families)",
        404: "No such régie, household or payer",
        409: "The régie does not collect by direct debit",
        422: "Invalid IBAN or BIC",
    },
)
@idempotent
async def register_mandate(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    await feature_allowed(request, caller, "direct_debit")
    seen = await viewer(request, caller)
    data = await read_json(request, PaperMandateIn() if caller.is_staff else MandateIn())
    settings = request.app[SETTINGS]
    mandate_id = await mandates.register_mandate(
        unit_of_work(request.app, caller.tenant),
        request.app[BANK_VAULT],
        caller.tenant,
        household_id,
        data,
        actor=actor(caller),
        family=not caller.is_staff,
        allowed_payers=None if seen is None else seen.payer_ids,
        portal_url=settings.portal_url,
        signature_hours=settings.mandate_signature_hours,
        now=now(request),
    )
    # Read in the request's transaction: under Idempotency-Key it commits with the answer.
    row = await mandates.mandate(reading(pool(request)), caller.tenant, mandate_id)
    return json_response(MandateOut(), row, status=201)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/mandates")
@doc(
    "The household's mandates, newest first, IBANs masked (staff, or its family: its joint "
    "payer's and its own)",
    response=MandateListOut,
    tags=TAGS,
    responses={403: "Another household"},
)
async def household_mandates(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    seen = await viewer(request, caller)
    filters = {"household_id": household_id, "limit": 500}
    if seen is not None:
        filters["payer_ids"] = seen.payer_ids
    rows = await mandates.mandates(pool(request), caller.tenant, filters)
    return json_response(MandateListOut(), {"mandates": rows})


@routes.get("/tenants/{tenant}/mandates")
@doc(
    "The tenant's mandates with filters, newest first, IBANs masked (staff)",
    query=MandatesQuery,
    response=MandateListOut,
    tags=TAGS,
)
async def list_mandates(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, MandatesQuery())
    rows = await mandates.mandates(pool(request), caller.tenant, filters)
    return json_response(MandateListOut(), {"mandates": rows})


@routes.post("/tenants/{tenant}/mandates/sign")
@doc(
    "Sign a mandate online with the token of the emailed link (its household's family; "
    "single use, expiring): active from now, for invoices issued from now on",
    request=MandateSignIn,
    response=MandateOut,
    tags=TAGS,
    responses={
        403: "The town turned direct debit off",
        404: "Unknown link (or another household's)",
        409: "The mandate no longer waits for a signature",
        410: "Link expired or already used",
    },
)
async def sign_mandate(request: web.Request) -> web.Response:
    caller = require_caller(request, ("family",))
    await feature_allowed(request, caller, "direct_debit")
    data = await read_json(request, MandateSignIn())
    mandate_id = await mandates.sign_mandate(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        data["token"],
        household_of(caller),
        now=now(request),
    )
    row = await mandates.mandate(pool(request), caller.tenant, mandate_id)
    return json_response(MandateOut(), row)


async def _seen_mandate(request: web.Request) -> tuple[Caller, dict[str, Any]]:
    """The caller and the mandate of the URL, if the caller may see it (404 otherwise)."""
    caller = anyone(request)
    mandate_id = path_uuid(request, "mandate_id", MandateNotFound)
    seen = await viewer(request, caller)
    row = await mandates.mandate(
        pool(request),
        caller.tenant,
        mandate_id,
        household_id=None if seen is None else seen.household_id,
        payer_ids=None if seen is None else seen.payer_ids,
    )
    return caller, row


@routes.get("/tenants/{tenant}/mandates/{mandate_id}")
@doc(
    "A mandate, its IBAN masked (staff, or its household's family)",
    response=MandateOut,
    tags=TAGS,
    responses={404: "No such mandate (or another household's)"},
)
async def get_mandate(request: web.Request) -> web.Response:
    _, row = await _seen_mandate(request)
    return json_response(MandateOut(), row)


@routes.post("/tenants/{tenant}/mandates/{mandate_id}/revoke")
@doc(
    "Revoke a mandate (its household's family, or staff): nothing more is collected with it",
    response=MandateOut,
    tags=TAGS,
    responses={404: "No such mandate (or another household's)"},
)
async def revoke_mandate(request: web.Request) -> web.Response:
    caller, row = await _seen_mandate(request)
    await mandates.revoke_mandate(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        row["id"],
        revoked_by="staff" if caller.is_staff else "family",
        household_id=None if caller.is_staff else row["household_id"],
        now=now(request),
    )
    row = await mandates.mandate(pool(request), caller.tenant, row["id"])
    return json_response(MandateOut(), row)


@routes.get("/tenants/{tenant}/mandates/{mandate_id}/bank-details")
@doc(
    "A mandate's full bank details (staff): every read is written in the household's bank "
    "details access log",
    response=BankDetailsOut,
    tags=TAGS,
    responses={404: "No such mandate"},
)
async def get_bank_details(request: web.Request) -> web.Response:
    caller = staff(request)
    body = await mandates.bank_details(
        unit_of_work(request.app, caller.tenant),
        request.app[BANK_VAULT],
        caller.tenant,
        path_uuid(request, "mandate_id", MandateNotFound),
        actor=actor(caller),
        roles=sorted(caller.roles),
        now=now(request),
    )
    return json_response(BankDetailsOut(), body)


@routes.get("/tenants/{tenant}/billing/households/{household_id}/bank-details-access-log")
@doc(
    "Who read the household's bank details (a mandate's, or a batch file debiting it), and "
    "when (staff, or its family)",
    response=BankAccessLogOut,
    tags=TAGS,
    responses={403: "Another household"},
)
async def bank_access_log(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    items = await mandates.access_log(pool(request), caller.tenant, household_id)
    return json_response(BankAccessLogOut(), {"items": items})


@routes.get("/tenants/{tenant}/billing/households/{household_id}/direct-debits")
@doc(
    "The household's direct debits, latest collection date first: announced ones (the "
    "pre-notification: amount, date, invoice, mandate, IBAN masked), collected or rejected "
    "with the bank's reason (staff, or its family: its joint payer's and its own)",
    query=PageQuery,
    response=HouseholdDebitListOut,
    tags=TAGS,
    responses={403: "Another household"},
)
async def household_debits(request: web.Request) -> web.Response:
    caller = anyone(request)
    household_id = path_uuid(request, "household_id")
    own_household(caller, household_id)
    seen = await viewer(request, caller)
    page = read_query(request, PageQuery())
    rows = await direct_debit.household_debits(
        pool(request),
        caller.tenant,
        household_id,
        None if seen is None else seen.payer_ids,
        page["limit"],
    )
    return json_response(HouseholdDebitListOut(), {"debits": rows})


# --- batches (staff) -----------------------------------------------------------------------


@routes.post("/tenants/{tenant}/regies/{regie_id}/direct-debit-batches")
@doc(
    "Collect by direct debit, on a date, the régie's issued invoices still due whose payer "
    "has a mandate active since before the invoice: each becomes a payment, each family is "
    "pre-notified (billing.DirectDebitAnnounced), and the pain.008 file is made (checked "
    "against its XSD). Run again for the same date: only what is new (200 with the existing "
    "batch when nothing is) (staff)",
    request=BatchIn,
    response=BatchOut,
    status=201,
    tags=TAGS,
    responses={
        200: "Nothing new: the batch already made for that date",
        404: "No such régie",
        409: "The régie does not collect by direct debit, or nothing to collect",
        422: "Date too early (pre-notification) or not a business day",
    },
)
async def run_batch(request: web.Request) -> web.Response:
    caller = staff(request)
    regie_id = path_uuid(request, "regie_id")
    data = await read_json(request, BatchIn())
    batch_id, created = await direct_debit.run_batch(
        unit_of_work(request.app, caller.tenant),
        request.app[BANK_VAULT],
        caller.tenant,
        regie_id,
        data["collection_date"],
        actor=actor(caller),
        now=now(request),
    )
    row = await direct_debit.batch(pool(request), caller.tenant, batch_id)
    return json_response(BatchOut(), row, status=201 if created else 200)


@routes.get("/tenants/{tenant}/direct-debit-batches")
@doc(
    "The tenant's direct-debit batches, newest first (staff)",
    query=BatchesQuery,
    response=BatchListOut,
    tags=TAGS,
)
async def list_batches(request: web.Request) -> web.Response:
    caller = staff(request)
    filters = read_query(request, BatchesQuery())
    rows = await direct_debit.batches(pool(request), caller.tenant, filters)
    return json_response(BatchListOut(), {"batches": rows})


@routes.get("/tenants/{tenant}/direct-debit-batches/{batch_id}")
@doc(
    "A batch with its debits (invoice, mandate, IBAN masked, sequence type, status) (staff)",
    response=BatchOut,
    tags=TAGS,
    responses={404: "No such batch"},
)
async def get_batch(request: web.Request) -> web.Response:
    caller = staff(request)
    row = await direct_debit.batch(pool(request), caller.tenant, path_uuid(request, "batch_id"))
    return json_response(BatchOut(), row)


@routes.get("/tenants/{tenant}/direct-debit-batches/{batch_id}/pain008")
@doc(
    "The batch's pain.008.001.02 file for the bank (staff): it holds the debtors' IBANs, so "
    "each download is written in the access log of every household it debits",
    tags=TAGS,
    files=["application/xml"],
    responses={404: "No such batch"},
)
async def get_batch_file(request: web.Request) -> web.Response:
    caller = staff(request)
    name, content = await direct_debit.batch_file(
        unit_of_work(request.app, caller.tenant),
        request.app[BANK_VAULT],
        caller.tenant,
        path_uuid(request, "batch_id"),
        actor=actor(caller),
        roles=sorted(caller.roles),
        now=now(request),
    )
    return download(name, "application/xml", content, fallback_name="prelevements")


# --- rejections (staff) --------------------------------------------------------------------


@routes.post("/tenants/{tenant}/direct-debit-rejections")
@doc(
    "Record a bank rejection of a debit (by its id, or by the invoice it collected) with its "
    "ISO reason code: the invoice is due again, the family told, the mandate suspended at "
    "its second rejection; recorded again, nothing changes (`applied` false) (staff)",
    request=RejectionIn,
    response=RejectionOut,
    tags=TAGS,
    responses={404: "No such debit"},
)
async def record_rejection(request: web.Request) -> web.Response:
    caller = staff(request)
    data = await read_json(request, RejectionIn())
    body = await direct_debit.record_rejection(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        item_id=data["item_id"],
        invoice_id=data["invoice_id"],
        reason_code=data["reason_code"],
        actor=actor(caller),
        now=now(request),
    )
    return json_response(RejectionOut(), body)


@routes.post("/tenants/{tenant}/direct-debit-rejections/import")
@doc(
    "Import the bank's rejections: a pain.002 payment status report (XML; DTDs and entities "
    "refused) or a CSV (`end_to_end_id` or `invoice_number`, and `reason_code`), as the "
    "request body; applied in one transaction, each debit once (staff)",
    response=RejectionImportOut,
    tags=TAGS,
    raw_types=["application/xml", "text/csv"],
    responses={413: "Too large", 422: "Unreadable report"},
)
async def import_rejections(request: web.Request) -> web.Response:
    caller = staff(request)
    content = await request.read()  # bounded by HTTP_MAX_BODY_BYTES
    if not content.strip():
        raise Problem(
            422,
            "empty-file",
            "Empty file",
            "Le fichier des rejets est vide.",
            errors=[{"field": "file", "detail": "Le fichier des rejets est vide."}],
        )
    body = await direct_debit.import_rejections(
        unit_of_work(request.app, caller.tenant),
        caller.tenant,
        content,
        actor=actor(caller),
        now=now(request),
    )
    return json_response(RejectionImportOut(), body)
