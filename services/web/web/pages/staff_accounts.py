"""Back-office: the town's accounts (identity): searched, created (by invitation or with a
temporary password shown once), one account's details and actions (a temporary password,
disable and enable, roles and sites), and the admin's audit log."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain import staff_accounts as sa
from web.domain.problems import FormErrors, form_errors
from web.domain.staff_households import ACCOUNT_STATUSES, pages
from web.pages.common import api, redirect, render, staff_only
from web.usecases import sessions

routes = web.RouteTableDef()

HOME = "/gestion/comptes"
JOURNAL = "/gestion/journal"
ID = "{account_id:[0-9a-fA-F-]{36}}"
ACCOUNT_FIELDS = ("email", "display_name", "kind", "sites", "mode")
LABELS = {
    "account_statuses": ACCOUNT_STATUSES,
    "roles_label": sa.roles_label,
    "action_label": sa.action_label,
    "entry_details": sa.entry_details,
    "role_filters": sa.ROLE_FILTERS,
    "status_filters": sa.STATUS_FILTERS,
    "modes": sa.MODES,
}


def _no_store(response: web.Response) -> web.Response:
    """A page showing a password: never kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


async def _sites(request: web.Request) -> list[str] | None:
    """The town's sites (booking's activities); None when booking does not answer."""
    try:
        answer = await api(request, "booking", "GET", "/tenants/{tenant}/activities")
    except ApiUnavailable:
        return None
    if not answer.ok:
        return None
    return sa.sites_of(answer.body.get("items", []))


def _errors(answer: Answer, known: tuple[str, ...]) -> FormErrors:
    """identity's refusal next to the form's fields; its `roles` is the form's kind."""
    body = dict(answer.body) if isinstance(answer.body, dict) else None
    if body is not None:
        body["errors"] = [
            {**e, "field": "kind" if e.get("field") == "roles" else e.get("field")}
            for e in body.get("errors") or []
            if isinstance(e, dict)
        ]
    return form_errors(body, known)


# --- the list --------------------------------------------------------------------------


@routes.get(HOME)
async def accounts_list(request: web.Request) -> web.Response:
    staff_only(request)
    wanted = sa.read_search(request.query)
    answer = await api(
        request, "identity", "GET", "/tenants/{tenant}/accounts", params=wanted.params
    )
    found = answer.body if answer.ok else {}
    items = found.get("items", [])
    where = pages(int(found.get("total", 0)), wanted.page, sa.PER_PAGE, len(items))
    title = "Comptes"
    if wanted.text:
        title += f" : « {wanted.text} »"
    if wanted.page > 1:
        title += f", page {wanted.page}"
    return await render(
        request,
        "staff_accounts.html.j2",
        {
            "title": title,
            "search": wanted,
            "items": items,
            "where": where,
            "failed": not answer.ok,
            **LABELS,
        },
    )


# --- a new account ---------------------------------------------------------------------


async def _new_page(
    request: web.Request,
    *,
    values: sa.AccountForm,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    session = staff_only(request)
    admin = sessions.is_admin(session)
    sites = await _sites(request) if admin else []
    return await render(
        request,
        "staff_accounts_new.html.j2",
        {
            "title": "Erreur – Créer un compte" if errors else "Créer un compte",
            "form": values,
            "errors": errors or FormErrors(),
            "kinds": sa.kinds_for(admin),
            "sites": sites or [],
            "sites_failed": sites is None,
            **LABELS,
        },
        status=status,
    )


@routes.get(f"{HOME}/nouveau")
async def account_new(request: web.Request) -> web.Response:
    staff_only(request)
    return await _new_page(request, values=sa.AccountForm())


@routes.post(f"{HOME}/nouveau")
async def account_create(request: web.Request) -> web.Response:
    session = staff_only(request)
    admin = sessions.is_admin(session)
    form = await request.post()
    values = sa.read_account_form(form, form.getall("sites", []))
    known = (await _sites(request) or []) if values.kind == "animateur" else []
    checked = sa.check_account_form(values, admin=admin, known_sites=known)
    if checked.fields:
        return await _new_page(
            request, values=values, errors=FormErrors(checked.fields), status=422
        )
    answer = await api(
        request, "identity", "POST", "/tenants/{tenant}/accounts", json=values.body()
    )
    if answer.status == 201:
        created = answer.body
        account = created["account"]
        if created.get("temporary_password"):
            return _no_store(
                await render(
                    request,
                    "staff_accounts_password.html.j2",
                    {
                        "title": "Compte créé : mot de passe provisoire",
                        "account": account,
                        "password": created["temporary_password"],
                        "created": True,
                        **LABELS,
                    },
                )
            )
        return redirect(f"{HOME}/{account['id']}?fait=invite")
    if answer.status == 403:
        errors = FormErrors({"kind": "Seul un administrateur peut créer ce type de compte."})
    elif answer.status == 409:
        errors = FormErrors({"email": str(answer.body.get("detail") or "")})
    elif answer.status == 422:
        errors = _errors(answer, ACCOUNT_FIELDS)
    else:
        raise ApiUnavailable(f"identity: {answer.status}")
    status = answer.status if answer.status in (403, 409) else 422
    return await _new_page(request, values=values, errors=errors, status=status)


# --- one account -----------------------------------------------------------------------


async def _account(request: web.Request) -> dict[str, Any]:
    answer = await api(
        request,
        "identity",
        "GET",
        f"/tenants/{{tenant}}/accounts/{request.match_info['account_id']}",
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable(f"identity: {answer.status}")
    return dict(answer.body)


async def _account_page(
    request: web.Request,
    *,
    roles_form: sa.RolesForm | None = None,
    errors: FormErrors | None = None,
    action_error: str | None = None,
    status: int = 200,
) -> web.Response:
    session = staff_only(request)
    admin = sessions.is_admin(session)
    account = await _account(request)
    entries: dict[str, Any] | None = None
    sites: list[str] | None = []
    if admin:
        # The audit log and the sites are the admin's: an agent's page does without them.
        audit, sites = await asyncio.gather(
            api(
                request,
                "identity",
                "GET",
                "/tenants/{tenant}/audit",
                params={"account_id": str(account["id"]), "limit": "50"},
            ),
            _sites(request),
            return_exceptions=True,
        )
        # One part unreadable leaves its section saying so, the rest of the page shown.
        entries = audit.body if isinstance(audit, Answer) and audit.ok else None
        sites = None if isinstance(sites, BaseException) else sites
    values = roles_form or sa.RolesForm(
        kind=sa.kind_of(account.get("roles", [])), sites=tuple(account.get("sites") or [])
    )
    # An account's own sites stay offered even when no activity uses them any more.
    offered = sorted(set(sites or []) | set(account.get("sites") or []), key=str.casefold)
    is_family = set(account.get("roles", [])) <= {"family"}
    return await render(
        request,
        "staff_accounts_account.html.j2",
        {
            "title": f"Compte de {account.get('display_name') or account.get('email')}",
            "account": account,
            "entries": entries,
            "roles_form": values,
            "errors": errors or FormErrors(),
            "action_error": action_error,
            "kinds": sa.kinds_for(True),
            "sites": offered,
            "sites_failed": admin and sites is None,
            "may_give_password": account.get("status") != "disabled" and (admin or is_family),
            "done": request.query.get("fait", ""),
            **LABELS,
        },
        status=status,
    )


async def _refused(request: web.Request, answer: Answer) -> web.Response:
    """identity refused an action (not allowed, a disabled account, one's own): said at
    the top of the account's page."""
    detail = str(answer.body.get("detail") or "") if isinstance(answer.body, dict) else ""
    return await _account_page(
        request, action_error=detail or "L'action n'est pas possible.", status=answer.status
    )


@routes.get(f"{HOME}/{ID}")
async def account_details(request: web.Request) -> web.Response:
    staff_only(request)
    return await _account_page(request)


@routes.get(f"{HOME}/{ID}/mot-de-passe")
async def password_confirm(request: web.Request) -> web.Response:
    staff_only(request)
    account = await _account(request)
    return await render(
        request,
        "staff_accounts_confirm.html.j2",
        {"title": "Donner un mot de passe provisoire", "account": account, **LABELS},
    )


@routes.post(f"{HOME}/{ID}/mot-de-passe")
async def password_give(request: web.Request) -> web.Response:
    staff_only(request)
    account_id = request.match_info["account_id"]
    answer = await api(
        request, "identity", "POST", f"/tenants/{{tenant}}/accounts/{account_id}/temporary-password"
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if answer.status in (403, 409):
        return await _refused(request, answer)
    if not answer.ok:
        raise ApiUnavailable(f"identity: {answer.status}")
    return _no_store(
        await render(
            request,
            "staff_accounts_password.html.j2",
            {
                "title": "Mot de passe provisoire",
                "account": answer.body["account"],
                "password": answer.body["temporary_password"],
                "created": False,
                **LABELS,
            },
        )
    )


async def _set_disabled(request: web.Request, action: str, done: str) -> web.Response:
    staff_only(request, admin=True)
    account_id = request.match_info["account_id"]
    answer = await api(
        request, "identity", "POST", f"/tenants/{{tenant}}/accounts/{account_id}/{action}"
    )
    if answer.status in (404, 422):
        raise web.HTTPNotFound()
    if answer.status in (403, 409):
        return await _refused(request, answer)
    if not answer.ok:
        raise ApiUnavailable(f"identity: {answer.status}")
    return redirect(f"{HOME}/{account_id}?fait={done}")


@routes.post(f"{HOME}/{ID}/desactiver")
async def account_disable(request: web.Request) -> web.Response:
    return await _set_disabled(request, "disable", "desactive")


@routes.post(f"{HOME}/{ID}/activer")
async def account_enable(request: web.Request) -> web.Response:
    return await _set_disabled(request, "enable", "active")


@routes.post(f"{HOME}/{ID}/roles")
async def account_roles(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    account_id = request.match_info["account_id"]
    form = await request.post()
    values = sa.read_roles_form(form, form.getall("sites", []))
    account = await _account(request)
    known = set(await _sites(request) or []) | set(account.get("sites") or [])
    checked = sa.check_roles_form(values, known_sites=known)
    if checked:
        return await _account_page(
            request, roles_form=values, errors=FormErrors(checked), status=422
        )
    answer = await api(
        request,
        "identity",
        "PATCH",
        f"/tenants/{{tenant}}/accounts/{account_id}",
        json=values.body(),
    )
    if answer.ok:
        return redirect(f"{HOME}/{account_id}?fait=roles")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.status not in (409, 422):
        raise ApiUnavailable(f"identity: {answer.status}")
    return await _account_page(
        request,
        roles_form=values,
        errors=_errors(answer, ("kind", "sites")),
        status=answer.status,
    )


# --- the audit log ---------------------------------------------------------------------


@routes.get(JOURNAL)
async def journal(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    wanted = sa.read_journal(request.query)
    answer = await api(request, "identity", "GET", "/tenants/{tenant}/audit", params=wanted.params)
    found = answer.body if answer.ok else {}
    items = found.get("items", [])
    where = pages(int(found.get("total", 0)), wanted.page, sa.PER_PAGE, len(items))
    title = "Journal des comptes"
    if wanted.email:
        title += f" : {wanted.email}"
    if wanted.page > 1:
        title += f", page {wanted.page}"
    return await render(
        request,
        "staff_accounts_journal.html.j2",
        {
            "title": title,
            "search": wanted,
            "items": items,
            "where": where,
            "failed": not answer.ok,
            **LABELS,
        },
    )
