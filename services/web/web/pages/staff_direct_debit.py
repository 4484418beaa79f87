"""Direct-debit back-office (staff): per régie collecting by SEPA direct debit, its mandates
(filtered, searched), its batches and the next one to prepare; a batch's lines and its
pain.008 file; the bank's rejections recorded by hand or imported from its file; and a
household's certificates (attendance, childcare expenses, payments) as billing's PDFs.
Billing's staff APIs do the work."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from web.apis import ApiUnavailable, Binary, RawBody
from web.domain import staff_direct_debit as domain
from web.domain.problems import FormErrors, form_errors
from web.domain.staff_billing import household_name
from web.pages.common import (
    api,
    attachment,
    fetched_file,
    file_response,
    redirect,
    render,
    staff_only,
    token,
)
from web.settings import SETTINGS
from web.state import CLOCK

routes = web.RouteTableDef()

HOME = "/gestion/facturation/prelevements"
BILLING = "billing"
HOUSEHOLD = "{household_id:[0-9a-fA-F-]{36}}"


def _uuid(text: str | None) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        raise web.HTTPNotFound() from None


def _today(request: web.Request) -> Any:
    zone = ZoneInfo(request.app[SETTINGS].timezone)
    return request.app[CLOCK].now().astimezone(zone).date()


async def _body(request: web.Request, path: str, key: str, **params: str) -> Any:
    """A list billing answers (empty when it refuses: the page still shows the rest)."""
    answer = await api(request, BILLING, "GET", path, params=params or None)
    return answer.body.get(key, []) if answer.ok and isinstance(answer.body, dict) else []


async def _download(
    request: web.Request, path: str, fallback: str, kind: str
) -> web.Response | Binary:
    """A file of billing passed on (of the type the link promises, never cached: bank
    details and family data), or billing's refusal (404: nothing to certify, 422: a wrong
    period...) for the page to say."""
    found = await fetched_file(request, BILLING, path)
    if found.status != 200:
        return found
    return file_response(found, fallback, content_type=kind, private=True)


# --- the home: a régie's mandates, batches, the next batch, the rejections' import ---------


async def _home(
    request: web.Request,
    *,
    regie_id: str | None = None,
    batch: domain.BatchForm | None = None,
    batch_errors: FormErrors | None = None,
    import_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    staff_only(request)
    await token(request)  # refreshed once here, then the calls side by side
    regies = await _body(request, "/tenants/{tenant}/billing/direct-debit-regies", "regies")
    ids = [r["regie_id"] for r in regies]
    wanted = regie_id or request.query.get("regie", "")
    current = wanted if wanted in ids else (ids[0] if ids else None)
    mandate_filter = request.query.get("statut", "")
    if mandate_filter not in domain.MANDATE_FILTERS:
        mandate_filter = ""
    search = request.query.get("recherche", "").strip()[:100]
    creditor: dict[str, Any] | None = None
    batches: list[dict[str, Any]] = []
    mandates: list[dict[str, Any]] = []
    household_ids: set[str] = set()
    if current is not None:
        params = {"regie_id": current, "limit": "500"}
        if mandate_filter:
            params["status"] = mandate_filter
        calls = [
            api(request, BILLING, "GET", f"/tenants/{{tenant}}/regies/{current}/direct-debit"),
            _body(request, "/tenants/{tenant}/direct-debit-batches", "batches", regie_id=current),
            _body(request, "/tenants/{tenant}/mandates", "mandates", **params),
        ]
        if search:
            calls.append(
                api(request, "family", "GET", "/tenants/{tenant}/households", params={"q": search})
            )
        answer, batches, mandates, *found = await asyncio.gather(*calls)
        creditor = answer.body if answer.ok else None
        if found and found[0].ok:
            household_ids = {str(h["id"]) for h in found[0].body.get("items", [])}
    regie = next((r for r in regies if r["regie_id"] == current), None)
    if batch is None:
        earliest = (creditor or {}).get("earliest_collection_date") or ""
        batch = domain.BatchForm(regie_id=current or "", collection_date=earliest)
    return await render(
        request,
        "staff_direct_debit.html.j2",
        {
            "title": "Prélèvements SEPA" + (f" – {regie['regie_name']}" if regie else ""),
            "regies": regies,
            "regie": regie,
            "creditor": creditor,
            "batches": batches,
            "mandates": domain.matching_mandates(mandates, search, household_ids),
            "mandate_total": len(mandates),
            "mandate_filter": mandate_filter,
            "mandate_filters": domain.MANDATE_FILTERS,
            "search": search,
            "mandate_status": domain.mandate_status,
            "batch_status": domain.batch_status,
            "batch": batch,
            "batch_errors": batch_errors or FormErrors(),
            "import_errors": import_errors or FormErrors(),
        },
        status=status,
    )


@routes.get(HOME)
async def direct_debit_home(request: web.Request) -> web.Response:
    return await _home(request)


@routes.post(f"{HOME}/lots")
async def prepare_batch(request: web.Request) -> web.Response:
    staff_only(request)
    read = domain.read_batch_form(await request.post(), _today(request))
    if read.errors:
        return await _home(
            request,
            regie_id=read.regie_id,
            batch=read,
            batch_errors=FormErrors(read.errors),
            status=422,
        )
    answer = await api(
        request,
        BILLING,
        "POST",
        f"/tenants/{{tenant}}/regies/{read.regie_id}/direct-debit-batches",
        json=read.body(),
    )
    if answer.ok:
        # 200: nothing new since the batch already made for that date; it is shown.
        done = "lot-prepare" if answer.status == 201 else "rien-de-nouveau"
        return redirect(f"{HOME}/lots/{answer.body['id']}?{done}=1")
    errors = form_errors(answer.problem, ("collection_date",))
    return await _home(
        request, regie_id=read.regie_id, batch=read, batch_errors=errors, status=answer.status
    )


# --- a batch: its lines, its file, a rejection by hand -------------------------------------


async def _batch(request: web.Request, batch_id: str) -> dict[str, Any]:
    answer = await api(
        request, BILLING, "GET", f"/tenants/{{tenant}}/direct-debit-batches/{batch_id}"
    )
    if answer.status == 404:
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable("billing")
    return answer.body


async def _batch_page(
    request: web.Request,
    *,
    rejection: domain.RejectionForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    staff_only(request)
    batch = await _batch(request, _uuid(request.match_info["batch_id"]))
    return await render(
        request,
        "staff_direct_debit_batch.html.j2",
        {
            "title": f"Lot de prélèvements {batch['number']}"
            + (" – saisie à corriger" if errors else ""),
            "batch": batch,
            "batch_status": domain.batch_status(batch),
            "item_status": domain.item_status,
            "reason_label": domain.reason_label,
            "reasons": domain.REASONS,
            "rejection": rejection or domain.RejectionForm(),
            "errors": errors or FormErrors(),
            "collectable": [i for i in batch.get("items", []) if i["status"] == "collected"],
        },
        status=status,
    )


@routes.get(f"{HOME}/lots/{{batch_id}}")
async def batch_page(request: web.Request) -> web.Response:
    return await _batch_page(request)


@routes.get(f"{HOME}/lots/{{batch_id}}/pain008")
async def batch_file(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    batch_id = _uuid(request.match_info["batch_id"])
    found = await _download(
        request,
        f"/tenants/{{tenant}}/direct-debit-batches/{batch_id}/pain008",
        f"prelevements-{batch_id}.xml",
        "application/xml",
    )
    if isinstance(found, Binary):
        raise web.HTTPNotFound()
    return found


@routes.post(f"{HOME}/lots/{{batch_id}}/rejets")
async def record_rejection(request: web.Request) -> web.Response:
    staff_only(request)
    batch = await _batch(request, _uuid(request.match_info["batch_id"]))
    collected = {i["id"] for i in batch.get("items", []) if i["status"] == "collected"}
    read = domain.read_rejection_form(await request.post(), collected)
    if read.errors:
        return await _batch_page(
            request, rejection=read, errors=FormErrors(read.errors), status=422
        )
    answer = await api(
        request, BILLING, "POST", "/tenants/{tenant}/direct-debit-rejections", json=read.body()
    )
    if not answer.ok:
        errors = form_errors(answer.problem, ("item_id", "reason_code"))
        return await _batch_page(request, rejection=read, errors=errors, status=answer.status)
    outcome = answer.body
    return await _outcome(
        request,
        applied=[outcome["item"]] if outcome["applied"] else [],
        already=[] if outcome["applied"] else [outcome["item"]["end_to_end_id"]],
        unmatched=[],
        mandates=[outcome["mandate"]],
        batch=batch,
    )


async def _outcome(
    request: web.Request,
    *,
    applied: list[dict[str, Any]],
    already: list[str],
    unmatched: list[str],
    mandates: list[dict[str, Any]],
    batch: dict[str, Any] | None = None,
) -> web.Response:
    """What rejections did: the debits rejected (their invoices due again), those rejected
    before, the references the bank named that match nothing, the mandates suspended."""
    return await render(
        request,
        "staff_direct_debit_rejections.html.j2",
        {
            "title": "Rejets enregistrés",
            "applied": applied,
            "already": already,
            "unmatched": unmatched,
            "suspended": [m for m in mandates if m.get("status") == "suspended"],
            "mandate_status": domain.mandate_status,
            "reason_label": domain.reason_label,
            "batch": batch,
        },
    )


@routes.post(f"{HOME}/rejets/import")
async def import_rejections(request: web.Request) -> web.Response:
    staff_only(request)
    form = await request.post()
    file = attachment(form, "file")
    regie_id = str(form.get("regie_id") or "") or None
    kind = domain.import_type(file.filename, file.content) if file else None
    message = None
    if file is None or not file.content.strip():
        message = "Choisissez le fichier des rejets envoyé par la banque."
    elif len(file.content) > domain.MAX_IMPORT_BYTES:
        message = "Le fichier est trop volumineux (5 Mo au plus)."
    elif kind is None:
        message = "Le fichier doit être un relevé pain.002 (XML) ou un tableur CSV."
    if message or file is None or kind is None:
        errors = FormErrors({"file": message or ""})
        return await _home(request, regie_id=regie_id, import_errors=errors, status=422)
    answer = await api(
        request,
        BILLING,
        "POST",
        "/tenants/{tenant}/direct-debit-rejections/import",
        form=RawBody(file.content, kind),
    )
    if not answer.ok:
        found = form_errors(answer.problem, ("file",))
        if not found.fields:
            found = FormErrors({"file": found.general or ""})
        return await _home(request, regie_id=regie_id, import_errors=found, status=answer.status)
    body = answer.body
    mandates = await _mandates(request, {i["mandate_id"] for i in body.get("applied", [])})
    return await _outcome(
        request,
        applied=body.get("applied", []),
        already=body.get("already_rejected", []),
        unmatched=body.get("unmatched", []),
        mandates=mandates,
    )


async def _mandates(request: web.Request, ids: set[str]) -> list[dict[str, Any]]:
    """The mandates of the debits just rejected, as they are now (suspended or not)."""
    found = await asyncio.gather(
        *(api(request, BILLING, "GET", f"/tenants/{{tenant}}/mandates/{i}") for i in sorted(ids))
    )
    return [a.body for a in found if a.ok]


# --- a household's certificates ------------------------------------------------------------


async def _household(request: web.Request, household_id: str) -> dict[str, Any]:
    answer = await api(request, "family", "GET", f"/tenants/{{tenant}}/households/{household_id}")
    if answer.status in (403, 404):
        raise web.HTTPNotFound()
    if not answer.ok:
        raise ApiUnavailable("family")
    return answer.body


async def _certificates_page(
    request: web.Request,
    household: dict[str, Any],
    *,
    read: domain.CertificateForm | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    return await render(
        request,
        "staff_direct_debit_certificates.html.j2",
        {
            "title": f"Attestations – foyer de {household_name(household)}"
            + (" – demande à corriger" if errors else ""),
            "household": household,
            "name": household_name(household),
            "years": domain.certificate_years(_today(request)),
            "titles": domain.CERTIFICATE_TITLES,
            "read": read,
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get(f"/gestion/foyers/{HOUSEHOLD}/attestations")
async def certificates_page(request: web.Request) -> web.Response:
    staff_only(request)
    household = await _household(request, _uuid(request.match_info["household_id"]))
    return await _certificates_page(request, household)


@routes.get(f"/gestion/foyers/{HOUSEHOLD}/attestations/{{kind:presence|frais-de-garde|paiements}}")
async def certificate(request: web.Request) -> web.StreamResponse:
    staff_only(request)
    household_id = _uuid(request.match_info["household_id"])
    kind = request.match_info["kind"]
    household = await _household(request, household_id)
    children = {str(c["id"]) for c in household.get("children") or []}
    read = domain.read_certificate_form(kind, request.query, children)
    if read.errors:
        return await _certificates_page(
            request, household, read=read, errors=FormErrors(read.errors), status=422
        )
    query = "&".join(f"{k}={v}" for k, v in read.params().items())
    path = (
        f"/tenants/{{tenant}}/billing/households/{household_id}/certificates/"
        f"{domain.CERTIFICATES[kind]}?{query}"
    )
    found = await _download(request, path, f"attestation-{kind}-{read.year}.pdf", "application/pdf")
    if not isinstance(found, Binary):
        return found
    return await _certificates_page(
        request,
        household,
        read=read,
        errors=FormErrors(general=domain.certificate_refusal(found.status, found.content)),
        status=found.status,
    )
