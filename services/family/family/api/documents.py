"""Supporting documents of a household: uploads and downloads through the household's two
doors (staff's and the family's), and staff's tenant-wide list and decisions."""

from __future__ import annotations

from aiohttp import web
from marshmallow import ValidationError

from family.api.access import Scope, settings, staff, uow
from family.domain.errors import DocumentNotFound
from family.schemas import (
    DocumentFormIn,
    DocumentOut,
    DocumentPageOut,
    DocumentsQuery,
    MyDocumentsQuery,
    RejectIn,
    ValidateDocumentIn,
)
from family.usecases import Actor, File, documents
from shared import files
from shared.errors import validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import download, field_problem, read_form
from shared.keys import POOL

routes = web.RouteTableDef()

UPLOAD_DESCRIPTION = (
    "multipart/form-data: `file` (PDF, JPEG or PNG, detected from the content; at most "
    "`DOCUMENT_MAX_BYTES`, 5 MiB by default), `document_type` (a code of "
    "`GET /tenants/{tenant}/document-types`), optional `member_id` (a guardian or child of the "
    "household; else the document is about the household). 413 too large, 415 not a PDF, "
    "JPEG or PNG (whatever its name), 422 empty file or bad fields. The document waits for "
    "staff validation."
)
DOWNLOAD_DESCRIPTION = "The file as uploaded (attachment), with its detected type."


# --- through the household's doors (staff's and the family's) --------------------------------


async def _upload(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    limits = settings(request)
    form = await read_form(request, max_file_bytes=limits.document_max_bytes)
    try:
        data = DocumentFormIn().load(form.fields)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None
    if form.file is None:
        raise field_problem(
            422, "validation-error", "Invalid request", "file", "Joignez le document (champ file)."
        )
    upload = form.file
    document = await documents.upload_document(
        uow(request, scope.actor),
        scope.actor,
        scope.household_id,
        document_type=data["document_type"],
        member_id=data["member_id"],
        file=File(upload.filename, upload.content_type, upload.content, upload.size, upload.sha256),
        room=None if scope.staff else limits.household_pending_uploads,
    )
    return json_response(DocumentOut(), document, status=201)


async def _household_documents(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    query = read_query(request, MyDocumentsQuery())
    page = await documents.documents(
        request.app[POOL],
        scope.tenant,
        household_id=scope.household_id,
        status=query["status"],
        document_type=query["document_type"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(DocumentPageOut(), page)


async def _household_document(request: web.Request, scope: Scope) -> dict:
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    return await documents.document(
        request.app[POOL], scope.tenant, document_id, scope.household_id
    )


async def _send(
    request: web.Request, actor: Actor, document: dict, *, logged: bool
) -> web.Response:
    """The file; a `logged` download (staff's) of a health document is written in the
    health access log."""
    file = await documents.document_file(uow(request, actor), actor, document, logged=logged)
    return download(file.filename, file.content_type, file.content)


@routes.post("/tenants/{tenant}/households/{household_id}/documents")
@doc(
    "Upload a supporting document (staff)",
    response=DocumentOut,
    status=201,
    tags=["documents"],
    description=UPLOAD_DESCRIPTION,
    responses={413: "File too large", 415: "Not a PDF, JPEG or PNG"},
    form={"file": "file", "document_type": "string", "member_id?": "string"},
)
async def staff_upload_document(request: web.Request) -> web.Response:
    return await _upload(request)


@routes.get("/tenants/{tenant}/households/{household_id}/documents")
@doc(
    "The household's documents (staff)",
    query=MyDocumentsQuery,
    response=DocumentPageOut,
    tags=["documents"],
)
async def staff_household_documents(request: web.Request) -> web.Response:
    return await _household_documents(request)


@routes.get("/tenants/{tenant}/households/{household_id}/documents/{document_id}")
@doc("One of the household's documents (staff)", response=DocumentOut, tags=["documents"])
async def staff_household_document(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    return json_response(DocumentOut(), await _household_document(request, scope))


@routes.get("/tenants/{tenant}/households/{household_id}/documents/{document_id}/content")
@doc(
    "Download one of the household's documents (staff)",
    tags=["documents"],
    description=DOWNLOAD_DESCRIPTION + " A staff download of a health document (certificat"
    " médical) is written in the household's health access log.",
    files=files.DOCUMENTS,
)
async def staff_download_household_document(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    document = await _household_document(request, scope)
    return await _send(request, scope.actor, document, logged=True)


@routes.post("/tenants/{tenant}/me/household/documents")
@doc(
    "Upload a supporting document (family)",
    response=DocumentOut,
    status=201,
    tags=["documents"],
    description=UPLOAD_DESCRIPTION,
    responses={413: "File too large", 415: "Not a PDF, JPEG or PNG"},
    form={"file": "file", "document_type": "string", "member_id?": "string"},
)
async def family_upload_document(request: web.Request) -> web.Response:
    return await _upload(request)


@routes.get("/tenants/{tenant}/me/household/documents")
@doc(
    "The household's documents (family)",
    query=MyDocumentsQuery,
    response=DocumentPageOut,
    tags=["documents"],
)
async def family_household_documents(request: web.Request) -> web.Response:
    return await _household_documents(request)


@routes.get("/tenants/{tenant}/me/household/documents/{document_id}")
@doc("One of the household's documents (family)", response=DocumentOut, tags=["documents"])
async def family_household_document(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    return json_response(DocumentOut(), await _household_document(request, scope))


@routes.get("/tenants/{tenant}/me/household/documents/{document_id}/content")
@doc(
    "Download one of the household's documents (family)",
    tags=["documents"],
    description=DOWNLOAD_DESCRIPTION,
    files=files.DOCUMENTS,
)
async def family_download_household_document(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    document = await _household_document(request, scope)
    return await _send(request, scope.actor, document, logged=False)


# --- staff: every document of the tenant, validation -----------------------------------------


@routes.get("/tenants/{tenant}/documents")
@doc(
    "Documents of the tenant's households, filtered by status, type, household (staff)",
    query=DocumentsQuery,
    response=DocumentPageOut,
    tags=["documents"],
)
async def list_documents(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, DocumentsQuery())
    page = await documents.documents(
        request.app[POOL],
        actor.tenant,
        household_id=query["household_id"],
        status=query["status"],
        document_type=query["document_type"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(DocumentPageOut(), page)


@routes.get("/tenants/{tenant}/documents/{document_id}")
@doc("A document's details (staff)", response=DocumentOut, tags=["documents"])
async def get_document(request: web.Request) -> web.Response:
    actor = staff(request)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    document = await documents.document(request.app[POOL], actor.tenant, document_id)
    return json_response(DocumentOut(), document)


@routes.get("/tenants/{tenant}/documents/{document_id}/content")
@doc(
    "Download a document (staff; a certificat médical download is written in the health "
    "access log)",
    tags=["documents"],
    files=files.DOCUMENTS,
)
async def download_document(request: web.Request) -> web.Response:
    actor = staff(request)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    document = await documents.document(request.app[POOL], actor.tenant, document_id)
    return await _send(request, actor, document, logged=True)


@routes.post("/tenants/{tenant}/documents/{document_id}/validate")
@doc(
    "Validate a document until a date (default: 31 August ending the school year; staff)",
    request=ValidateDocumentIn,
    response=DocumentOut,
    tags=["documents"],
    responses={409: "Already validated or rejected"},
)
async def validate_document(request: web.Request) -> web.Response:
    actor = staff(request)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    body = await read_json(request, ValidateDocumentIn()) if request.body_exists else {}
    document = await documents.validate_document(
        uow(request, actor), actor, document_id, body.get("valid_until")
    )
    return json_response(DocumentOut(), document)


@routes.post("/tenants/{tenant}/documents/{document_id}/reject")
@doc(
    "Reject a document with a reason the family will read (staff)",
    request=RejectIn,
    response=DocumentOut,
    tags=["documents"],
    responses={409: "Already validated or rejected"},
)
async def reject_document(request: web.Request) -> web.Response:
    actor = staff(request)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    reason = (await read_json(request, RejectIn()))["reason"]
    document = await documents.reject_document(uow(request, actor), actor, document_id, reason)
    return json_response(DocumentOut(), document)
