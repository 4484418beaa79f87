"""The emails sent (or not) to the families, for staff."""

from __future__ import annotations

from aiohttp import web

from notify import schemas
from notify.domain.errors import EmailNotFound
from notify.usecases import emails
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, path_uuid, read_query
from shared.keys import POOL

routes = web.RouteTableDef()

STAFF = ("staff", "admin")


@routes.get("/tenants/{tenant}/emails")
@doc(
    "Emails sent (or not) to a family, with their status and the reason of a failure",
    query=schemas.EmailQuery,
    response=schemas.EmailPage,
    tags=["emails"],
)
async def list_emails(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    query = read_query(request, schemas.EmailQuery())
    found = await emails.email_page(
        request.app[POOL],
        caller.tenant,
        recipient=query["recipient"],
        account_id=query["account_id"],
        household_id=query["household_id"],
        status=query["status"],
        event_type=query["event_type"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(schemas.EmailPage(), found)


@routes.get("/tenants/{tenant}/emails/{email_id}")
@doc(
    "One email: its recipient, subject, status, dates and the reason of a failure",
    response=schemas.EmailOut,
    tags=["emails"],
    responses={403: "Not staff of this tenant", 404: "No such email"},
    description="The body is not kept (rendered from the event when sent), so not given.",
)
async def get_email(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    email_id = path_uuid(request, "email_id", EmailNotFound)
    found = await emails.email(request.app[POOL], caller.tenant, email_id)
    return json_response(schemas.EmailOut(), found)
