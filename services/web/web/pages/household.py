"""The household file, read-only: guardians, children, address."""

from __future__ import annotations

from aiohttp import web

from web.pages.common import api, render

routes = web.RouteTableDef()


@routes.get("/foyer")
async def household(request: web.Request) -> web.Response:
    answer = await api(request, "family", "GET", "/tenants/{tenant}/me/household")
    if answer.status in (403, 404):
        return await render(request, "household.html.j2", {"title": "Mon foyer", "household": None})
    if not answer.ok:
        raise web.HTTPNotFound()
    return await render(
        request, "household.html.j2", {"title": "Mon foyer", "household": answer.body}
    )
