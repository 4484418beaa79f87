"""A household's subscriber code as staff hand it out (staff): the letter to print (PDF from
the family service, passed on), the letters of many households in one PDF (those no account
is linked to yet, or those ticked in a search), and a new code when the family lost its
letter, after a confirmation (the old code stops working)."""

from __future__ import annotations

import uuid
from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import staff_households as sh
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
LETTERS = f"{HOME}/lettres"
FAMILY = "family"
MAX_BATCH = 500  # the family service's limit of one batch (a page each)
PAGE_SIZE = 100  # the family search's largest page
BATCH_NAME = "lettres-code-abonne.pdf"
NONE_TICKED = "Cochez au moins un foyer."
TOO_MANY = (
    f"Plus de {MAX_BATCH} foyers : affinez la recherche pour imprimer au plus {MAX_BATCH} lettres"
    " à la fois."
)


async def _letterhead(request: web.Request) -> dict[str, str]:
    """The town's name and its portal's address, printed as the portal shows them."""
    town = await theme(request.app)
    return {"town": town.name, "portal_url": public_origin(request)}


def _wanted(values: Any) -> tuple[sh.Search, bool]:
    """The search and whether only households without a linked account are shown; the first
    visit (nothing asked yet) shows those, the letters most often to send."""
    unlinked = values.get("sans_compte") == "1" or not values
    return sh.read_search(values), unlinked


def _params(search: sh.Search, unlinked: bool, page: int, per_page: int) -> dict[str, str]:
    params = {"q": search.text, "page": str(page), "per_page": str(per_page)}
    if unlinked:
        params["linked"] = "false"
    return params


async def _letters_page(
    request: web.Request, values: Any, *, error: str | None = None, status: int = 200
) -> web.Response:
    search, unlinked = _wanted(values)
    found: dict[str, Any] = {}
    failed = False
    if search.text or unlinked:
        params = _params(search, unlinked, search.page, sh.PER_PAGE)
        answer = await api(request, FAMILY, "GET", "/tenants/{tenant}/households", params=params)
        if answer.ok:
            found = answer.body
        else:
            failed = True
    items = found.get("items", [])
    where = sh.pages(int(found.get("total", 0)), search.page, sh.PER_PAGE, len(items))
    title = "Lettres des codes abonnés"
    if error:
        title = f"Erreur – {title}"
    return await render(
        request,
        "staff_households_letters.html.j2",
        {
            "title": title,
            "search": search,
            "unlinked": unlinked,
            "items": items,
            "where": where,
            "failed": failed,
            "error": error,
            "max_batch": MAX_BATCH,
            "city_of": sh.city_of,
        },
        status=status,
    )


@routes.get(LETTERS)
async def letters(request: web.Request) -> web.Response:
    """Which households' letters to print: the search (by default the households no account
    is linked to), a box ticked per household, and the whole search in one go."""
    staff_only(request)
    return await _letters_page(request, request.query)


async def _every_household(request: web.Request, search: sh.Search, unlinked: bool) -> list[str]:
    """Every household the search finds, page after page (at most MAX_BATCH + 1)."""
    ids: list[str] = []
    page = 1
    while len(ids) <= MAX_BATCH:
        params = _params(search, unlinked, page, PAGE_SIZE)
        answer = await api(request, FAMILY, "GET", "/tenants/{tenant}/households", params=params)
        if not answer.ok:
            raise ApiUnavailable(f"family: {answer.status}")
        items = answer.body.get("items", [])
        ids.extend(str(h["id"]) for h in items)
        if len(items) < PAGE_SIZE:
            break
        page += 1
    return ids


def _ticked(values: Any) -> list[str]:
    """The ticked households, each once, in the page's order (anything else ignored)."""
    ids: list[str] = []
    for value in values.getall("foyer", []):
        try:
            ids.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return list(dict.fromkeys(ids))


@routes.post(LETTERS)
async def print_letters(request: web.Request) -> web.Response:
    """One PDF of the chosen households' letters (the family service's, passed on)."""
    staff_only(request)
    form = await request.post()
    search, unlinked = _wanted(form)
    if form.get("tous") == "1":
        household_ids = await _every_household(request, search, unlinked)
    else:
        household_ids = _ticked(form)
    if not household_ids:
        return await _letters_page(request, form, error=NONE_TICKED, status=422)
    if len(household_ids) > MAX_BATCH:
        return await _letters_page(request, form, error=TOO_MANY, status=422)
    body = {"household_ids": household_ids, **await _letterhead(request)}
    found = await fetched_file(request, FAMILY, "/tenants/{tenant}/subscriber-letters", json=body)
    if found.status == 403:
        return await _refused(request, Refused(403))
    if found.status != 200:  # a household gone meanwhile (422): said, the choice kept
        error = "Un des foyers choisis n'existe plus : relancez la recherche."
        return await _letters_page(request, form, error=error, status=422)
    return file_response(found, BATCH_NAME, private=True)


@routes.get(f"{HOME}/{UUID}/lettre-code-abonne")
async def subscriber_letter(request: web.Request) -> web.Response:
    """The family service's PDF passed on, printed with the town's name and its portal's
    address as the portal shows them."""
    staff_only(request)
    household_id = request.match_info["household_id"].lower()
    path = f"/tenants/{{tenant}}/households/{household_id}/subscriber-letter"
    found = await fetched_file(request, FAMILY, path, await _letterhead(request))
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
