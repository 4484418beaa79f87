"""SEPA direct debit [000, 001]: the household's mandates (status in words, IBAN masked by
billing), asking for one (holder, IBAN, BIC: billing checks them), signing it with the
emailed link, revoking it after a confirmation step. Effective from the next invoice."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from web.domain.billing import (
    access_purpose,
    current_mandates,
    debit_schedule,
    iban_ending,
    mandate_status,
    past_mandates,
)
from web.domain.problems import form_errors
from web.pages.common import api, redirect, render, token
from web.pages.town import town_read
from web.pages.wallet import linked_household_id
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()

FIELDS = ("regie_id", "holder", "iban", "bic")
NOTICES = {
    "demande": "Votre demande de mandat est enregistrée : un courriel vous a été envoyé avec "
    "le lien pour le signer.",
    "signe": "Le mandat est signé : le prélèvement s'applique à partir de la prochaine facture.",
    "revoque": "Le mandat est révoqué : plus rien ne sera prélevé avec lui.",
}


def _uuid(text: str | None) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise web.HTTPNotFound() from None


async def _regies(request: web.Request) -> list[dict[str, Any]]:
    """The régies collecting by direct debit (a mandate names one)."""
    answer = await town_read(
        request,
        "billing",
        "/tenants/{tenant}/billing/direct-debit-regies",
        settled=lambda body: bool(body.get("regies")),
    )
    return answer.body.get("regies", []) if answer.ok else []


async def direct_debit_offered(request: web.Request) -> bool:
    """Whether the town collects by direct debit (the pages link here only then)."""
    return bool(await _regies(request))


def _shown(mandate: dict[str, Any]) -> dict[str, Any]:
    return {
        **mandate,
        "state": mandate_status(mandate["status"]),
        "iban_ending": iban_ending(mandate.get("iban_masked")),
    }


async def _page(
    request: web.Request,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status: int = 200,
) -> web.Response:
    household_id = await linked_household_id(request)  # the token, refreshed if need be
    households = f"/tenants/{{tenant}}/billing/households/{household_id}"

    async def household_list(path: str, key: str) -> list[dict[str, Any]]:
        if household_id is None:
            return []
        answer = await api(request, "billing", "GET", f"{households}/{path}")
        return answer.body.get(key, []) if answer.ok else []

    regies, mandates, accesses, debits = await asyncio.gather(
        _regies(request),
        household_list("mandates", "mandates"),
        household_list("bank-details-access-log", "items"),
        household_list("direct-debits", "debits"),
    )
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    upcoming, collected = debit_schedule(debits, request.app[CLOCK].now().astimezone(zone).date())
    if not regies and not mandates:
        raise web.HTTPNotFound()  # the town does not collect by direct debit
    notice = next((text for key, text in NOTICES.items() if request.query.get(key)), None)
    failed = bool(errors or general)
    return await render(
        request,
        "direct_debit.html.j2",
        {
            "title": "Erreur – Prélèvement automatique" if failed else "Prélèvement automatique",
            "regies": regies,
            "household_id": household_id,
            "current": [_shown(m) for m in current_mandates(mandates)],
            "past": [_shown(m) for m in past_mandates(mandates)],
            "upcoming": upcoming,
            "collected": collected,
            "accesses": [{**a, "purpose_label": access_purpose(a)} for a in accesses],
            "form": form or {},
            "errors": errors or {},
            "general": general,
            "notice": notice,
        },
        status=status,
    )


@routes.get("/prelevement")
async def direct_debit(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post("/prelevement/mandat")
async def ask_for_mandate(request: web.Request) -> web.Response:
    posted = await request.post()
    form = {name: str(posted.get(name, "")).strip() for name in FIELDS}
    household_id = await linked_household_id(request)
    if household_id is None:
        raise web.HTTPNotFound()
    answer = await api(
        request,
        "billing",
        "POST",
        f"/tenants/{{tenant}}/billing/households/{household_id}/mandates",
        json={
            "regie_id": form["regie_id"],
            "holder": form["holder"],
            "iban": form["iban"],
            "bic": form["bic"] or None,  # optional: billing derives it from the IBAN
        },
    )
    if answer.ok:
        return redirect("/prelevement?demande=1")
    found = form_errors(answer.problem, FIELDS)
    return await _page(
        request,
        form=form,
        errors=found.fields,
        general=found.general,
        status=answer.status or 409,
    )


@routes.get("/prelevement/signature")
async def signature(request: web.Request) -> web.Response:
    """The page of the emailed link: what signing means, and the button to sign."""
    await token(request)  # the family logs in first; the link comes back here
    return await render(
        request,
        "direct_debit_sign.html.j2",
        {"title": "Signer le mandat de prélèvement", "token": request.query.get("token", "")},
    )


@routes.post("/prelevement/signature")
async def sign(request: web.Request) -> web.Response:
    posted = await request.post()
    answer = await api(
        request,
        "billing",
        "POST",
        "/tenants/{tenant}/mandates/sign",
        json={"token": str(posted.get("token", ""))},
    )
    if answer.ok:
        return redirect("/prelevement?signe=1")
    message = form_errors(answer.problem, ()).general
    if answer.status in (404, 410, 422):
        message = (
            "Ce lien de signature n'est plus valable (déjà utilisé, expiré ou inconnu). "
            "Vous pouvez demander un nouveau mandat depuis la page Prélèvement automatique."
        )
    return await render(
        request,
        "direct_debit_sign.html.j2",
        {
            "title": "Erreur – Signer le mandat de prélèvement",
            "token": "",
            "general": message,
        },
        status=answer.status or 409,
    )


async def _mandate(request: web.Request) -> dict[str, Any]:
    mandate_id = _uuid(request.match_info["mandate_id"])
    answer = await api(request, "billing", "GET", f"/tenants/{{tenant}}/mandates/{mandate_id}")
    if not answer.ok:
        raise web.HTTPNotFound()
    return answer.body


@routes.get("/prelevement/{mandate_id}/revoquer")
async def confirm_revoke(request: web.Request) -> web.Response:
    """The confirmation step before revoking (without JavaScript too)."""
    mandate = await _mandate(request)
    return await render(
        request,
        "direct_debit_revoke.html.j2",
        {"title": "Révoquer le mandat de prélèvement", "mandate": _shown(mandate)},
    )


@routes.post("/prelevement/{mandate_id}/revoquer")
async def revoke(request: web.Request) -> web.Response:
    mandate_id = _uuid(request.match_info["mandate_id"])
    answer = await api(
        request, "billing", "POST", f"/tenants/{{tenant}}/mandates/{mandate_id}/revoke"
    )
    if answer.ok:
        return redirect("/prelevement?revoque=1")
    if answer.status == 404:
        raise web.HTTPNotFound()
    return await _page(
        request, general=form_errors(answer.problem, ()).general, status=answer.status or 409
    )
