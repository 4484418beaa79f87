"""The emails sent (or not) to the families, for staff."""

from __future__ import annotations

from aiohttp import web

from notify import schemas
from notify.usecases import emails
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/emails")
@doc(
    "Emails sent (or not) to a family, with their status and the reason of a failure",
    query=schemas.EmailQuery,
    response=schemas.EmailPage,
    tags=["emails"],
)
async def list_emails(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=("staff", "admin"))
    query = read_query(request, schemas.EmailQuery())
    found = await emails.email_page(
        request.app[POOL],
        caller.tenant,
        recipient=query["recipient"],
        account_id=query["account_id"],
        status=query["status"],
        limit=query["limit"],
        offset=query["offset"],
    )
    return json_response(schemas.EmailPage(), found)
