"""Requests to the town ("demandes"): a family sends, lists, reads, replies to and closes
its own; staff list the tenant's, read, answer (the family is emailed) and close them."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from family.api.access import Scope, settings, staff, uow
from family.domain.errors import AttachmentNotFound, RequestNotFound
from family.schemas import MessageIn, RequestIn, RequestOut, RequestPageOut, RequestsQuery
from family.usecases import Actor, File, town_requests
from shared import files
from shared.errors import validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_json, read_query
from shared.http.uploads import download, is_multipart, read_form
from shared.keys import POOL

routes = web.RouteTableDef()

BODY_DESCRIPTION = (
    "JSON, or multipart/form-data with the same fields as text parts and an optional "
    "attachment in `file` (PDF, JPEG or PNG detected from the content, at most "
    "`DOCUMENT_MAX_BYTES`: 413 too large, 415 another type, 422 empty)."
)


async def _read(request: web.Request, schema: Schema) -> tuple[dict[str, Any], File | None]:
    """The message's fields and its attachment, if any."""
    if not is_multipart(request):
        return await read_json(request, schema), None
    form = await read_form(request, max_file_bytes=settings(request).document_max_bytes)
    try:
        data = schema.load(form.fields)
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None
    upload = form.file
    if upload is None:
        return data, None
    return data, File(
        upload.filename, upload.content_type, upload.content, upload.size, upload.sha256
    )


def _request_id(request: web.Request) -> uuid.UUID:
    return path_uuid(request, "request_id", RequestNotFound)


async def _page(
    request: web.Request, tenant: str, query: dict[str, Any], household_id: uuid.UUID | None
) -> web.Response:
    page = await town_requests.requests(
        request.app[POOL],
        tenant,
        household_id=household_id,
        status=query["status"],
        topic=query["topic"],
        page=query["page"],
        per_page=query["per_page"],
    )
    return json_response(RequestPageOut(), page)


async def _close(
    request: web.Request, actor: Actor, household_id: uuid.UUID | None
) -> web.Response:
    body = await town_requests.close_request(
        uow(request, actor), actor.tenant, _request_id(request), household_id
    )
    return json_response(RequestOut(), body)


async def _attachment(
    request: web.Request, message_id: uuid.UUID, tenant: str, household_id: uuid.UUID | None
) -> web.Response:
    file = await town_requests.attachment(
        request.app[POOL], tenant, _request_id(request), message_id, household_id
    )
    return download(file.filename, file.content_type, file.content)


# --- family: send, list, read, reply, close --------------------------------------------------


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
    data, file = await _read(request, RequestIn())
    body = await town_requests.send_request(
        uow(request, scope.actor), scope.actor, scope.household_id, data, file
    )
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


@routes.get("/tenants/{tenant}/me/household/requests/{request_id}")
@doc("One of my requests with its whole thread (family)", response=RequestOut, tags=["requests"])
async def my_request(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    body = await town_requests.request_thread(
        request.app[POOL], scope.tenant, _request_id(request), scope.household_id
    )
    return json_response(RequestOut(), body)


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
    data, file = await _read(request, MessageIn())
    body = await town_requests.write_message(
        uow(request, scope.actor),
        scope.actor,
        _request_id(request),
        scope.household_id,
        data,
        file,
    )
    return json_response(RequestOut(), body, status=201)


@routes.post("/tenants/{tenant}/me/household/requests/{request_id}/close")
@doc("Close a request (family)", response=RequestOut, tags=["requests"])
async def family_close_request(request: web.Request) -> web.Response:
    scope = await Scope.of(request)
    return await _close(request, scope.actor, scope.household_id)


@routes.get("/tenants/{tenant}/me/household/requests/{request_id}/messages/{message_id}/attachment")
@doc("Download a message's attachment (family)", tags=["requests"], files=files.DOCUMENTS)
async def family_attachment(request: web.Request) -> web.Response:
    message_id = path_uuid(request, "message_id", AttachmentNotFound)
    scope = await Scope.of(request)
    return await _attachment(request, message_id, scope.tenant, scope.household_id)


# --- staff: the tenant's requests, answers ---------------------------------------------------


@routes.get("/tenants/{tenant}/requests")
@doc(
    "Requests of the tenant's families, filtered by status, topic, household (staff)",
    query=RequestsQuery,
    response=RequestPageOut,
    tags=["requests"],
)
async def list_requests(request: web.Request) -> web.Response:
    actor = staff(request)
    query = read_query(request, RequestsQuery())
    return await _page(request, actor.tenant, query, query["household_id"])


@routes.get("/tenants/{tenant}/requests/{request_id}")
@doc("A request with its whole thread (staff)", response=RequestOut, tags=["requests"])
async def get_request(request: web.Request) -> web.Response:
    actor = staff(request)
    body = await town_requests.request_thread(
        request.app[POOL], actor.tenant, _request_id(request), None
    )
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
    actor = staff(request)
    data, file = await _read(request, MessageIn())
    body = await town_requests.write_message(
        uow(request, actor), actor, _request_id(request), None, data, file
    )
    return json_response(RequestOut(), body, status=201)


@routes.post("/tenants/{tenant}/requests/{request_id}/close")
@doc("Close a request (staff)", response=RequestOut, tags=["requests"])
async def staff_close_request(request: web.Request) -> web.Response:
    return await _close(request, staff(request), None)


@routes.get("/tenants/{tenant}/requests/{request_id}/messages/{message_id}/attachment")
@doc("Download a message's attachment (staff)", tags=["requests"], files=files.DOCUMENTS)
async def staff_attachment(request: web.Request) -> web.Response:
    message_id = path_uuid(request, "message_id", AttachmentNotFound)
    actor = staff(request)
    return await _attachment(request, message_id, actor.tenant, None)
