"""The audit log of a municipality (admin)."""

from __future__ import annotations

from aiohttp import web

from identity.api.common import tenant
from identity.schemas import AuditOut, AuditQuery
from identity.usecases import audit
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_query
from shared.keys import POOL

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/audit")
@doc(
    "Audit log of the municipality (admin): who did what, when, from where",
    query=AuditQuery,
    response=AuditOut,
    tags=["accounts"],
)
async def audit_log(request: web.Request) -> web.Response:
    require_caller(request, roles=("admin",))
    query = read_query(request, AuditQuery())
    entries, total = await audit.audit_log(
        request.app[POOL],
        tenant(request),
        action=query.get("action"),
        account_id=query.get("account_id"),
        email=query["email"].lower() if "email" in query else None,
        limit=query["limit"],
        offset=query["offset"],
    )
    body = {"items": entries, "total": total, "limit": query["limit"], "offset": query["offset"]}
    return json_response(AuditOut(), body)
