"""HTTP handlers of the information pages and the canteen menus [000].

Staff (roles staff, admin) maintain them; every account of the tenant reads them. Menus are
kept per ISO week (its Monday, Europe/Paris); families get a week and the next.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

from aiohttp import web
from marshmallow import ValidationError

from notify import schemas, store
from notify.domain import calendar
from notify.settings import NotifySettings
from shared.auth import require_caller
from shared.errors import NotFound, validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL, SETTINGS

routes = web.RouteTableDef()

STAFF = ("staff", "admin")
PAGES = "/tenants/{tenant}/pages"
MENUS = "/tenants/{tenant}/menus"


class PageNotFound(NotFound):
    code = "page-not-found"
    detail = "Cette page d'information est introuvable."


class MenuNotFound(NotFound):
    code = "menu-not-found"
    detail = "Aucun menu n'est saisi pour cette semaine."


def _path(request: web.Request, schema: schemas.Schema) -> dict[str, Any]:
    try:
        return schema.load(dict(request.match_info))
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


def _slug(request: web.Request) -> str:
    return _path(request, schemas.PageSlug(unknown="exclude"))["slug"]


def _week(request: web.Request) -> date:
    return _path(request, schemas.WeekPath(unknown="exclude"))["week_start"]


# --- information pages --------------------------------------------------------------------
@routes.get(PAGES)
@doc(
    "The practical-information pages, in their order",
    response=schemas.InfoPageList,
    tags=["pages"],
)
async def list_pages(request: web.Request) -> web.Response:
    caller = require_caller(request)
    items = await store.list_pages(request.app[POOL], caller.tenant)
    return json_response(schemas.InfoPageList(), {"items": items})


@routes.get(PAGES + "/{slug}")
@doc(
    "One information page",
    response=schemas.InfoPageOut,
    tags=["pages"],
    responses={404: "No such page"},
)
async def get_page(request: web.Request) -> web.Response:
    caller = require_caller(request)
    page = await store.get_page(request.app[POOL], caller.tenant, request.match_info["slug"])
    if page is None:
        raise PageNotFound()
    return json_response(schemas.InfoPageOut(), page)


@routes.put(PAGES + "/{slug}")
@doc(
    "Create or replace an information page (plain text body)",
    request=schemas.InfoPageIn,
    response=schemas.InfoPageOut,
    tags=["pages"],
    responses={403: "Not staff of this tenant"},
    description="Answers 201 when the page is new, 200 when it replaced one.",
)
async def put_page(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    slug = _slug(request)
    data = await read_json(request, schemas.InfoPageIn())
    page, created = await store.put_page(request.app[POOL], caller.tenant, slug, data)
    return json_response(schemas.InfoPageOut(), page, status=201 if created else 200)


@routes.delete(PAGES + "/{slug}")
@doc(
    "Delete an information page",
    status=204,
    tags=["pages"],
    responses={403: "Not staff of this tenant", 404: "No such page"},
)
async def delete_page(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    if not await store.delete_page(request.app[POOL], caller.tenant, request.match_info["slug"]):
        raise PageNotFound()
    return web.Response(status=204)


# --- canteen menus ------------------------------------------------------------------------
def _week_view(week_start: date, menu: dict[str, Any] | None) -> dict[str, Any]:
    days = [
        {**day, "date": date.fromisoformat(day["date"])} for day in (menu or {}).get("days", [])
    ]
    return {
        "week_start": week_start,
        "week": calendar.iso_week(week_start),
        "published": menu is not None,
        "days": days,
        "remarks": (menu or {}).get("remarks"),
        "updated_at": (menu or {}).get("updated_at"),
    }


@routes.get(MENUS)
@doc(
    "The canteen menus of a week (default: the current one) and of the next",
    query=schemas.MenuQuery,
    response=schemas.MenuWeeks,
    tags=["menus"],
)
async def get_menus(request: web.Request) -> web.Response:
    caller = require_caller(request)
    query = read_query(request, schemas.MenuQuery())
    settings = cast(NotifySettings, request.app[SETTINGS])
    day = query["week"] or calendar.local_today(settings.calendar_timezone)
    weeks = [calendar.monday(day), calendar.monday(day) + timedelta(days=7)]
    found = await store.menus(request.app[POOL], caller.tenant, weeks)
    return json_response(
        schemas.MenuWeeks(), {"weeks": [_week_view(week, found.get(week)) for week in weeks]}
    )


@routes.put(MENUS + "/{week_start}")
@doc(
    "Enter or replace the canteen menus of a week (its Monday, AAAA-MM-JJ)",
    request=schemas.MenuIn,
    response=schemas.MenuWeekOut,
    tags=["menus"],
    responses={403: "Not staff of this tenant"},
    description=(
        "Per day: starter, main, dessert and snack lines, or a free text (e.g. « Pas de"
        " cantine : jour férié »), and allergen remarks. Days must fall in the week, once each."
    ),
)
async def put_menu(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    week_start = _week(request)
    data = await read_json(request, schemas.MenuIn())
    errors: dict[str, Any] = {}
    seen: set[date] = set()
    for index, day in enumerate(data["days"]):
        if not week_start <= day["date"] <= week_start + timedelta(days=6):
            errors[f"days.{index}.date"] = [
                f"Ce jour n'est pas dans la semaine du {week_start.strftime('%d/%m/%Y')}."
            ]
        elif day["date"] in seen:
            errors[f"days.{index}.date"] = ["Ce jour est déjà saisi."]
        seen.add(day["date"])
    if errors:
        raise validation_problem(errors)
    days = sorted(schemas.MenuDay(many=True).dump(data["days"]), key=lambda d: d["date"])
    menu, created = await store.put_menu(
        request.app[POOL], caller.tenant, week_start, days, data["remarks"]
    )
    return json_response(
        schemas.MenuWeekOut(), _week_view(week_start, menu), status=201 if created else 200
    )


@routes.delete(MENUS + "/{week_start}")
@doc(
    "Delete the menus of a week",
    status=204,
    tags=["menus"],
    responses={403: "Not staff of this tenant", 404: "No menu this week"},
)
async def delete_menu(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    week_start = _week(request)
    if not await store.delete_menu(request.app[POOL], caller.tenant, week_start):
        raise MenuNotFound()
    return web.Response(status=204)
