"""A household's subscriber code as staff hand it out (staff): the letter to print (PDF from
the family service, passed on) and a new code when the family lost its letter, after a
confirmation (the old code stops working)."""

from __future__ import annotations

from aiohttp import web

from web.apis import ApiUnavailable
from web.pages.common import (
    api,
    fetched_file,
    file_response,
    public_origin,
    redirect,
    render,
    staff_only,
    theme,
)
from web.pages.staff_households import UUID, Refused, _household, _name, _refused

routes = web.RouteTableDef()

HOME = "/gestion/foyers"
FAMILY = "family"


@routes.get(f"{HOME}/{UUID}/lettre-code-abonne")
async def subscriber_letter(request: web.Request) -> web.Response:
    """The family service's PDF passed on, printed with the town's name and its portal's
    address as the portal shows them."""
    staff_only(request)
    household_id = request.match_info["household_id"].lower()
    town = await theme(request.app)
    letterhead = {"town": town.name, "portal_url": public_origin(request)}
    path = f"/tenants/{{tenant}}/households/{household_id}/subscriber-letter"
    found = await fetched_file(request, FAMILY, path, letterhead)
    if found.status in (404, 422):
        raise web.HTTPNotFound()
    if found.status != 200:
        return await _refused(request, Refused(found.status))
    return file_response(found, "lettre-code-abonne.pdf")


@routes.get(f"{HOME}/{UUID}/nouveau-code")
async def new_code_confirm(request: web.Request) -> web.Response:
    """The confirmation before a new code; after it (`?fait=1`), the new code."""
    staff_only(request)
    try:
        household = await _household(request)
    except Refused as exc:
        return await _refused(request, exc)
    done = request.query.get("fait") == "1"
    return await render(
        request,
        "staff_households_code.html.j2",
        {
            "title": "Nouveau code abonné" if done else "Générer un nouveau code abonné ?",
            "household": household,
            "name": _name(household),
            "done": done,
        },
    )


@routes.post(f"{HOME}/{UUID}/nouveau-code")
async def new_code(request: web.Request) -> web.Response:
    staff_only(request)
    household_id = request.match_info["household_id"].lower()
    answer = await api(
        request, FAMILY, "POST", f"/tenants/{{tenant}}/households/{household_id}/subscriber-code"
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if answer.status == 403:
        return await _refused(request, Refused(403))
    if not answer.ok:
        raise ApiUnavailable(f"family: {answer.status}")
    return redirect(f"{HOME}/{household_id}/nouveau-code?fait=1")
