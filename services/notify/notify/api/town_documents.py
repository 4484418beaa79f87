"""Town documents [000][002]: staff publish them under `/tenants/{tenant}/town-documents`;
every account of the tenant (families and staff, as the information pages) reads those
published and in force today, and staff every one of them with `?all=true`."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from marshmallow import ValidationError

from notify import schemas
from notify.api import attachments
from notify.api.callers import author_of
from notify.domain.errors import TownDocumentNotFound
from notify.settings import SETTINGS
from notify.usecases import town_documents
from shared import files
from shared.auth import require_caller
from shared.errors import Forbidden, validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import Form, Upload
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()

STAFF = ("staff", "admin")
BASE = "/tenants/{tenant}/town-documents"
LISTS = ("activity_ids", "page_slugs")  # comma-separated in a multipart form

RESPONSES = {
    413: "The file is larger than TOWN_DOCUMENT_MAX_BYTES (5 MiB by default)",
    415: "The file is not a PDF, JPEG or PNG (read from its content), or the body is not"
    " multipart/form-data",
}
FORM = {
    "file": "file",
    "title": "string",
    "category": "string",
    "description?": "string",
    "valid_from?": "string",
    "valid_until?": "string",
    "published?": "string",
    "position?": "string",
    "activity_ids?": "string",
    "page_slugs?": "string",
}


def _load_form(form: Form) -> dict[str, Any]:
    """The form's fields through the schema; an empty optional field is as if absent (HTML
    forms), and the links are comma-separated lists."""
    values: dict[str, Any] = {name: value for name, value in form.fields.items() if value != ""}
    for name in LISTS:
        if name in values:
            values[name] = [item.strip() for item in values[name].split(",") if item.strip()]
    try:
        return schemas.TownDocumentIn().load(values)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


async def _one_file(request: web.Request) -> tuple[Form, Upload]:
    form = await attachments.read_form(
        request, max_file_bytes=request.app[SETTINGS].town_document_max_bytes, max_files=1
    )
    if form.file is None:
        raise validation_problem({"file": ["Missing data for required field."]})
    return form, form.file


# --- staff --------------------------------------------------------------------------------
@routes.post(BASE)
@doc(
    "Publish a town document (multipart/form-data: the file and its fields)",
    form=FORM,
    response=schemas.TownDocumentOut,
    status=201,
    tags=["town documents"],
    responses={403: "Not staff of this tenant", **RESPONSES},
    description=(
        "The file in the part `file` (PDF, JPEG or PNG, recognised from its content), the"
        " fields of TownDocumentIn as text parts; `activity_ids` and `page_slugs` are"
        " comma-separated. Validity dates are AAAA-MM-JJ days in Europe/Paris, both included;"
        " either may be left open. Published at once unless `published=false`."
    ),
)
async def create_document(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    form, upload = await _one_file(request)
    data = _load_form(form)
    created = await town_documents.publish_document(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        data,
        upload,
        created_by=author_of(caller),
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(
        schemas.TownDocumentOut(),
        created,
        status=201,
        headers={"Location": f"/tenants/{caller.tenant}/town-documents/{created['id']}"},
    )


@routes.get(BASE + "/{document_id}")
@doc(
    "One town document, whatever its state (staff)",
    response=schemas.TownDocumentOut,
    tags=["town documents"],
    responses={403: "Not staff of this tenant", 404: "No such document"},
)
async def get_document(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", TownDocumentNotFound)
    found = await town_documents.document(
        request.app[POOL],
        caller.tenant,
        document_id,
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.TownDocumentOut(), found)


@routes.patch(BASE + "/{document_id}")
@doc(
    "Change a town document (only the fields given; a list replaces its links of that kind)",
    request=schemas.TownDocumentPatch,
    response=schemas.TownDocumentOut,
    tags=["town documents"],
    responses={
        403: "Not staff of this tenant",
        404: "No such document",
        422: "Invalid field, validity ending before it starts, or unknown information page",
    },
)
async def update_document(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", TownDocumentNotFound)
    data = await read_json(request, schemas.TownDocumentPatch())
    changed = await town_documents.change_document(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        document_id,
        data,
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.TownDocumentOut(), changed)


@routes.post(BASE + "/{document_id}/file")
@doc(
    "Replace a town document's file: a new version, same id, links and validity",
    form={"file": "file"},
    response=schemas.TownDocumentOut,
    tags=["town documents"],
    responses={403: "Not staff of this tenant", 404: "No such document", **RESPONSES},
)
async def replace_file(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", TownDocumentNotFound)
    form, upload = await _one_file(request)
    if form.fields:
        raise validation_problem({name: ["Unknown field."] for name in form.fields})
    changed = await town_documents.replace_file(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        document_id,
        upload,
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.TownDocumentOut(), changed)


@routes.delete(BASE + "/{document_id}")
@doc(
    "Delete a town document, its file and its links",
    status=204,
    tags=["town documents"],
    responses={403: "Not staff of this tenant", 404: "No such document"},
)
async def delete_document(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", TownDocumentNotFound)
    await town_documents.delete_document(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, document_id
    )
    return web.Response(status=204)


# --- every account of the tenant -----------------------------------------------------------
@routes.get(BASE)
@doc(
    "The town documents in force today, by category and position (staff: every one with"
    " `all=true`)",
    query=schemas.TownDocumentQuery,
    response=schemas.TownDocumentList,
    tags=["town documents"],
    responses={403: "`all=true` asked by an account that is not staff"},
)
async def list_documents(request: web.Request) -> web.Response:
    caller = require_caller(request)
    query = read_query(request, schemas.TownDocumentQuery())
    if query["all"] and not caller.is_staff:
        raise Forbidden()
    items = await town_documents.documents(
        request.app[POOL],
        caller.tenant,
        every=query["all"],
        timezone=request.app[SETTINGS].calendar_timezone,
        activity_id=query.get("activity_id"),
        page_slug=query.get("page_slug"),
    )
    return json_response(schemas.TownDocumentList(), {"items": items})


@routes.get(BASE + "/{document_id}/file")
@doc(
    "Download a town document's file (families: only one published and in force today)",
    tags=["town documents"],
    responses={404: "No such document, or not in force for a family"},
    description="The file, with its real Content-Type and a Content-Disposition naming it.",
    files=files.DOCUMENTS,
)
async def download(request: web.Request) -> web.Response:
    caller = require_caller(request)
    document_id = path_uuid(request, "document_id", TownDocumentNotFound)
    row = await town_documents.document_file(
        request.app[POOL],
        caller.tenant,
        document_id,
        every=caller.is_staff,
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return attachments.send(row)
