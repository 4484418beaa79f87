"""The town's colours as a style sheet (no inline style: the pages' CSP allows none)."""

from __future__ import annotations

from aiohttp import web

from web.domain.theme import text_on
from web.pages.common import theme

routes = web.RouteTableDef()


@routes.get("/theme.css")
async def theme_css(request: web.Request) -> web.Response:
    town = await theme(request.app)
    css = (
        ":root{"
        f"--primary:{town.primary_color};--on-primary:{text_on(town.primary_color)};"
        f"--accent:{town.accent_color};--on-accent:{text_on(town.accent_color)}"
        "}\n"
    )
    return web.Response(
        text=css, content_type="text/css", headers={"Cache-Control": "public, max-age=60"}
    )
