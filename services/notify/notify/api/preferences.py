"""My email preferences (issue 18): the week reminders before the booking deadline."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from notify import schemas
from notify.api.callers import account_of
from notify.usecases import preferences
from shared.auth import require_caller
from shared.http.openapi import doc
from shared.http.requests import json_response, read_json
from shared.keys import POOL
from shared.uow import unit_of_work

routes = web.RouteTableDef()


@routes.get("/tenants/{tenant}/accounts/me/preferences")
@doc(
    "My email preferences: whether I get the booking reminders (on by default)",
    response=schemas.PreferencesOut,
    tags=["notifications"],
    responses={403: "A token without an account"},
)
async def my_preferences(request: web.Request) -> web.Response:
    caller = require_caller(request)
    found = await preferences.preferences(request.app[POOL], caller.tenant, account_of(caller))
    return json_response(schemas.PreferencesOut(), found)


@routes.put("/tenants/{tenant}/accounts/me/preferences")
@doc(
    "Change my email preferences",
    request=schemas.PreferencesIn,
    response=schemas.PreferencesOut,
    tags=["notifications"],
    responses={403: "A token without an account", 422: "`booking_reminders` is not a boolean"},
    description="`booking_reminders: false` stops the « Pensez à réserver la semaine du … »"
    " emails for this account only (the household's other guardians keep theirs).",
)
async def put_my_preferences(request: web.Request) -> web.Response:
    caller = require_caller(request)
    account_id = account_of(caller)
    data = await read_json(request, schemas.PreferencesIn())
    saved = await preferences.set_preferences(
        unit_of_work(request.app, tenant=caller.tenant),
        caller.tenant,
        account_id,
        data,
        now=datetime.now(UTC),
    )
    return json_response(schemas.PreferencesOut(), saved)
