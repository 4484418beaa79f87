"""Back-office: the families of imported households invited in one action (the family
service's onboarding runs). From an import's report (its households) or for every household
not invited yet; then the run's progress (counts, refreshed) and its report of the guardians
who could not be invited, with why, and of those whose invitation the mail server refused
(notify's failed invitation emails); the invitations still pending asked again."""

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
NOTIFY = "notify"
EMAILS = "/tenants/{tenant}/emails"
INVITED = "identity.AccountInvited"
# notify's page size: the accounts asked about in one call, and the emails answered.
EMAILS_PAGE = 200

STATES = {
    "pending": "En cours",
    "invited": "Invité",
    "skipped": "Non invité",
    "undelivered": "Invitation non remise",
}
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


async def _undelivered(request: web.Request, found: dict[str, Any]) -> dict[str, Any]:
    """The run's invited guardians whose invitation email the mail server refused for good
    (notify marks it failed with the server's answer), matched on the account identity made
    for them. One call to notify: the run's accounts when they fit in its page, else the
    town's latest refused invitations. `checked` False: notify did not answer."""
    accounts = list(
        dict.fromkeys(
            g["account_id"]
            for g in found["guardians"]
            if g["state"] == "invited" and g["account_id"]
        )
    )
    if not accounts:
        return {"checked": True, "by_account": {}, "partial": False, "page": EMAILS_PAGE}
    params = {"event_type": INVITED, "status": "failed", "limit": str(EMAILS_PAGE)}
    if len(accounts) <= EMAILS_PAGE:
        params["account_id"] = ",".join(accounts)
    try:
        answer = await api(request, NOTIFY, "GET", EMAILS, params=params)
    except ApiUnavailable:
        answer = None
    if answer is None or not answer.ok:
        return {"checked": False, "by_account": {}, "partial": False, "page": EMAILS_PAGE}
    return {
        "checked": True,
        "page": EMAILS_PAGE,
        "by_account": failed_invitations(answer.body["items"], set(accounts)),
        # More refused invitations than one page, not all of this run's accounts asked about.
        "partial": "account_id" not in params and answer.body.get("next_offset") is not None,
    }


def failed_invitations(emails: list[dict[str, Any]], accounts: set[str]) -> dict[str, Any]:
    """Each account's latest refused invitation (the emails come newest first)."""
    found: dict[str, Any] = {}
    for email in emails:
        account = email.get("account_id")
        if account in accounts and account not in found:
            found[account] = email
    return found


def _with_delivery(found: dict[str, Any], delivery: dict[str, Any]) -> list[dict[str, Any]]:
    """The run's guardians, an invited one whose invitation bounced marked `undelivered` with
    the server's answer."""
    guardians = []
    for g in found["guardians"]:
        email = delivery["by_account"].get(g["account_id"]) if g["state"] == "invited" else None
        guardians.append(
            {
                **g,
                "shown_state": "undelivered" if email else g["state"],
                "delivery_error": (email["last_error"] or "refusée par le serveur de messagerie")
                if email
                else None,
                "delivery_to": email["recipient"] if email else None,
            }
        )
    return guardians


@routes.get(f"{HOME}/{RUN}")
async def run(request: web.Request) -> web.Response:
    staff_only(request)
    found = await _run(request, request.match_info["run_id"].lower())
    delivery = await _undelivered(request, found)
    guardians = _with_delivery(found, delivery)
    undelivered = [g for g in guardians if g["shown_state"] == "undelivered"]
    # Invitations, not guardians: a guardian of two households has one account, one email.
    refused = len({g["account_id"] for g in undelivered})
    progress = {"run": found, "undelivered": refused, "delivery": delivery}
    if request.headers.get("HX-Request") == "true":
        # The counts alone: refreshed while invitations are pending.
        return await render(
            request, "_onboarding_progress.html.j2", {"title": "Progression", **progress}
        )
    skipped = [g for g in guardians if g["state"] == "skipped"]
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
            **progress,
            "guardians": guardians,
            "skipped": skipped,
            "undelivered_guardians": undelivered,
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
