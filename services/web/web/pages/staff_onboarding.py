"""Back-office: the families of imported households invited in one action (the family
service's onboarding runs). From an import's report (its households) or for every household
not invited yet; then the run's progress (counts, refreshed) and its report of the guardians
who could not be invited, with why; the invitations still pending asked again."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.pages.common import api, redirect, render, staff_only

routes = web.RouteTableDef()

HOME = "/gestion/invitations"
RUN = "{run_id:[0-9a-fA-F-]{36}}"
FAMILY = "family"
RUNS = "/tenants/{tenant}/onboarding-runs"

STATES = {"pending": "En cours", "invited": "Invité", "skipped": "Non invité"}
MAX_HOUSEHOLDS = 10_000


async def _home(
    request: web.Request, *, message: str | None = None, status: int = 200
) -> web.Response:
    answer = await api(request, FAMILY, "GET", RUNS, params={"per_page": "50"})
    if not answer.ok:
        raise ApiUnavailable(f"family: {answer.status}")
    return await render(
        request,
        "staff_onboarding.html.j2",
        {
            "title": "Inviter les familles" + (" – erreur" if message else ""),
            "runs": answer.body["items"],
            "message": message,
            "home": HOME,
        },
        status=status,
    )


@routes.get(HOME)
async def home(request: web.Request) -> web.Response:
    staff_only(request)
    return await _home(request)


@routes.post(HOME)
async def start(request: web.Request) -> web.Response:
    """A run for the households the form lists (an import's), or for all not invited yet."""
    staff_only(request)
    form = await request.post()
    household_ids = [str(v) for v in form.getall("household_id", [])][:MAX_HOUSEHOLDS]
    body: dict[str, Any] = {"household_ids": household_ids} if household_ids else {"all": True}
    answer = await api(request, FAMILY, "POST", RUNS, json=body)
    if answer.status == 422:
        problem = answer.problem or {}
        detail = str(problem.get("detail") or "Aucune famille à inviter.")
        return await _home(request, message=detail, status=422)
    if not answer.ok:
        raise ApiUnavailable(f"family: {answer.status}")
    return redirect(f"{HOME}/{answer.body['id']}")


async def _run(request: web.Request, run_id: str) -> dict[str, Any]:
    answer = await api(request, FAMILY, "GET", f"{RUNS}/{run_id}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"family: {answer.status}")
    return answer.body


@routes.get(f"{HOME}/{RUN}")
async def run(request: web.Request) -> web.Response:
    staff_only(request)
    found = await _run(request, request.match_info["run_id"].lower())
    if request.headers.get("HX-Request") == "true":
        # The counts alone: refreshed while invitations are pending.
        return await render(
            request, "_onboarding_progress.html.j2", {"title": "Progression", "run": found}
        )
    skipped = [g for g in found["guardians"] if g["state"] == "skipped"]
    title = (
        "Invitations envoyées"
        if found["done"]
        else f"Invitations en cours : {found['pending']} en attente"
    )
    return await render(
        request,
        "staff_onboarding_run.html.j2",
        {
            "title": title,
            "run": found,
            "skipped": skipped,
            "states": STATES,
            "home": HOME,
        },
    )


@routes.post(f"{HOME}/{RUN}/relancer")
async def resume(request: web.Request) -> web.Response:
    staff_only(request)
    run_id = request.match_info["run_id"].lower()
    answer = await api(request, FAMILY, "POST", f"{RUNS}/{run_id}/resume")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"family: {answer.status}")
    return redirect(f"{HOME}/{run_id}")
