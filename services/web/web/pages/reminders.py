"""My account's reminder preferences (notify): whether the booking reminders are emailed to
me. Shown on /compte, saved here."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from shared.keys import POOL
from web.apis import ApiUnavailable
from web.pages.common import FLASH, SESSION, api, redirect
from web.usecases import sessions

routes = web.RouteTableDef()

PREFERENCES = "/tenants/{tenant}/accounts/me/preferences"
FIELD = "rappels"


async def reminder_preferences(request: web.Request) -> dict[str, Any] | None:
    """The account's preferences; None when notify cannot say now (the rest of /compte is
    still shown, without the form)."""
    try:
        answer = await api(request, "notify", "GET", PREFERENCES)
    except ApiUnavailable:
        return None
    return dict(answer.body) if answer.ok and isinstance(answer.body, dict) else None


@routes.post("/compte/rappels")
async def save_reminders(request: web.Request) -> web.Response:
    form = await request.post()
    # An unticked checkbox is not sent: no reminders.
    wanted = form.get(FIELD) == "oui"
    answer = await api(request, "notify", "PUT", PREFERENCES, json={"booking_reminders": wanted})
    if answer.ok:
        return redirect("/compte?rappels=1#rappels")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"notify: {answer.status}")
    detail = answer.problem.get("detail") or "Votre choix n'a pas pu être enregistré."
    await sessions.remember(request.app[POOL], request[SESSION], **{FLASH: str(detail)})
    return redirect("/compte#rappels")
