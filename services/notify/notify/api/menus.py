"""Canteen menus [000]: kept per ISO week (its Monday, Europe/Paris); staff enter them,
families get a week and the next."""

from __future__ import annotations

from datetime import date

from aiohttp import web
from marshmallow import ValidationError

from notify import schemas
from notify.domain import menus as menu_rules
from notify.settings import SETTINGS
from notify.usecases import menus
from shared.auth import require_caller
from shared.errors import validation_problem
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json, read_query
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()

STAFF = ("staff", "admin")


def _week(request: web.Request) -> date:
    try:
        return schemas.WeekPath(unknown="exclude").load(dict(request.match_info))["week_start"]
    except ValidationError as exc:
        raise validation_problem(exc.messages) from None


@routes.get("/tenants/{tenant}/menus")
@doc(
    "The canteen menus of a week (default: the current one) and of the next",
    query=schemas.MenuQuery,
    response=schemas.MenuWeeks,
    tags=["menus"],
)
async def get_menus(request: web.Request) -> web.Response:
    caller = require_caller(request)
    query = read_query(request, schemas.MenuQuery())
    weeks = await menus.weeks(
        request.app[POOL],
        caller.tenant,
        query["week"],
        timezone=request.app[SETTINGS].calendar_timezone,
    )
    return json_response(schemas.MenuWeeks(), {"weeks": weeks})


@routes.put("/tenants/{tenant}/menus/{week_start}")
@doc(
    "Enter or replace the canteen menus of a week (its Monday, AAAA-MM-JJ)",
    request=schemas.MenuIn,
    response=schemas.MenuWeekOut,
    tags=["menus"],
    responses={201: "Created: the week had no menus", 403: "Not staff of this tenant"},
    description=(
        "Per day: starter, main, dessert and snack lines, or a free text (e.g. « Pas de"
        " cantine : jour férié »), and allergen remarks. Days must fall in the week, once each."
    ),
)
async def put_menu(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    week_start = _week(request)
    data = await read_json(request, schemas.MenuIn())
    errors = menu_rules.misplaced_days(week_start, data["days"])
    if errors:
        raise validation_problem(errors)
    days = sorted(schemas.MenuDay(many=True).dump(data["days"]), key=lambda d: d["date"])
    week, created = await menus.put_menu(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        week_start,
        days,
        data["remarks"],
    )
    return json_response(schemas.MenuWeekOut(), week, status=201 if created else 200)


@routes.delete("/tenants/{tenant}/menus/{week_start}")
@doc(
    "Delete the menus of a week",
    status=204,
    tags=["menus"],
    responses={
        403: "Not staff of this tenant",
        404: "No menu this week",
        422: "week_start is not a Monday (AAAA-MM-JJ)",
    },
)
async def delete_menu(request: web.Request) -> web.Response:
    caller = require_caller(request, roles=STAFF)
    week_start = _week(request)
    await menus.delete_menu(
        unit_of_work(request.app, tenant=caller.tenant), caller.tenant, week_start
    )
    return web.Response(status=204)
