"""Back-office: the households' search and the whole file of one household (its members,
changes, documents, invoices and balance, emails sent) and a child's health record."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiohttp import web

from web.apis import Answer
from web.domain import household as hh
from web.domain import staff_households as sh
from web.pages.common import api, render, staff_only, token

routes = web.RouteTableDef()

UUID = "{household_id:[0-9a-fA-F-]{36}}"
CHILD = "{child_id:[0-9a-fA-F-]{36}}"
LABELS = {
    "diets": hh.DIETS,
    "relationships": hh.RELATIONSHIPS,
    "change_statuses": hh.CHANGE_STATUSES,
    "document_statuses": hh.DOCUMENT_STATUSES,
    "email_statuses": sh.EMAIL_STATUSES,
    "account_statuses": sh.ACCOUNT_STATUSES,
    "linked_by": sh.LINKED_BY,
    "payment_statuses": sh.INVOICE_PAYMENT_STATUSES,
    "marital_statuses": hh.MARITAL_STATUSES,
    "custody": hh.CUSTODY,
}


@routes.get("/gestion/foyers")
async def search(request: web.Request) -> web.Response:
    staff_only(request)
    wanted = sh.read_search(request.query)
    found: dict[str, Any] | None = None
    failed = False
    if wanted.text:
        answer = await api(
            request, "family", "GET", "/tenants/{tenant}/households", params=wanted.params
        )
        if answer.ok:
            found = answer.body
        else:
            failed = True  # e.g. a 422 on a page beyond the API's range: said, not a 500
    items = (found or {}).get("items", [])
    where = sh.pages(int((found or {}).get("total", 0)), wanted.page, sh.PER_PAGE, len(items))
    title = f"Foyers : « {wanted.text} »" if wanted.text else "Rechercher un foyer"
    if wanted.text and wanted.page > 1:
        title += f", page {wanted.page}"
    return await render(
        request,
        "staff_households.html.j2",
        {
            "title": title,
            "search": wanted,
            "items": items,
            "where": where,
            "failed": failed,
            "city_of": sh.city_of,
        },
    )


async def _household(request: web.Request) -> dict[str, Any]:
    """The household file, a French 404 page when it does not exist (or is another town's)."""
    answer = await api(
        request,
        "family",
        "GET",
        f"/tenants/{{tenant}}/households/{request.match_info['household_id']}",
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()  # the portal's French 404 page
    if not answer.ok:
        raise Refused(answer.status)
    return dict(answer.body)


class Refused(Exception):
    """The family service refused the file (403) or failed: a French page, never a 500."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = 403 if status == 403 else 502


async def _refused(request: web.Request, exc: Refused) -> web.Response:
    message = (
        "Votre compte n'a pas accès à ce foyer."
        if exc.status == 403
        else "Le dossier du foyer ne peut pas être lu pour le moment ; merci de réessayer."
    )
    title = "Accès refusé" if exc.status == 403 else "Dossier indisponible"
    return await render(
        request, "error.html.j2", {"title": title, "message": message}, status=exc.status
    )


def _body(answer: Answer | BaseException) -> Any:
    """A section's answer, None when its service refused or failed (the section says so)."""
    if isinstance(answer, BaseException) or not answer.ok:
        return None
    return answer.body


@routes.get(f"/gestion/foyers/{UUID}")
async def household_file(request: web.Request) -> web.Response:
    staff_only(request)
    household_id = request.match_info["household_id"]
    await token(request)  # refreshed once here, then the calls side by side
    # What needs only the household's id is read beside the household itself; what needs
    # its members (accounts, emails) next. One service down leaves its section saying so.
    found, changes, documents, invoices, account = await asyncio.gather(
        _household(request),
        api(
            request,
            "family",
            "GET",
            "/tenants/{tenant}/changes",
            params={"household_id": household_id, "status": "all", "per_page": "50"},
        ),
        api(
            request,
            "family",
            "GET",
            f"/tenants/{{tenant}}/households/{household_id}/documents",
            params={"status": "all", "per_page": "50"},
        ),
        api(
            request,
            "billing",
            "GET",
            "/tenants/{tenant}/invoices",
            params={"household_id": household_id, "limit": "50"},
        ),
        api(
            request,
            "billing",
            "GET",
            f"/tenants/{{tenant}}/billing/households/{household_id}/account",
        ),
        return_exceptions=True,
    )
    if isinstance(found, Refused):
        return await _refused(request, found)
    if isinstance(found, BaseException):
        raise found
    household = found
    recipients = {g["email"].lower() for g in household.get("guardians", []) if g.get("email")}
    # Not the emails about another household a guardian of both also receives.
    about = {"household_id": household_id}
    email_calls = [
        api(
            request,
            "notify",
            "GET",
            "/tenants/{tenant}/emails",
            params={"account_id": str(a["account_id"]), **about, "limit": "20"},
        )
        for a in household.get("accounts", [])
    ] + [
        api(
            request,
            "notify",
            "GET",
            "/tenants/{tenant}/emails",
            params={"recipient": address, **about, "limit": "20"},
        )
        for address in sorted(recipients)
    ]
    account_calls = [
        api(request, "identity", "GET", f"/tenants/{{tenant}}/accounts/{a['account_id']}")
        for a in household.get("accounts", [])
    ]
    others = await asyncio.gather(*account_calls, *email_calls, return_exceptions=True)
    accounts, emails = others[: len(account_calls)], others[len(account_calls) :]
    for linked, found in zip(household.get("accounts", []), accounts, strict=True):
        linked["identity"] = _body(found)  # None: identity did not answer, the id is shown
    names = hh.member_names(household)
    today = date.today()
    found_documents = _body(documents)
    for document in (found_documents or {}).get("items", []):
        document["shown_status"] = hh.document_status(document, today)
        document["about"] = names.get(str(document.get("member_id")), "Le foyer")
    found_emails = [_body(e) for e in emails]
    return await render(
        request,
        "staff_households_file.html.j2",
        {
            "title": f"Foyer {household.get('subscriber_code', '')} – {_name(household)}",
            "household": household,
            "name": _name(household),
            "changes": _body(changes),
            "documents": found_documents,
            "invoices": _body(invoices),
            "account": _body(account),
            "emails": sh.emails_merged(found_emails),
            "emails_failed": any(e is None for e in found_emails),
            "change_label": sh.change_label,
            "balance_label": sh.balance_label,
            "file_size": hh.file_size,
            **LABELS,
        },
    )


@routes.get(f"/gestion/foyers/{UUID}/enfants/{CHILD}/sante")
async def health_record(request: web.Request) -> web.Response:
    staff_only(request)
    try:
        household = await _household(request)
    except Refused as exc:
        return await _refused(request, exc)
    child = sh.child_of(household, request.match_info["child_id"].lower())
    if child is None:
        raise web.HTTPNotFound()
    # This read is logged by the family service and shown to the family.
    answer = await api(
        request,
        "family",
        "GET",
        f"/tenants/{{tenant}}/households/{household['id']}/children/{child['id']}/health",
    )
    if not answer.ok and answer.status != 404:  # 404: no record yet, said on the page
        return await _refused(request, Refused(answer.status))
    # Read after the record, so the list shows this very reading as the family will see it.
    log = await api(
        request,
        "family",
        "GET",
        f"/tenants/{{tenant}}/households/{household['id']}/health-access-log",
    )
    readings = sh.readings_of(_body(log), str(child["id"]))
    name = f"{child['first_name']} {child['last_name']}"
    return await render(
        request,
        "staff_households_health.html.j2",
        {
            "title": f"Fiche sanitaire de {name}",
            "household": household,
            "child": child,
            "name": name,
            "record": answer.body if answer.ok else None,
            "readings": readings,
        },
    )


def _name(household: dict[str, Any]) -> str:
    """The household as an agent names it: its guardians' names."""
    guardians = household.get("guardians", [])
    return (
        ", ".join(f"{g['first_name']} {g['last_name']}" for g in guardians)
        or "Foyer sans responsable"
    )
