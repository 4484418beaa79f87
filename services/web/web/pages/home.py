"""The home page: the town's current news for the household."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

from aiohttp import web

from web.domain import town_documents
from web.domain.menus import paragraphs, week_menu
from web.pages.campaigns import renewal_notices
from web.pages.common import ANIMATOR_HOME, SESSION, STAFF_HOME, api, redirect, render, token
from web.pages.direct_debit import direct_debit_offered
from web.pages.town import town_read
from web.pages.wallet import wallet_settings
from web.usecases import sessions

routes = web.RouteTableDef()


def _listed(body: Any) -> bool:
    return bool(body.get("items"))


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    await token(request)  # refreshed once, before the two calls run side by side
    if sessions.is_staff(request.get(SESSION)):
        return redirect(STAFF_HOME)  # the town's staff work in the back-office
    if sessions.is_animator(request.get(SESSION)):
        return redirect(ANIMATOR_HOME)
    news, account, menus, pages, wallet, direct_debit, renewals = await asyncio.gather(
        api(request, "notify", "GET", "/tenants/{tenant}/me/news", params={"limit": "10"}),
        api(request, "identity", "GET", "/tenants/{tenant}/me"),
        town_read(request, "notify", "/tenants/{tenant}/menus", settled=week_menu),
        town_read(request, "notify", "/tenants/{tenant}/pages", settled=_listed),
        wallet_settings(request),
        direct_debit_offered(request),
        renewal_notices(request),
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
            "menu": week_menu(menus.body) if menus.ok else None,
            "info_pages": pages.body.get("items", []) if pages.ok else [],
            "wallet_offered": wallet is not None,
            "direct_debit_offered": direct_debit,
            "renewal_notices": renewals,
        },
    )


@routes.get("/informations/{slug}")
async def info_page(request: web.Request) -> web.Response:
    """One of the town's practical-information pages (notify's, plain text)."""
    slug = request.match_info["slug"]
    answer = await api(request, "notify", "GET", f"/tenants/{{tenant}}/pages/{quote(slug)}")
    if not answer.ok:
        raise web.HTTPNotFound()
    page = answer.body
    return await render(
        request,
        "info_page.html.j2",
        {
            "title": page["title"],
            "page": page,
            "paragraphs": paragraphs(page["body"]),
            "documents": town_documents.shown(page.get("documents") or []),
        },
    )
