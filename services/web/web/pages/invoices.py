"""Invoices: what remains to pay, the settled ones, each PDF; card payment of an unpaid one
(billing starts the transaction, the browser goes to the bank's page) and the return page."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from aiohttp import web

from web.domain.billing import token_household
from web.domain.french import euros
from web.domain.problems import form_errors
from web.pages.common import SESSION, api, redirect, render, token
from web.pages.direct_debit import direct_debit_offered
from web.pages.wallet import wallet_settings
from web.settings import SETTINGS
from web.state import APIS

routes = web.RouteTableDef()

STATUSES = {
    "paid": ("Paiement accepté", "Votre paiement a été accepté. Merci !"),
    "pending": (
        "Paiement en cours de traitement",
        "Votre paiement est en cours de traitement par la banque ; cette page se met à jour.",
    ),
    "refused": ("Paiement refusé", "Le paiement a été refusé ; aucune somme n'a été prélevée."),
    "cancelled": ("Paiement abandonné", "Le paiement a été abandonné ; rien n'a été prélevé."),
    "expired": ("Paiement expiré", "Le délai du paiement est dépassé ; rien n'a été prélevé."),
}


def _uuid(text: str | None) -> uuid.UUID:
    try:
        return uuid.UUID(str(text))
    except ValueError:
        raise web.HTTPNotFound() from None


async def _invoices(request: web.Request) -> list[dict[str, Any]]:
    answer = await api(request, "billing", "GET", "/tenants/{tenant}/invoices")
    if not answer.ok:
        return []
    return answer.body.get("invoices", [])


async def _page(
    request: web.Request, *, errors: dict[str, str] | None = None, status: int = 200
) -> web.Response:
    # The household from the token (refreshed once here), then every call side by side.
    household_id = token_household(await token(request))
    invoices, wallet, direct_debit, account = await asyncio.gather(
        _invoices(request),
        wallet_settings(request),
        direct_debit_offered(request),
        _account(request, household_id),
    )
    unpaid = [i for i in invoices if (i.get("remaining_cents") or 0) > 0]
    settled = [i for i in invoices if not (i.get("remaining_cents") or 0) > 0]
    return await render(
        request,
        "invoices.html.j2",
        {
            "title": "Mes factures",
            "unpaid": unpaid,
            "settled": settled,
            "errors": errors or {},
            "wallet_offered": wallet is not None,
            "direct_debit_offered": direct_debit,
            "account": account,
        },
        status=status,
    )


async def _account(request: web.Request, household_id: str | None) -> dict[str, Any] | None:
    """The household's balance and unused credit (billing's ledger)."""
    if household_id is None:
        return None
    answer = await api(
        request, "billing", "GET", f"/tenants/{{tenant}}/billing/households/{household_id}/account"
    )
    return answer.body if answer.ok else None


@routes.get("/factures")
async def invoices(request: web.Request) -> web.Response:
    return await _page(request)


@routes.get("/factures/{invoice_id}/pdf")
async def invoice_pdf(request: web.Request) -> web.StreamResponse:
    invoice_id = _uuid(request.match_info["invoice_id"])
    tenant = request.app[SETTINGS].tenant
    path = f"/tenants/{tenant}/invoices/{invoice_id}/pdf"
    found = await request.app[APIS].download("billing", path, token=await token(request))
    if found.status == 401:
        found = await request.app[APIS].download(
            "billing", path, token=await token(request, force=True)
        )
    if found.status != 200:
        raise web.HTTPNotFound()
    headers = {**found.headers, "X-Content-Type-Options": "nosniff"}
    disposition = headers.get("Content-Disposition", "")
    if not re.match(r"^(attachment|inline)(;\s*filename\*?=[^\r\n]*)?$", disposition):
        headers["Content-Disposition"] = f'attachment; filename="facture-{invoice_id}.pdf"'
    return web.Response(body=found.content, headers=headers)


@routes.post("/factures/payer")
async def pay(request: web.Request) -> web.Response:
    form = await request.post()
    invoice_id = str(_uuid(str(form.get("invoice_id", ""))))
    session = request[SESSION]
    # The amount is what billing says is due; the bank's receipt goes to the account's email.
    answer = await api(
        request,
        "billing",
        "POST",
        "/tenants/{tenant}/card-payments",
        json={"invoice_ids": [invoice_id], "email": session.email},
    )
    if answer.ok and answer.body.get("payment_url"):
        return redirect(answer.body["payment_url"])
    message = form_errors(answer.problem, ()).general or "Le paiement n'a pas pu commencer."
    return await _page(request, errors={invoice_id: message}, status=answer.status or 409)


@routes.get("/paiement/retour")
async def payment_return(request: web.Request) -> web.Response:
    transaction_id = _uuid(request.query.get("transaction"))
    answer = await api(
        request, "billing", "GET", f"/tenants/{{tenant}}/card-payments/{transaction_id}"
    )
    if not answer.ok:
        raise web.HTTPNotFound()
    transaction = answer.body
    heading, message = STATUSES.get(
        transaction["status"], ("État du paiement", "État : " + str(transaction["status"]))
    )
    if transaction.get("purpose") == "wallet_top_up" and transaction["status"] == "paid":
        heading = "Tirelire rechargée"
        message = f"Votre tirelire a été créditée de {euros(transaction['amount_cents'])}. Merci !"
    context = {
        "title": heading,
        "heading": heading,
        "message": message,
        "transaction": transaction,
    }
    if request.headers.get("HX-Request") == "true":
        return await render(request, "_payment_status.html.j2", context)
    return await render(request, "payment_return.html.j2", context)
