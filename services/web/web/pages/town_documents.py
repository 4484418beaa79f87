"""The town's documents for the families: those in force, by category, on their own page and
beside the activity or the information page they concern; downloaded through the portal."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.domain import town_documents as domain
from web.pages.common import api, render, send_file

routes = web.RouteTableDef()

HOME = "/documents-officiels"
ID = "{document_id:[0-9a-fA-F-]{36}}"


async def documents_in_force(request: web.Request, **where: str) -> list[dict[str, Any]]:
    """notify's documents in force today, only those shown `where` (activity_id, page_slug);
    none when notify does not answer (the page around them still shows)."""
    answer = await api(request, "notify", "GET", "/tenants/{tenant}/town-documents", params=where)
    return domain.shown(list(answer.body.get("items", []))) if answer.ok else []


async def documents_of_activities(
    request: web.Request, activities: list[dict[str, Any]]
) -> list[domain.DocumentGroup]:
    """The documents in force linked to each of these activities (a campaign's), asked of
    notify as the enrollment form asks for its one activity, each listed once."""
    found = await asyncio.gather(
        *(documents_in_force(request, activity_id=str(a["id"])) for a in activities)
    )
    return domain.by_activities(activities, list(found))


@routes.get(HOME)
async def documents_page(request: web.Request) -> web.Response:
    answer = await api(request, "notify", "GET", "/tenants/{tenant}/town-documents")
    items = list(answer.body.get("items", [])) if answer.ok else None
    return await render(
        request,
        "town_documents.html.j2",
        {
            "title": "Documents officiels en vigueur",
            "groups": domain.by_category(items) if items is not None else None,
        },
    )


@routes.get(f"{HOME}/{ID}")
async def download(request: web.Request) -> web.Response:
    """The file of a document in force (notify refuses the others: 404)."""
    path = f"/tenants/{{tenant}}/town-documents/{request.match_info['document_id']}/file"
    return await send_file(request, path, "document", service="notify")
