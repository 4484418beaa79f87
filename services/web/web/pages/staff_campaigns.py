"""Back-office: the enrollment campaigns (booking's): listed with their window and counts,
created and edited (the activities they gather, the previous campaign), archived; one
campaign's activities with their enrollments, the preparation of the renewals from a
previous campaign (its activities mapped to the new ones), and the renewals filtered by
status. Agents and admins; not site animators."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import campaigns as domain
from web.domain import enrollments as enrollments_domain
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render, staff_only

routes = web.RouteTableDef()

HOME = "/gestion/campagnes"
ID = "{campaign_id:[0-9a-fA-F-]{36}}"
CAMPAIGNS = "/tenants/{tenant}/campaigns"


def _campaign_id(request: web.Request) -> str:
    try:
        return str(uuid.UUID(request.match_info["campaign_id"]))
    except ValueError:
        raise web.HTTPNotFound() from None


def _unavailable(answer: Answer) -> ApiUnavailable:
    return ApiUnavailable(f"booking: {answer.status}")


async def _campaign(request: web.Request, campaign_id: str | None = None) -> dict[str, Any]:
    """The campaign of the URL (or `campaign_id`); the French 404 page when booking does not
    know it."""
    campaign_id = campaign_id or _campaign_id(request)
    answer = await api(request, "booking", "GET", f"{CAMPAIGNS}/{campaign_id}")
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise _unavailable(answer)
    return dict(answer.body)


async def _campaigns(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "booking", "GET", CAMPAIGNS)
    if not answer.ok:
        raise _unavailable(answer)
    return list(answer.body.get("items", []))


# --- the list ----------------------------------------------------------------------------------


@routes.get(HOME)
async def campaigns_list(request: web.Request) -> web.Response:
    staff_only(request)
    items = await _campaigns(request)
    # the newest first, the archived at the end (sorts are stable)
    items.sort(key=lambda c: str(c["opens_on"]), reverse=True)
    items.sort(key=lambda c: c.get("state") == "archived")
    return await render(
        request,
        "staff_campaigns.html.j2",
        {
            "title": "Campagnes d'inscription",
            "items": items,
            "domain": domain,
            "done": request.query.get("fait", ""),
        },
    )


# --- create and edit ---------------------------------------------------------------------------


async def _form_page(
    request: web.Request,
    *,
    values: domain.CampaignForm,
    campaign: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    listed, campaigns = await asyncio.gather(
        api(request, "booking", "GET", "/tenants/{tenant}/activities"),
        _campaigns(request),
    )
    activities = sorted(
        (listed.body or {}).get("items", []) if listed.ok else [],
        key=lambda a: (str(a["site"]).lower(), str(a["name"]).lower()),
    )
    # An activity belongs to one campaign at most: those of the others are said so.
    taken = {
        str(a["id"]): str(c["name"])
        for c in campaigns
        if not campaign or str(c["id"]) != str(campaign["id"])
        for a in c.get("activities") or []
    }
    title = f"Modifier la campagne « {campaign['name']} »" if campaign else "Nouvelle campagne"
    return await render(
        request,
        "staff_campaigns_form.html.j2",
        {
            "title": f"Erreur – {title}" if errors else title,
            "campaign": campaign,
            "form": values,
            "errors": errors or FormErrors(),
            "activities": activities,
            "taken": taken,
            "previous_choices": [
                c for c in campaigns if not campaign or str(c["id"]) != str(campaign["id"])
            ],
            "types": enrollments_domain.ACTIVITY_TYPES,
        },
        status=status,
    )


def _refused(answer: Answer) -> FormErrors:
    """booking's refusal by field; an activity already in another campaign (409) by the
    activities' list."""
    if answer.status >= 500 or answer.problem is None:
        raise _unavailable(answer)
    errors = form_errors(answer.problem, domain.CAMPAIGN_FIELDS)
    if answer.status == 409 and not errors.fields:
        return FormErrors({"activity_ids": str(answer.problem.get("detail") or "")})
    return errors


@routes.get(f"{HOME}/nouvelle")
async def campaign_new(request: web.Request) -> web.Response:
    staff_only(request)
    return await _form_page(request, values=domain.CampaignForm())


@routes.post(f"{HOME}/nouvelle")
async def campaign_create(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    values, read = domain.read_campaign_form(form)
    if read.errors:
        return await _form_page(request, values=values, errors=read.errors, status=422)
    answer = await api(request, "booking", "POST", CAMPAIGNS, json=read.body)
    if answer.status == 201:
        return redirect(f"{HOME}/{answer.body['id']}?fait=creee")
    return await _form_page(request, values=values, errors=_refused(answer), status=_status(answer))


@routes.get(f"{HOME}/{ID}/modifier")
async def campaign_edit(request: web.Request) -> web.Response:
    staff_only(request)
    campaign = await _campaign(request)
    return await _form_page(request, values=domain.campaign_form_of(campaign), campaign=campaign)


@routes.post(f"{HOME}/{ID}/modifier")
async def campaign_update(request: web.Request) -> web.Response:
    staff_only(request)
    campaign = await _campaign(request)
    form = await request.post()
    # the school year is fixed once created: the form shows it, booking keeps it
    values, read = domain.read_campaign_form(
        _Fixed(form, {"school_year": str(campaign["school_year"])})
    )
    if read.errors:
        return await _form_page(
            request, values=values, campaign=campaign, errors=read.errors, status=422
        )
    changed = domain.campaign_changes(read.body, campaign)
    if not changed:
        return redirect(f"{HOME}/{campaign['id']}?fait=inchangee")
    answer = await api(request, "booking", "PATCH", f"{CAMPAIGNS}/{campaign['id']}", json=changed)
    if answer.ok:
        return redirect(f"{HOME}/{campaign['id']}?fait=enregistree")
    return await _form_page(
        request,
        values=values,
        campaign=campaign,
        errors=_refused(answer),
        status=_status(answer),
    )


class _Fixed:
    """The posted form with some fields fixed by the campaign (not editable any more)."""

    def __init__(self, form: Any, fixed: dict[str, str]) -> None:
        self.form, self.fixed = form, fixed

    def get(self, name: str, default: Any = None) -> Any:
        return self.fixed[name] if name in self.fixed else self.form.get(name, default)

    def getall(self, name: str, default: Any = None) -> list[Any]:
        return list(self.form.getall(name, default or []))


@routes.post(f"{HOME}/{ID}/archiver")
async def campaign_archive(request: web.Request) -> web.Response:
    return await _archive(request, True, f"{HOME}?fait=archivee")


@routes.post(f"{HOME}/{ID}/restaurer")
async def campaign_restore(request: web.Request) -> web.Response:
    return await _archive(request, False, f"{HOME}/{_campaign_id(request)}?fait=restauree")


async def _archive(request: web.Request, archived: bool, done: str) -> web.Response:
    staff_only(request)
    campaign_id = _campaign_id(request)
    answer = await api(
        request, "booking", "PATCH", f"{CAMPAIGNS}/{campaign_id}", json={"archived": archived}
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise _unavailable(answer)
    return redirect(done)


def _status(answer: Answer) -> int:
    return answer.status if answer.status in (403, 404, 409, 422) else 422


# --- one campaign: its activities, the renewals' preparation, the renewals ---------------------


async def _campaign_page(
    request: web.Request,
    *,
    from_id: str | None = None,
    mapping: dict[str, str | None] | None = None,
    result: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    campaign = await _campaign(request)
    base = f"{CAMPAIGNS}/{campaign['id']}"
    status_filter = request.query.get("statut", "")
    params = {"status": status_filter} if status_filter in domain.RENEWAL_STATUSES else {}
    activities = campaign.get("activities") or []
    campaigns, renewals, *enrollments = await asyncio.gather(
        _campaigns(request),
        api(request, "booking", "GET", f"{base}/renewals", params=params),
        *(
            api(
                request,
                "booking",
                "GET",
                "/tenants/{tenant}/enrollments",
                params={"activity_id": str(a["id"])},
            )
            for a in activities
        ),
    )
    counts = []
    for activity, answer in zip(activities, enrollments, strict=True):
        by_status = Counter(str(e.get("status")) for e in (answer.body or {}).get("items", []))
        counts.append((activity, by_status if answer.ok else None))
    sources = [c for c in campaigns if str(c["id"]) != str(campaign["id"])]
    chosen = from_id if from_id is not None else request.query.get("depuis")
    if chosen is None:
        chosen = str(campaign.get("previous_campaign_id") or "")
    source = next((c for c in sources if str(c["id"]) == chosen), None)
    previous = list((source or {}).get("activities") or [])
    if source is not None and not previous:
        # a campaign read in a list may not carry its activities: ask for it
        previous = list((await _campaign(request, str(source["id"]))).get("activities") or [])
    if mapping is None:
        mapping = domain.default_mapping(previous, activities)
    return await render(
        request,
        "staff_campaigns_campaign.html.j2",
        {
            "title": f"Campagne « {campaign['name']} »",
            "campaign": campaign,
            "activity_counts": counts,
            "sources": sources,
            "source": source,
            "previous": previous,
            "mapping": mapping,
            "result": result,
            "errors": errors or FormErrors(),
            "renewals": (renewals.body or {}).get("items", []) if renewals.ok else [],
            "renewals_failed": not renewals.ok,
            "status_filter": status_filter,
            "domain": domain,
            "types": enrollments_domain.ACTIVITY_TYPES,
            "done": request.query.get("fait", ""),
        },
        status=status,
    )


@routes.get(f"{HOME}/{ID}")
async def campaign_page(request: web.Request) -> web.Response:
    staff_only(request)
    return await _campaign_page(request)


@routes.post(f"{HOME}/{ID}/renouvellements")
async def prepare_renewals(request: web.Request) -> web.Response:
    staff_only(request)
    campaign = await _campaign(request)
    form = await request.post()
    from_id = str(form.get("depuis") or "")
    if not from_id:
        errors = FormErrors(
            {"depuis": "Choisissez la campagne dont les inscriptions sont renouvelées."}
        )
        return await _campaign_page(request, from_id="", errors=errors, status=422)
    source = await _campaign(request, from_id)
    previous = list(source.get("activities") or [])
    new_ids = {str(a["id"]) for a in campaign.get("activities") or []}
    mapping = domain.read_mapping(form, previous, new_ids)
    answer = await api(
        request,
        "booking",
        "POST",
        f"{CAMPAIGNS}/{campaign['id']}/renewals",
        json={"from_campaign_id": from_id, "mapping": mapping},
    )
    chosen = {m["from_activity_id"]: m["to_activity_id"] for m in mapping}
    shown = {str(a["id"]): chosen.get(str(a["id"])) for a in previous}
    if answer.ok:
        return await _campaign_page(request, from_id=from_id, mapping=shown, result=answer.body)
    if answer.status >= 500 or answer.problem is None:
        raise _unavailable(answer)
    errors = form_errors(answer.problem, ("depuis",))
    if any(e.get("field") == "from_campaign_id" for e in answer.problem.get("errors") or []):
        errors = FormErrors({"depuis": str(answer.problem["errors"][0].get("detail"))})
    return await _campaign_page(
        request, from_id=from_id, mapping=shown, errors=errors, status=_status(answer)
    )
