"""Requests to the town ("demandes"): a family writes on a topic of the tenant's list, about
a child or not, with an optional attachment; staff answer; both sides see the whole thread.
Status: open (waiting for the town), answered (waiting for the family), closed (final)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from family import store
from family.api import STAFF, Scope, _bind, path_uuid, settings_of
from family.domain import catalog
from family.operations import Ops, utcnow
from family.runtime import VAULT
from family.schemas import MessageIn, RequestIn, RequestOut, RequestPageOut, RequestsQuery
from shared import files
from shared.auth import require_caller
from shared.errors import DomainError, NotFound, validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.http.uploads import Upload, download, field_problem, is_multipart, read_form
from shared.keys import POOL

routes = web.RouteTableDef()


class RequestNotFound(NotFound):
    code = "request-not-found"
    detail = "Cette demande n'existe pas."


class AttachmentNotFound(NotFound):
    code = "attachment-not-found"
    detail = "Cette pièce jointe n'existe pas."


class RequestIsClosed(DomainError):
    code = "request-closed"
    kind = "conflict"
    title = "Request closed"
    detail = "Cette demande est close : envoyez une nouvelle demande."


BODY_DESCRIPTION = (
    "JSON, or multipart/form-data with the same fields as text parts and an optional "
    "attachment in `file` (PDF, JPEG or PNG detected from the content, at most "
    "`DOCUMENT_MAX_BYTES`: 413 too large, 415 another type, 422 empty)."
)


async def _read(request: web.Request, schema: Schema) -> tuple[dict[str, Any], Upload | None]:
    if not is_multipart(request):
        return await read_json(request, schema), None
    form = await read_form(request, max_file_bytes=settings_of(request).document_max_bytes)
    try:
        return schema.load(form.fields), form.file
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


def _attachment(upload: Upload | None) -> dict[str, Any]:
    if upload is None:
        return {}
    return {
        "filename": upload.filename,
        "content_type": upload.content_type,
        "size": upload.size,
        "sha256": upload.sha256,
        "content": upload.content,
    }


async def thread(conn: Any, row: dict[str, Any]) -> dict[str, Any]:
    messages = await store.request_messages(conn, row["id"])
    for message in messages:
        message["attachment"] = (
            {k: message[k] for k in ("filename", "content_type", "size", "sha256")}
            if message["filename"]
            else None
        )
    return {**row, "messages": messages, "message_count": len(messages)}


# --- family: send, list, read, reply, close ------------------------------------------------


@routes.post("/tenants/{tenant}/me/household/requests")
@doc(
    "Send a request to the town (family)",
    request=RequestIn,
    response=RequestOut,
    status=201,
    tags=["requests"],
    description=BODY_DESCRIPTION,
    responses={413: "Attachment too large", 415: "Attachment not a PDF, JPEG or PNG"},
    form={
        "topic": "string",
        "message": "string",
        "subject?": "string",
        "child_id?": "string",
        "file?": "file",
    },
)
async def send_request(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    data, upload = await _read(request, RequestIn())
    request_id, now = uuid.uuid4(), utcnow()
    async with scope.pool.acquire() as conn, conn.transaction():
        topics = {
            t["code"]: t["label"]
            for t in await store.catalog(
                conn, "request_topics", scope.tenant, catalog.REQUEST_TOPICS
            )
        }
        if data["topic"] not in topics:
            raise field_problem(
                422,
                "validation-error",
                "Invalid request",
                "topic",
                "Sujet inconnu ; sujets possibles : " + ", ".join(topics) + ".",
            )
        if data["child_id"] is not None and not await store.get_member(
            conn, "children", scope.tenant, scope.household_id, data["child_id"]
        ):
            raise field_problem(
                422,
                "validation-error",
                "Invalid request",
                "child_id",
                "Cet enfant ne fait pas partie du foyer.",
            )
        await store.insert_request(
            conn,
            {
                "id": request_id,
                "tenant": scope.tenant,
                "household_id": scope.household_id,
                "topic": data["topic"],
                "child_id": data["child_id"],
                "subject": data["subject"] or topics[data["topic"]],
                "created_by": scope.actor,
                "created_at": now,
                "updated_at": now,
            },
        )
        await store.insert_message(
            conn,
            {
                "id": uuid.uuid4(),
                "request_id": request_id,
                "side": "family",
                "author_id": scope.actor,
                "body": data["message"],
                "created_at": now,
                **_attachment(upload),
            },
        )
        row = await store.get_request(conn, scope.tenant, request_id)
        assert row is not None
        body = await thread(conn, row)
    return json_response(RequestOut(), body, status=201)


@routes.get("/tenants/{tenant}/me/household/requests")
@doc(
    "My household's requests, latest activity first (family)",
    query=RequestsQuery,
    response=RequestPageOut,
    tags=["requests"],
)
async def my_requests(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    query = read_query(request, RequestsQuery())
    return await _page(request, scope.tenant, query, scope.household_id)


async def _page(
    request: web.Request, tenant: str, query: dict[str, Any], household_id: uuid.UUID | None
) -> web.Response:
    rows, total = await store.list_requests(
        request.app[POOL],
        tenant,
        household_id=household_id,
        status=None if query["status"] == "all" else query["status"],
        topic=query["topic"],
        limit=query["per_page"],
        offset=(query["page"] - 1) * query["per_page"],
    )
    return json_response(
        RequestPageOut(),
        {"items": rows, "total": total, "page": query["page"], "per_page": query["per_page"]},
    )


async def _mine(request: web.Request, conn: Any, scope: Scope, *, lock: bool = False) -> dict:
    request_id = path_uuid(request, "request_id", RequestNotFound)
    row = await store.get_request(conn, scope.tenant, request_id, for_update=lock)
    if row is None or row["household_id"] != scope.household_id:
        raise RequestNotFound()
    return row


async def _theirs(request: web.Request, conn: Any, tenant: str, *, lock: bool = False) -> dict:
    request_id = path_uuid(request, "request_id", RequestNotFound)
    row = await store.get_request(conn, tenant, request_id, for_update=lock)
    if row is None:
        raise RequestNotFound()
    return row


@routes.get("/tenants/{tenant}/me/household/requests/{request_id}")
@doc("One of my requests with its whole thread (family)", response=RequestOut, tags=["requests"])
async def my_request(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    async with scope.pool.acquire() as conn:
        body = await thread(conn, await _mine(request, conn, scope))
    return json_response(RequestOut(), body)


async def _write(
    request: web.Request,
    conn: Any,
    row: dict[str, Any],
    *,
    side: str,
    author: uuid.UUID,
    data: dict[str, Any],
    upload: Upload | None,
    ops: Ops | None = None,
) -> dict[str, Any]:
    try:
        status = catalog.status_after_message(
            row["status"], side, close=side == "staff" and data["close"]
        )
    except catalog.RequestClosed:
        raise RequestIsClosed() from None
    now = utcnow()
    await store.insert_message(
        conn,
        {
            "id": uuid.uuid4(),
            "request_id": row["id"],
            "side": side,
            "author_id": author,
            "body": data["message"],
            "created_at": now,
            **_attachment(upload),
        },
    )
    await store.set_request_status(conn, row["id"], status, now)
    if ops is not None:
        accounts = await store.linked_accounts(conn, row["household_id"])
        ops.event(
            "family.RequestAnswered",
            {
                "request_id": row["id"],
                "household_id": row["household_id"],
                "child_id": row["child_id"],
                "topic": row["topic"],
                "topic_label": row["topic_label"],
                "subject": row["subject"],
                "status": status,
                "account_ids": [a["account_id"] for a in accounts],
            },
        )
        await ops.flush()
    updated = await store.get_request(conn, row["tenant"], row["id"])
    assert updated is not None
    return await thread(conn, updated)


@routes.post("/tenants/{tenant}/me/household/requests/{request_id}/messages")
@doc(
    "Reply to the town on one of my requests (family; the request is open again)",
    request=MessageIn,
    response=RequestOut,
    status=201,
    tags=["requests"],
    description=BODY_DESCRIPTION + " `close` is ignored for families.",
    responses={409: "The request is closed"},
)
async def reply(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    data, upload = await _read(request, MessageIn())
    async with scope.pool.acquire() as conn, conn.transaction():
        row = await _mine(request, conn, scope, lock=True)
        body = await _write(
            request, conn, row, side="family", author=scope.actor, data=data, upload=upload
        )
    return json_response(RequestOut(), body, status=201)


async def _close(request: web.Request) -> web.Response:
    staff = "/me/" not in request.path
    async with request.app[POOL].acquire() as conn, conn.transaction():
        if staff:
            caller = require_caller(request, roles=STAFF)
            row = await _theirs(request, conn, caller.tenant, lock=True)
        else:
            scope = await Scope.of(request)
            row = await _mine(request, conn, scope, lock=True)
        if row["status"] != "closed":
            await store.set_request_status(conn, row["id"], "closed", utcnow())
            row = await store.get_request(conn, row["tenant"], row["id"])
        body = await thread(conn, row)
    return json_response(RequestOut(), body)


async def _attachment_download(request: web.Request) -> web.Response:
    message_id = path_uuid(request, "message_id", AttachmentNotFound)
    async with request.app[POOL].acquire() as conn:
        if "/me/" in request.path:
            row = await _mine(request, conn, await Scope.of(request))
        else:
            caller = require_caller(request, roles=STAFF)
            row = await _theirs(request, conn, caller.tenant)
        found = await store.message_attachment(conn, row["id"], message_id)
    if found is None:
        raise AttachmentNotFound()
    return download(found["filename"], found["content_type"], found["content"])


for _prefix, _who in (
    ("/tenants/{tenant}/me/household/requests", "family"),
    ("/tenants/{tenant}/requests", "staff"),
):
    routes.post(_prefix + "/{request_id}/close")(
        doc(f"Close a request ({_who})", response=RequestOut, tags=["requests"])(_bind(_close))
    )
    routes.get(_prefix + "/{request_id}/messages/{message_id}/attachment")(
        doc(f"Download a message's attachment ({_who})", tags=["requests"], files=files.DOCUMENTS)(
            _bind(_attachment_download)
        )
    )


# --- staff: the tenant's requests, answers -------------------------------------------------


@routes.get("/tenants/{tenant}/requests")
@doc(
    "Requests of the tenant's families, filtered by status, topic, household (staff)",
    query=RequestsQuery,
    response=RequestPageOut,
    tags=["requests"],
)
async def list_requests(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, RequestsQuery())
    return await _page(request, caller.tenant, query, query["household_id"])


@routes.get("/tenants/{tenant}/requests/{request_id}")
@doc("A request with its whole thread (staff)", response=RequestOut, tags=["requests"])
async def get_request(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    async with request.app[POOL].acquire() as conn:
        body = await thread(conn, await _theirs(request, conn, caller.tenant))
    return json_response(RequestOut(), body)


@routes.post("/tenants/{tenant}/requests/{request_id}/messages")
@doc(
    "Answer a request (staff; RequestAnswered: the family is emailed; `close` closes it)",
    request=MessageIn,
    response=RequestOut,
    status=201,
    tags=["requests"],
    description=BODY_DESCRIPTION,
    responses={409: "The request is closed"},
)
async def answer(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    data, upload = await _read(request, MessageIn())
    async with request.app[POOL].acquire() as conn, conn.transaction():
        row = await _theirs(request, conn, caller.tenant, lock=True)
        ops = Ops(conn, caller.tenant, uuid.UUID(caller.account_id), request.app[VAULT])
        body = await _write(
            request, conn, row, side="staff", author=ops.actor, data=data, upload=upload, ops=ops
        )
    return json_response(RequestOut(), body, status=201)
