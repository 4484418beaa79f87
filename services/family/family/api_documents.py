"""Supporting documents of a household: the tenant's document types, uploads by families and
staff, staff validation (with a validity end) or rejection (with a reason), downloads."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from aiohttp import web
from marshmallow import ValidationError

from family import store
from family.api import STAFF, Scope, _bind, path_uuid, settings_of
from family.domain import catalog
from family.operations import Ops, utcnow
from family.runtime import VAULT
from family.schemas import (
    CatalogEntryIn,
    CatalogLabelIn,
    CatalogOut,
    DocumentFormIn,
    DocumentOut,
    DocumentPageOut,
    DocumentsQuery,
    MyDocumentsQuery,
    RejectIn,
    ValidateDocumentIn,
)
from family.uploads import ensure_room
from shared import files
from shared.auth import Caller, require_caller
from shared.errors import DomainError, NotFound, validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.http.uploads import download, field_problem, read_form
from shared.keys import POOL

routes = web.RouteTableDef()


class DocumentNotFound(NotFound):
    code = "document-not-found"
    detail = "Ce document n'existe pas."


class DocumentAlreadyDecided(DomainError):
    code = "document-already-decided"
    kind = "conflict"
    title = "Document already decided"
    detail = "Ce document a déjà été validé ou refusé."


class CatalogEntryNotFound(NotFound):
    code = "catalog-entry-not-found"
    detail = "Ce code n'est pas dans la liste."


class CatalogEntryExists(DomainError):
    code = "catalog-entry-exists"
    kind = "conflict"
    title = "Already in the list"
    detail = "Ce code existe déjà dans la liste."


# --- per-tenant lists (also used by requests) --------------------------------------------


async def _list_catalog(request: web.Request, table: str) -> web.Response:
    caller = require_caller(request, roles=("family", *STAFF))
    items = await store.catalog(request.app[POOL], table, caller.tenant, catalog.DEFAULTS[table])
    return json_response(CatalogOut(), {"items": items})


async def _add_catalog(request: web.Request, table: str) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data = await read_json(request, CatalogEntryIn())
    code = data.get("code") or catalog.slug(data["label"])
    async with request.app[POOL].acquire() as conn, conn.transaction():
        await store.catalog(conn, table, caller.tenant, catalog.DEFAULTS[table])  # seed first
        if not await store.add_catalog_entry(conn, table, caller.tenant, code, data["label"]):
            raise CatalogEntryExists(
                errors=[{"field": "code", "detail": CatalogEntryExists.detail}]
            )
        items = await store.catalog(conn, table, caller.tenant, ())
    return json_response(CatalogOut(), {"items": items}, status=201)


async def _rename_catalog(request: web.Request, table: str) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data = await read_json(request, CatalogLabelIn())
    code = request.match_info["code"]
    async with request.app[POOL].acquire() as conn, conn.transaction():
        await store.catalog(conn, table, caller.tenant, catalog.DEFAULTS[table])  # seed first
        if not await store.rename_catalog_entry(conn, table, caller.tenant, code, data["label"]):
            raise CatalogEntryNotFound()
        items = await store.catalog(conn, table, caller.tenant, ())
    return json_response(CatalogOut(), {"items": items})


for _table, _path, _what in (
    ("document_types", "document-types", "document types"),
    ("request_topics", "request-topics", "request topics"),
):

    def _lister(request: web.Request, table: str = _table) -> Any:
        return _list_catalog(request, table)

    def _adder(request: web.Request, table: str = _table) -> Any:
        return _add_catalog(request, table)

    def _renamer(request: web.Request, table: str = _table) -> Any:
        return _rename_catalog(request, table)

    routes.get(f"/tenants/{{tenant}}/{_path}")(
        doc(
            f"The tenant's {_what} (defaults on first use)",
            response=CatalogOut,
            tags=["lists"],
        )(_bind(_lister))
    )
    routes.post(f"/tenants/{{tenant}}/{_path}")(
        doc(
            f"Add one of the tenant's {_what} (staff)",
            request=CatalogEntryIn,
            response=CatalogOut,
            status=201,
            tags=["lists"],
            responses={409: "The code is already in the list"},
        )(_bind(_adder))
    )
    routes.put(f"/tenants/{{tenant}}/{_path}/{{code}}")(
        doc(
            f"Rename one of the tenant's {_what} (staff): its label changes, its code stays",
            request=CatalogLabelIn,
            response=CatalogOut,
            tags=["lists"],
            responses={404: "No such code in the list"},
        )(_bind(_renamer))
    )


# --- upload, list, download: the household's own door (family) and staff's ---------------


UPLOAD_DESCRIPTION = (
    "multipart/form-data: `file` (PDF, JPEG or PNG, detected from the content; at most "
    "`DOCUMENT_MAX_BYTES`, 5 MiB by default), `document_type` (a code of "
    "`GET /tenants/{tenant}/document-types`), optional `member_id` (a guardian or child of the "
    "household; else the document is about the household). 413 too large, 415 not a PDF, "
    "JPEG or PNG (whatever its name), 422 empty file or bad fields. The document waits for "
    "staff validation."
)


async def _upload(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    form = await read_form(request, max_file_bytes=settings_of(request).document_max_bytes)
    try:
        data = DocumentFormIn().load(form.fields)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None
    if form.file is None:
        raise field_problem(
            422, "validation-error", "Invalid request", "file", "Joignez le document (champ file)."
        )
    upload = form.file
    document_id = uuid.uuid4()
    async with scope.pool.acquire() as conn, conn.transaction():
        if not scope.staff:
            limit = settings_of(request).household_pending_uploads
            await ensure_room(conn, scope.household_id, limit)
        types = await store.catalog(conn, "document_types", scope.tenant, catalog.DOCUMENT_TYPES)
        if data["document_type"] not in {t["code"] for t in types}:
            raise field_problem(
                422,
                "validation-error",
                "Invalid request",
                "document_type",
                "Type de document inconnu ; types possibles : "
                + ", ".join(t["code"] for t in types)
                + ".",
            )
        member_kind = await _member_kind(conn, scope, data["member_id"])
        await store.insert_document(
            conn,
            {
                "id": document_id,
                "tenant": scope.tenant,
                "household_id": scope.household_id,
                "member_kind": member_kind,
                "member_id": data["member_id"],
                "document_type": data["document_type"],
                "filename": upload.filename,
                "content_type": upload.content_type,
                "size": upload.size,
                "sha256": upload.sha256,
                "content": upload.content,
                "uploaded_by": scope.actor,
                "uploaded_at": utcnow(),
            },
        )
        document = await store.get_document(conn, scope.tenant, document_id)
    return json_response(DocumentOut(), document, status=201)


async def _member_kind(conn: Any, scope: Scope, member_id: uuid.UUID | None) -> str | None:
    if member_id is None:
        return None
    for table, kind in (("children", "child"), ("guardians", "guardian")):
        if await store.get_member(conn, table, scope.tenant, scope.household_id, member_id):
            return kind
    raise field_problem(
        422,
        "validation-error",
        "Invalid request",
        "member_id",
        "Cette personne ne fait pas partie du foyer.",
    )


async def _household_documents(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    query = read_query(request, MyDocumentsQuery())
    return await _page(request, scope.tenant, query, household_id=scope.household_id)


async def _page(
    request: web.Request, tenant: str, query: dict[str, Any], household_id: uuid.UUID | None
) -> web.Response:
    rows, total = await store.list_documents(
        request.app[POOL],
        tenant,
        household_id=household_id,
        status=None if query["status"] == "all" else query["status"],
        document_type=query["document_type"],
        limit=query["per_page"],
        offset=(query["page"] - 1) * query["per_page"],
    )
    return json_response(
        DocumentPageOut(),
        {"items": rows, "total": total, "page": query["page"], "per_page": query["per_page"]},
    )


async def _household_document(request: web.Request) -> tuple[Scope, dict[str, Any]]:
    scope = await Scope.of(request)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    document = await store.get_document(scope.pool, scope.tenant, document_id)
    if document is None or document["household_id"] != scope.household_id:
        raise DocumentNotFound()
    return scope, document


async def _get_household_document(request: web.Request) -> web.Response:
    _, document = await _household_document(request)
    return json_response(DocumentOut(), document)


async def _download_household_document(request: web.Request) -> web.Response:
    scope, document = await _household_document(request)
    return await _send(request, scope.caller if scope.staff else None, document)


async def _send(
    request: web.Request, staff: Caller | None, document: dict[str, Any]
) -> web.Response:
    """The file; a staff download of health data (certificat médical) is written in the
    health access log in the same transaction, as a read of a health record is."""
    async with request.app[POOL].acquire() as conn, conn.transaction():
        if staff is not None and catalog.is_health_document(document["document_type"]):
            member_kind = document["member_kind"]
            await store.log_health_access(
                conn,
                tenant=staff.tenant,
                household_id=document["household_id"],
                child_id=document["member_id"] if member_kind == "child" else None,
                account_id=uuid.UUID(staff.account_id),
                roles=sorted(staff.roles),
                purpose="document-download",
                now=utcnow(),
                member_kind=member_kind,
                member_id=document["member_id"],
                document_id=document["id"],
            )
        content = await store.document_content(conn, document["id"])
    return download(document["filename"], document["content_type"], content)


for _prefix, _who in (
    ("/tenants/{tenant}/households/{household_id}", "staff"),
    ("/tenants/{tenant}/me/household", "family"),
):
    _tags = ["documents"]
    routes.post(_prefix + "/documents")(
        doc(
            f"Upload a supporting document ({_who})",
            response=DocumentOut,
            status=201,
            tags=_tags,
            description=UPLOAD_DESCRIPTION,
            responses={413: "File too large", 415: "Not a PDF, JPEG or PNG"},
            form={"file": "file", "document_type": "string", "member_id?": "string"},
        )(_bind(_upload))
    )
    routes.get(_prefix + "/documents")(
        doc(
            f"The household's documents ({_who})",
            query=MyDocumentsQuery,
            response=DocumentPageOut,
            tags=_tags,
        )(_bind(_household_documents))
    )
    routes.get(_prefix + "/documents/{document_id}")(
        doc(f"One of the household's documents ({_who})", response=DocumentOut, tags=_tags)(
            _bind(_get_household_document)
        )
    )
    routes.get(_prefix + "/documents/{document_id}/content")(
        doc(
            f"Download one of the household's documents ({_who})",
            tags=_tags,
            description="The file as uploaded (attachment), with its detected type."
            + (
                " A staff download of a health document (certificat médical) is written in the"
                " household's health access log."
                if _who == "staff"
                else ""
            ),
            files=files.DOCUMENTS,
        )(_bind(_download_household_document))
    )


# --- staff: every document of the tenant, validation ------------------------------------


@routes.get("/tenants/{tenant}/documents")
@doc(
    "Documents of the tenant's households, filtered by status, type, household (staff)",
    query=DocumentsQuery,
    response=DocumentPageOut,
    tags=["documents"],
)
async def list_documents(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, DocumentsQuery())
    return await _page(request, caller.tenant, query, household_id=query["household_id"])


async def _staff_document(request: web.Request) -> tuple[Caller, dict[str, Any]]:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    document = await store.get_document(request.app[POOL], caller.tenant, document_id)
    if document is None:
        raise DocumentNotFound()
    return caller, document


@routes.get("/tenants/{tenant}/documents/{document_id}")
@doc("A document's details (staff)", response=DocumentOut, tags=["documents"])
async def get_document(request: web.Request) -> web.Response:
    _, document = await _staff_document(request)
    return json_response(DocumentOut(), document)


@routes.get("/tenants/{tenant}/documents/{document_id}/content")
@doc(
    "Download a document (staff; a certificat médical download is written in the health "
    "access log)",
    tags=["documents"],
    files=files.DOCUMENTS,
)
async def download_document(request: web.Request) -> web.Response:
    caller, document = await _staff_document(request)
    return await _send(request, caller, document)


async def _decide(request: web.Request, decision: str) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    document_id = path_uuid(request, "document_id", DocumentNotFound)
    if decision == "validated":
        body = await read_json(request, ValidateDocumentIn()) if request.body_exists else {}
        valid_until = body.get("valid_until") or catalog.end_of_school_year(date.today())
        if valid_until < date.today():
            raise field_problem(
                422,
                "validation-error",
                "Invalid request",
                "valid_until",
                "La fin de validité ne peut pas être dans le passé.",
            )
        reason = None
    else:
        reason = (await read_json(request, RejectIn()))["reason"]
        valid_until = None
    async with request.app[POOL].acquire() as conn, conn.transaction():
        document = await store.get_document(conn, caller.tenant, document_id, for_update=True)
        if document is None:
            raise DocumentNotFound()
        if document["status"] != "pending":
            raise DocumentAlreadyDecided()
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), request.app[VAULT])
        await store.decide_document(
            conn,
            document_id,
            status=decision,
            valid_until=valid_until,
            reason=reason,
            decided_by=ops.actor,
            now=ops.now,
        )
        accounts = await store.linked_accounts(conn, document["household_id"])
        payload: dict[str, Any] = {
            "document_id": document_id,
            "household_id": document["household_id"],
            "child_id": document["member_id"] if document["member_kind"] == "child" else None,
            "member_id": document["member_id"],
            "member_kind": document["member_kind"],
            "document_type": document["document_type"],
            "document_label": document["document_label"],
            "account_ids": [a["account_id"] for a in accounts],
        }
        if decision == "validated":
            ops.event("family.DocumentValidated", {**payload, "valid_until": valid_until})
        else:
            ops.event("family.DocumentRejected", {**payload, "reason": reason})
        await ops.flush()
        decided = await store.get_document(conn, caller.tenant, document_id)
    return json_response(DocumentOut(), decided)


@routes.post("/tenants/{tenant}/documents/{document_id}/validate")
@doc(
    "Validate a document until a date (default: 31 August ending the school year; staff)",
    request=ValidateDocumentIn,
    response=DocumentOut,
    tags=["documents"],
    responses={409: "Already validated or rejected"},
)
async def validate_document(request: web.Request) -> web.Response:
    return await _decide(request, "validated")


@routes.post("/tenants/{tenant}/documents/{document_id}/reject")
@doc(
    "Reject a document with a reason the family will read (staff)",
    request=RejectIn,
    response=DocumentOut,
    tags=["documents"],
    responses={409: "Already validated or rejected"},
)
async def reject_document(request: web.Request) -> web.Response:
    return await _decide(request, "rejected")
