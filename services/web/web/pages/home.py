"""The home page: the town's current news for the household."""

from __future__ import annotations

import asyncio

from aiohttp import web

from web.pages.common import api, render, token

routes = web.RouteTableDef()


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    await token(request)  # refreshed once, before the two calls run side by side
    news, account = await asyncio.gather(
        api(request, "notify", "GET", "/tenants/{tenant}/me/news", params={"limit": "10"}),
        api(request, "identity", "GET", "/tenants/{tenant}/me"),
    )
    items = news.body.get("items", []) if news.ok else []
    return await render(
        request,
        "home.html.j2",
        {
            "title": "Accueil",
            "news": items,
            "news_error": None if news.ok else "Les actualités ne peuvent pas être lues.",
            "account": account.body if account.ok else {},
        },
    )
