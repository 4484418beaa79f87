"""The household's wallet ("tirelire" [003]): activate it, read its balance and movements,
top it up by card (billing starts the payment; the bank's page; back to the payment return
page, which links here). Absent when the town holds no wallets. Staff read a household's
wallet and pay its balance back to the family (`/gestion/foyers/{id}/tirelire`), e.g. once
the town no longer offers the wallet."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from web.apis import Answer, ApiUnavailable
from web.domain.billing import (
    AmountError,
    amount_field,
    movement_direction,
    movement_kind,
    parse_amount,
    token_household,
)
from web.domain.problems import FormErrors, form_errors
from web.pages.common import SESSION, api, redirect, render, staff_only, token
from web.pages.staff_households import UUID
from web.pages.town import town_read

routes = web.RouteTableDef()

SETTINGS_PATH = "/tenants/{tenant}/billing/wallet-settings"
# billing's field → the form's
FIELDS = {"amount_cents": "montant"}


async def wallet_settings(request: web.Request) -> dict[str, Any] | None:
    """The town's wallet settings; None when it holds no wallets (the page is absent)."""
    answer = await town_read(
        request, "billing", SETTINGS_PATH, settled=lambda body: bool(body.get("regie_id"))
    )
    if not answer.ok or not answer.body.get("regie_id"):
        return None
    return answer.body


async def linked_household_id(request: web.Request) -> str | None:
    """The family's household, from its access token (no call: the household file is the
    slowest read of all); a token from before the account was linked is refreshed once."""
    found = token_household(await token(request))
    if found is None:
        found = token_household(await token(request, force=True))
    return found


async def _page(
    request: web.Request,
    *,
    amount: str = "",
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> web.Response:
    household_id = await linked_household_id(request)  # the token, refreshed if need be

    async def movements() -> Answer | None:
        if household_id is None:
            return None
        path = f"/tenants/{{tenant}}/billing/households/{household_id}/wallet/movements"
        return await api(request, "billing", "GET", path, params={"limit": "50"})

    settings, answer = await asyncio.gather(wallet_settings(request), movements())
    if settings is None:
        raise web.HTTPNotFound()
    context: dict[str, Any] = {
        "title": "Ma tirelire",
        "settings": settings,
        "household_id": household_id,
        "wallet": None,
        "movements": [],
        "amount": amount,
        "errors": errors or {},
        "general": general,
        "activated": request.query.get("active") == "1",
    }
    if answer is not None and answer.ok:
        context["wallet"] = {"balance_cents": answer.body["balance_cents"]}
        context["movements"] = [
            {
                **movement,
                "kind_label": movement_kind(movement["kind"]),
                "direction": movement_direction(movement["amount_cents"]),
            }
            for movement in answer.body.get("movements", [])
        ]
    elif answer is not None and answer.status != 404:  # 404: not activated, the page offers to
        context["general"] = general or form_errors(answer.problem, ()).general
    if errors or general:
        context["title"] = "Erreur – Ma tirelire"
    return await render(request, "wallet.html.j2", context, status=status)


@routes.get("/tirelire")
async def wallet(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/tirelire/activer")
async def activate(request: web.Request) -> web.Response:
    household_id = await linked_household_id(request)
    if household_id is None:
        raise web.HTTPNotFound()
    answer = await api(
        request, "billing", "POST", f"/tenants/{{tenant}}/billing/households/{household_id}/wallet"
    )
    if answer.ok:
        return redirect("/tirelire?active=1")
    message = form_errors(answer.problem, ()).general
    return await _page(request, general=message, status=answer.status or 409)


@routes.post("/tirelire/recharger")
async def top_up(request: web.Request) -> web.Response:
    form = await request.post()
    typed = str(form.get("montant", ""))
    household_id = await linked_household_id(request)
    settings = await wallet_settings(request)
    if settings is None or household_id is None:
        raise web.HTTPNotFound()
    try:
        cents = parse_amount(typed, settings["top_up_min_cents"], settings["top_up_max_cents"])
    except AmountError as error:
        return await _page(request, amount=typed, errors={"montant": str(error)}, status=422)
    answer = await api(
        request,
        "billing",
        "POST",
        f"/tenants/{{tenant}}/billing/households/{household_id}/wallet/top-ups",
        # The bank's receipt goes to the account's email.
        json={"amount_cents": cents, "email": request[SESSION].email},
    )
    if answer.ok and answer.body.get("payment_url"):
        return redirect(answer.body["payment_url"])
    found = form_errors(answer.problem, tuple(FIELDS))
    errors = {FIELDS[name]: message for name, message in found.fields.items()}
    return await _page(
        request,
        amount=amount_field(cents),
        errors=errors,
        general=found.general,
        status=answer.status or 409,
    )


# --- staff: a household's wallet, its balance paid back ------------------------------------

STAFF_PAGE = "/gestion/foyers/{household_id}/tirelire"
PAYOUT_FIELDS = ("method", "reference")
PAYOUT_METHODS = {"transfer": "Virement", "cheque": "Chèque", "cash": "Espèces"}


def _movements(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **movement,
            "kind_label": movement_kind(movement["kind"]),
            "direction": movement_direction(movement["amount_cents"]),
        }
        for movement in body.get("movements", [])
    ]


async def _staff_page(
    request: web.Request,
    *,
    form: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    household_id = request.match_info["household_id"].lower()
    path = f"/tenants/{{tenant}}/billing/households/{household_id}/wallet/movements"
    answer = await api(request, "billing", "GET", path, params={"limit": "20"})
    if answer.status == 422:
        raise web.HTTPNotFound()
    if not answer.ok and answer.status != 404:
        raise ApiUnavailable(f"billing: {answer.status}")
    wallet = answer.body if answer.ok else None
    return await render(
        request,
        "staff_wallet.html.j2",
        {
            "title": ("Erreur – " if errors else "") + "Tirelire du foyer",
            "household_id": household_id,
            "wallet": wallet,
            "movements": _movements(wallet) if wallet else [],
            "methods": PAYOUT_METHODS,
            "form": form or {"method": "transfer"},
            "errors": errors or FormErrors(),
            "paid_back": request.query.get("rembourse") == "1",
        },
        status=status,
    )


@routes.get(f"/gestion/foyers/{UUID}/tirelire")
async def staff_wallet(request: web.Request) -> web.Response:
    staff_only(request)
    return await _staff_page(request)


@routes.post(f"/gestion/foyers/{UUID}/tirelire/rembourser")
async def staff_pay_out(request: web.Request) -> web.Response:
    """The whole balance paid back by the régie (billing's payout), how it was paid."""
    staff_only(request)
    household_id = request.match_info["household_id"].lower()
    posted = await request.post()
    form = {name: str(posted.get(name, "")).strip() for name in PAYOUT_FIELDS}
    if form["method"] not in PAYOUT_METHODS:
        errors = FormErrors({"method": "Choisissez comment le solde est remboursé."})
        return await _staff_page(request, form=form, errors=errors, status=422)
    answer = await api(
        request,
        "billing",
        "POST",
        f"/tenants/{{tenant}}/billing/households/{household_id}/wallet/payouts",
        json=form,
    )
    if answer.ok:
        return redirect(STAFF_PAGE.format(household_id=household_id) + "?rembourse=1")
    if answer.status >= 500 or answer.problem is None:
        raise ApiUnavailable(f"billing: {answer.status}")
    found = form_errors(answer.problem, PAYOUT_FIELDS)
    return await _staff_page(request, form=form, errors=found, status=answer.status)
