"""Billing back-office (staff): the régies and campaigns (draft, review, refresh, finalise
after a confirmation), counter payments and their receipts, remittance slips, the overdue
invoices and the reminders run after a confirmation. Billing's staff APIs do the work."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import staff_billing as domain
from web.domain.french import long_date
from web.domain.problems import FormErrors, form_errors
from web.pages.common import api, redirect, render, send_file, staff_only, token

routes = web.RouteTableDef()

HOME = "/gestion/facturation"
BILLING = "billing"


def _uuid(text: str | None) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise web.HTTPNotFound() from None


async def _body(request: web.Request, path: str, key: str, **params: str) -> Any:
    """A list billing answers (empty when it refuses: the page still shows the rest)."""
    answer = await api(request, BILLING, "GET", path, params=params or None)
    return answer.body.get(key, []) if answer.ok and isinstance(answer.body, dict) else []


async def _regies(request: web.Request) -> list[dict[str, Any]]:
    return await _body(request, "/tenants/{tenant}/regies", "regies")


def _names(regies: list[dict[str, Any]]) -> dict[str, str]:
    return {r["id"]: r["name"] for r in regies}


# --- the billing home: régies, campaigns, overdue count, new campaign, remittance ----------


async def _home(
    request: web.Request,
    *,
    campaign: domain.CampaignForm | None = None,
    campaign_errors: FormErrors | None = None,
    remittance_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    staff_only(request)
    await token(request)  # refreshed once here, then the calls side by side
    regies, campaigns, overdue = await asyncio.gather(
        _regies(request),
        _body(request, "/tenants/{tenant}/campaigns", "campaigns"),
        api(request, BILLING, "GET", "/tenants/{tenant}/overdue-households", params={"limit": "1"}),
    )
    overdue_count = overdue.body.get("total") if overdue.ok else None
    return await render(
        request,
        "staff_billing.html.j2",
        {
            "title": "Facturation",
            "regies": regies,
            "regie_names": _names(regies),
            # A cancelled draft billed nothing: its days are billable again.
            "campaigns": sorted(
                (c for c in campaigns if c["status"] != "cancelled"),
                key=lambda c: c["period_from"],
                reverse=True,
            ),
            "cancelled_count": sum(c["status"] == "cancelled" for c in campaigns),
            "overdue_count": overdue_count,
            "campaign": campaign or domain.CampaignForm(),
            "campaign_errors": campaign_errors or FormErrors(),
            "remittance_errors": remittance_errors or FormErrors(),
            "methods": domain.METHODS,
            "status_of": domain.campaign_status,
        },
        status=status,
    )


@routes.get(HOME)
async def billing_home(request: web.Request) -> web.Response:
    return await _home(request)


@routes.post(f"{HOME}/campagnes")
async def create_campaign(request: web.Request) -> web.Response:
    staff_only(request)
    read = domain.read_campaign_form(await request.post())
    if read.errors:
        return await _home(
            request, campaign=read, campaign_errors=FormErrors(read.errors), status=422
        )
    answer = await api(request, BILLING, "POST", "/tenants/{tenant}/campaigns", json=read.body())
    if answer.ok:
        return redirect(f"{HOME}/campagnes/{answer.body['id']}")
    errors = form_errors(answer.problem, ("regie_id", "period_from", "period_to"))
    if answer.problem and str(answer.problem.get("type", "")).endswith("invalid-period"):
        errors = FormErrors({"period_to": str(answer.problem.get("detail"))})
    return await _home(request, campaign=read, campaign_errors=errors, status=answer.status)


# --- a campaign: review, refresh, finalise ------------------------------------------------


async def _campaign(request: web.Request, campaign_id: str) -> dict[str, Any]:
    answer = await api(request, BILLING, "GET", f"/tenants/{{tenant}}/campaigns/{campaign_id}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable("billing")
    return answer.body


async def _campaign_page(
    request: web.Request, template: str, *, message: str | None = None, status: int = 200
) -> web.Response:
    staff_only(request)
    campaign_id = _uuid(request.match_info["campaign_id"])
    await token(request)
    campaign, invoices, regies = await asyncio.gather(
        _campaign(request, campaign_id),
        _body(request, f"/tenants/{{tenant}}/campaigns/{campaign_id}/invoices", "invoices"),
        _regies(request),
    )
    regie = _names(regies).get(campaign["regie_id"], "Régie")
    households = await _households(
        request, {i["household_id"] for i in invoices if not (i.get("payer") or {}).get("name")}
    )
    action = {
        "staff_billing_finalise.html.j2": "Finaliser la campagne",
        "staff_billing_cancel.html.j2": "Annuler le brouillon de la campagne",
    }.get(template, "Campagne")
    return await render(
        request,
        template,
        {
            "title": action
            + f" du {long_date(campaign['period_from'])} au {long_date(campaign['period_to'])}"
            + f" – {regie}",
            "campaign": campaign,
            "regie_name": regie,
            "status": domain.campaign_status(campaign["status"]),
            "issues": domain.issues_by_severity(campaign.get("issues") or []),
            "severity": domain.severity,
            "invoices": invoices,
            "holder": lambda invoice: domain.invoice_holder(invoice, households),
            "message": message,
            "refreshed": "actualisee" in request.query,
            "finalised": "finalisee" in request.query,
        },
        status=status,
    )


async def _households(request: web.Request, ids: set[str]) -> dict[str, str]:
    """The names of the households of drafts (billing prints the payer only when issuing)."""

    async def one(household_id: str) -> tuple[str, str | None]:
        answer = await api(
            request, "family", "GET", f"/tenants/{{tenant}}/households/{household_id}"
        )
        return household_id, domain.household_name(answer.body) if answer.ok else None

    found = await asyncio.gather(*(one(i) for i in sorted(ids)))
    return {i: name for i, name in found if name}


@routes.get(f"{HOME}/campagnes/{{campaign_id}}")
async def campaign_page(request: web.Request) -> web.Response:
    return await _campaign_page(request, "staff_billing_campaign.html.j2")


async def _campaign_action(request: web.Request, action: str, done: str) -> web.Response:
    staff_only(request)
    campaign_id = _uuid(request.match_info["campaign_id"])
    answer = await api(
        request, BILLING, "POST", f"/tenants/{{tenant}}/campaigns/{campaign_id}/{action}"
    )
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.ok:
        return redirect(f"{HOME}/campagnes/{campaign_id}?{done}=1")
    message = form_errors(answer.problem, ()).general
    return await _campaign_page(
        request, "staff_billing_campaign.html.j2", message=message, status=answer.status
    )


@routes.post(f"{HOME}/campagnes/{{campaign_id}}/actualiser")
async def refresh_campaign(request: web.Request) -> web.Response:
    return await _campaign_action(request, "refresh", "actualisee")


@routes.get(f"{HOME}/campagnes/{{campaign_id}}/finaliser")
async def finalise_confirmation(request: web.Request) -> web.Response:
    return await _campaign_page(request, "staff_billing_finalise.html.j2")


@routes.post(f"{HOME}/campagnes/{{campaign_id}}/finaliser")
async def finalise_campaign(request: web.Request) -> web.Response:
    return await _campaign_action(request, "finalise", "finalisee")


@routes.get(f"{HOME}/campagnes/{{campaign_id}}/annuler")
async def cancel_confirmation(request: web.Request) -> web.Response:
    return await _campaign_page(request, "staff_billing_cancel.html.j2")


@routes.post(f"{HOME}/campagnes/{{campaign_id}}/annuler")
async def cancel_campaign(request: web.Request) -> web.Response:
    staff_only(request)
    campaign_id = _uuid(request.match_info["campaign_id"])
    answer = await api(request, BILLING, "DELETE", f"/tenants/{{tenant}}/campaigns/{campaign_id}")
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.ok:
        return redirect(f"{HOME}?brouillon-annule=1")
    message = form_errors(answer.problem, ()).general
    return await _campaign_page(
        request, "staff_billing_campaign.html.j2", message=message, status=answer.status
    )


@routes.get(f"{HOME}/factures/{{invoice_id}}/pdf")
async def invoice_pdf(request: web.Request) -> web.Response:
    staff_only(request)
    invoice_id = _uuid(request.match_info["invoice_id"])
    return await send_file(
        request,
        f"/tenants/{{tenant}}/invoices/{invoice_id}/pdf",
        f"facture-{invoice_id}.pdf",
        service=BILLING,
    )


# --- counter payments and their receipts --------------------------------------------------


async def _payment_form(
    request: web.Request,
    read: domain.PaymentForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    staff_only(request)
    await token(request)
    household_id = read.household_id if read else request.query.get("foyer", "")
    search = request.query.get("recherche", "").strip()[:100]
    household: dict[str, Any] | None = None
    invoices: list[dict[str, Any]] = []
    found: list[dict[str, Any]] = []
    search_failed = False
    regies = await _regies(request)
    if household_id:
        household_id = _uuid(household_id)
        answer, invoices = await asyncio.gather(
            api(request, "family", "GET", f"/tenants/{{tenant}}/households/{household_id}"),
            _body(
                request,
                "/tenants/{tenant}/invoices",
                "invoices",
                household_id=household_id,
                status="current",
            ),
        )
        if answer.status == 404:
            raise web.HTTPNotFound()
        household = answer.body if answer.ok else {"id": household_id}
    elif search:
        answer = await api(
            request, "family", "GET", "/tenants/{tenant}/households", params={"q": search}
        )
        search_failed = not answer.ok
        found = answer.body.get("items", []) if answer.ok else []
    if read is None:
        # The régie of the oldest invoice still owing, as the counter usually settles it.
        oldest = min(invoices, key=lambda i: i.get("due_date") or "", default=None)
        regie_id = oldest["regie_id"] if oldest else ""  # else staff choose: never a guess
        read = domain.PaymentForm(household_id=household_id, regie_id=regie_id)
    title = "Encaisser un paiement"
    if household is not None:
        title += f" : foyer de {domain.household_name(household)}"
    elif search:
        title += f" : recherche « {search} »"
    return await render(
        request,
        "staff_billing_payment.html.j2",
        {
            "title": title + (" – saisie à corriger" if errors else ""),
            "search": search,
            "found": found,
            "search_failed": search_failed,
            "household": household,
            "invoices": invoices,
            "regies": regies,
            "regie_names": _names(regies),
            "methods": domain.METHODS,
            "form": read,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get(f"{HOME}/paiements/nouveau")
async def new_payment(request: web.Request) -> web.Response:
    return await _payment_form(request)


@routes.post(f"{HOME}/paiements")
async def record_payment(request: web.Request) -> web.Response:
    staff_only(request)
    read = domain.read_payment_form(await request.post())
    if read.errors:
        return await _payment_form(request, read, FormErrors(read.errors), status=422)
    answer = await api(request, BILLING, "POST", "/tenants/{tenant}/payments", json=read.body())
    if answer.ok:
        return redirect(f"{HOME}/paiements/{answer.body['id']}")
    return await _payment_form(
        request, read, domain.payment_errors(answer.problem), status=answer.status
    )


@routes.get(f"{HOME}/paiements/{{payment_id}}")
async def payment_page(request: web.Request) -> web.Response:
    staff_only(request)
    payment_id = _uuid(request.match_info["payment_id"])
    await token(request)
    answer, regies = await asyncio.gather(
        api(request, BILLING, "GET", f"/tenants/{{tenant}}/payments/{payment_id}"),
        _regies(request),
    )
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable("billing")
    payment = answer.body
    return await render(
        request,
        "staff_billing_receipt.html.j2",
        {
            "title": f"Reçu {payment['number']}",
            "payment": payment,
            "method": domain.method_label(payment["method"]),
            "regie_name": _names(regies).get(payment["regie_id"], ""),
        },
    )


@routes.get(f"{HOME}/paiements/{{payment_id}}/pdf")
async def receipt_pdf(request: web.Request) -> web.Response:
    staff_only(request)
    payment_id = _uuid(request.match_info["payment_id"])
    return await send_file(
        request,
        f"/tenants/{{tenant}}/payments/{payment_id}/pdf",
        f"recu-{payment_id}.pdf",
        service=BILLING,
    )


# --- remittance slips ----------------------------------------------------------------------


@routes.post(f"{HOME}/remises")
async def create_remittance(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    regie_id, method = str(form.get("regie_id", "")), str(form.get("method", ""))
    errors: dict[str, str] = {}
    if not regie_id:
        errors["remise_regie"] = "Choisissez la régie."
    if method not in domain.REMITTABLE:
        errors["remise_method"] = "Choisissez le mode de paiement à remettre."
    if errors:
        return await _home(request, remittance_errors=FormErrors(errors), status=422)
    answer = await api(
        request,
        BILLING,
        "POST",
        "/tenants/{tenant}/remittances",
        json={"regie_id": regie_id, "method": method},
    )
    if answer.ok:
        return redirect(f"{HOME}/remises/{answer.body['id']}")
    found = form_errors(answer.problem, ())
    return await _home(request, remittance_errors=found, status=answer.status)


@routes.get(f"{HOME}/remises/{{remittance_id}}")
async def remittance_page(request: web.Request) -> web.Response:
    staff_only(request)
    remittance_id = _uuid(request.match_info["remittance_id"])
    await token(request)
    answer, regies = await asyncio.gather(
        api(request, BILLING, "GET", f"/tenants/{{tenant}}/remittances/{remittance_id}"),
        _regies(request),
    )
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable("billing")
    remittance = answer.body
    return await render(
        request,
        "staff_billing_remittance.html.j2",
        {
            "title": f"Bordereau de remise {remittance['number']}",
            "remittance": remittance,
            "method": domain.method_label(remittance["method"]),
            "regie_name": _names(regies).get(remittance["regie_id"], ""),
        },
    )


@routes.get(f"{HOME}/remises/{{remittance_id}}/{{kind:pdf|csv}}")
async def remittance_file(request: web.Request) -> web.Response:
    staff_only(request)
    remittance_id = _uuid(request.match_info["remittance_id"])
    kind = request.match_info["kind"]
    return await send_file(
        request,
        f"/tenants/{{tenant}}/remittances/{remittance_id}/{kind}",
        f"bordereau-{remittance_id}.{kind}",
        service=BILLING,
    )


# --- overdue invoices and reminders --------------------------------------------------------


@routes.get(f"{HOME}/impayes")
async def overdue(request: web.Request) -> web.Response:
    staff_only(request)
    await token(request)
    households, invoices, regies = await asyncio.gather(
        api(request, BILLING, "GET", "/tenants/{tenant}/overdue-households"),
        api(request, BILLING, "GET", "/tenants/{tenant}/overdue-invoices"),
        _regies(request),
    )
    if not (households.ok and invoices.ok):
        raise ApiUnavailable("billing")
    sent = request.query.get("relances")
    return await render(
        request,
        "staff_billing_overdue.html.j2",
        {
            "title": "Impayés et relances",
            "households": domain.oldest_first(households.body["households"]),
            "household_total": households.body["total"],
            "invoices": invoices.body["invoices"],
            "invoice_total": invoices.body["total"],
            "regie_names": _names(regies),
            "reminder_label": domain.reminder_label,
            "sent": int(sent) if sent and sent.isdigit() else None,
        },
    )


@routes.get(f"{HOME}/impayes/relances")
async def reminders_confirmation(request: web.Request) -> web.Response:
    """What a run would send today (billing's dry run), before staff confirm it."""
    staff_only(request)
    answer = await api(
        request, BILLING, "POST", "/tenants/{tenant}/reminders/run", json={"dry_run": True}
    )
    if not answer.ok:
        raise ApiUnavailable("billing")
    return await render(
        request,
        "staff_billing_reminders.html.j2",
        {
            "title": "Envoyer les relances",
            "run": answer.body,
            "reminder_label": domain.reminder_label,
        },
    )


@routes.post(f"{HOME}/impayes/relances")
async def run_reminders(request: web.Request) -> web.Response:
    staff_only(request)
    answer = await api(
        request, BILLING, "POST", "/tenants/{tenant}/reminders/run", json={"dry_run": False}
    )
    if not answer.ok:
        raise ApiUnavailable("billing")
    return redirect(f"{HOME}/impayes?relances={answer.body['count']}")
