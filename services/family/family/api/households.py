"""The household file: staff open and search households, read a file; a family reads its
own; the household's address and phones change (staff: at once; family: pending)."""

from __future__ import annotations

import json

from aiohttp import web
from marshmallow import ValidationError

from family.api.access import Scope, family, family_edits_allowed, settings, staff, uow
from family.api.edits import edit
from family.schemas import (
    ChangeOut,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdPatchIn,
    NewHouseholdIn,
    SearchQuery,
)
from family.state import VAULT
from family.usecases import File, changes, households
from shared.errors import validation_problem
from shared.http.idempotency import idempotent
from shared.http.openapi import doc
from shared.http.requests import check_json, json_response, read_json, read_query
from shared.http.uploads import field_problem, read_form
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.post("/tenants/{tenant}/households")
@doc(
    "Create a household file with its guardians and children (staff)",
    request=NewHouseholdIn,
    response=HouseholdOut,
    status=201,
    tags=["households"],
)
@idempotent
async def create_household(request: web.Request) -> web.Response:
    actor = staff(request)
    data = await read_json(request, NewHouseholdIn())
    body = await households.create_household(uow(request, actor), actor, data)
    return json_response(HouseholdOut(), body, status=201)


@routes.get("/tenants/{tenant}/households")
@doc(
    "Search households by guardian or child name, email or subscriber code (staff); "
    "`linked=false`: only those no account is linked to (their subscriber-code letters)",
    query=SearchQuery,
    response=HouseholdPageOut,
    tags=["households"],
)
async def search_households(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, SearchQuery())
    per_page = min(query["per_page"], settings(request).search_max_page_size)
    page = await households.search_households(
        request.app[POOL],
        actor.tenant,
        query["q"],
        page=query["page"],
        per_page=per_page,
        linked=query["linked"],
    )
    return json_response(HouseholdPageOut(), page)


@routes.get("/tenants/{tenant}/households/{household_id}")
@doc("A household file (staff)", response=HouseholdOut, tags=["households"])
async def get_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await households.household_file(request.app[POOL], scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


@routes.get("/tenants/{tenant}/me/household")
@doc(
    "My household file (family)",
    response=HouseholdOut,
    tags=["my household"],
    responses={404: "No household linked to the account"},
)
async def my_household(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await households.household_file(request.app[POOL], scope.tenant, scope.household_id)
    return json_response(HouseholdOut(), body)


@routes.patch("/tenants/{tenant}/households/{household_id}")
@doc(
    "Change the address or phones (staff; applied at once)",
    request=HouseholdPatchIn,
    response=HouseholdOut,
    status=200,
    tags=["households"],
)
async def staff_update_household(request: web.Request) -> web.Response:
    return await edit(request, "household", "update")


@routes.patch("/tenants/{tenant}/me/household")
@doc(
    "Change the address or phones (family; stored as pending, staff decide)",
    request=HouseholdPatchIn,
    response=ChangeOut,
    status=202,
    tags=["my household"],
)
async def family_update_household(request: web.Request) -> web.Response:
    return await edit(request, "household", "update")


@routes.post("/tenants/{tenant}/me/household/proved-changes")
@doc(
    "Change the household with its proof in one form (family; pending, staff decide)",
    response=ChangeOut,
    status=202,
    tags=["my household"],
    description="multipart/form-data: `change` (the JSON of a household change, as "
    "`PATCH /me/household` takes it, without `proof_document_id`), `document_type` (default "
    "`justificatif_domicile`) and `file` (the proof: PDF, JPEG or PNG). The document and the "
    "pending change are stored together or not at all; approving the change validates the "
    "document, rejecting it rejects the document with the same reason.",
    responses={413: "File too large", 415: "Not a PDF, JPEG or PNG", 422: "Invalid fields"},
)
async def family_change_with_proof(request: web.Request) -> web.Response:
    actor = family(request)
    scope = await Scope.of(request)
    await family_edits_allowed(request, scope.tenant)
    limits = settings(request)
    form = await read_form(request, max_file_bytes=limits.document_max_bytes)
    try:
        raw = form.fields.get("change") or "{}"
        change = json.loads(raw)
    except (ValueError, RecursionError):
        raise field_problem(
            422, "validation-error", "Invalid request", "change", "Modification illisible."
        ) from None
    check_json(change, raw, field="change")
    if not isinstance(change, dict) or "proof_document_id" in change:
        raise field_problem(
            422, "validation-error", "Invalid request", "change", "Modification illisible."
        )
    try:
        data = HouseholdPatchIn().load(change)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None
    if form.file is None:
        raise field_problem(
            422, "validation-error", "Invalid request", "file", "Joignez le justificatif."
        )
    upload = form.file
    body = await changes.propose_with_proof(
        uow(request, actor),
        actor,
        request.app[VAULT],
        scope.household_id,
        data,
        document_type=form.fields.get("document_type") or "justificatif_domicile",
        file=File(upload.filename, upload.content_type, upload.content, upload.size, upload.sha256),
        room=limits.household_pending_uploads,
    )
    return json_response(ChangeOut(), body, status=202)
