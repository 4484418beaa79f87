"""The household file's settings an admin keeps (issue 16, guide 004): the permissions the
town asks for each child (family's `permission-types`: label, order, active) and the
household fields whose change needs a proof (`proof-settings`; the address always does)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.apis import ApiUnavailable
from web.domain import household as hh
from web.domain.problems import FormErrors
from web.pages.common import api, redirect, render, staff_only

routes = web.RouteTableDef()

HOME = "/gestion/reglages/dossier"
TYPES = "/tenants/{tenant}/permission-types"
PROOFS = "/tenants/{tenant}/proof-settings"

# The household fields a town may want a proof for, as the admin reads them.
PROOF_FIELDS: dict[str, str] = {
    "address": "Adresse du foyer (toujours exigé : justificatif de domicile)",
    "phones": "Téléphones du foyer",
    "marital_status": "Situation des responsables",
    "custody": "Mode de garde",
    "billed_guardian_id": "Responsable facturé",
}
SAVED = {
    "ajout": "L'autorisation est ajoutée : les familles la voient sur la fiche de chaque enfant.",
    "modif": "L'autorisation est enregistrée.",
    "preuves": "Les justificatifs exigés sont enregistrés.",
}


async def _page(
    request: web.Request,
    *,
    add_values: dict[str, Any] | None = None,
    add_errors: FormErrors | None = None,
    message: str | None = None,
    status: int = 200,
) -> web.Response:
    types = await api(request, "family", "GET", TYPES)
    proofs = await api(request, "family", "GET", PROOFS)
    if not types.ok or not proofs.ok:
        raise ApiUnavailable(f"family: {types.status} {proofs.status}")
    return await render(
        request,
        "staff_file_settings.html.j2",
        {
            "title": "Réglages du dossier famille",
            "permissions": types.body.get("items", []),
            "proof_fields": PROOF_FIELDS,
            "required": set(proofs.body.get("proof_fields", [])),
            "add_values": add_values or {},
            "add_errors": add_errors or FormErrors(),
            "message": message,
            "saved": SAVED.get(request.query.get("enregistre", "")),
        },
        status=status,
    )


@routes.get(HOME)
async def settings_page(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    return await _page(request)


@routes.post(f"{HOME}/autorisations")
async def add_permission(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    form = await request.post()
    label = str(form.get("label", "")).strip()
    code = str(form.get("code", "")).strip()
    body: dict[str, Any] = {"label": label, **({"code": code} if code else {})}
    answer = await api(request, "family", "POST", TYPES, json=body)
    if answer.ok:
        return redirect(f"{HOME}?enregistre=ajout")
    errors = hh.errors_of(answer.problem, ("label", "code"))
    if not errors.fields and answer.status == 409:
        errors = FormErrors({"code": errors.general or "Ce code existe déjà."})
    return await _page(
        request,
        add_values={"label": label, "code": code},
        add_errors=errors,
        status=answer.status if answer.status in (409, 422) else 422,
    )


@routes.post(HOME + "/autorisations/{code}")
async def change_permission(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    code = request.match_info["code"]
    form = await request.post()
    body: dict[str, Any] = {
        "label": str(form.get("label", "")).strip(),
        "active": str(form.get("active", "")) == "1",
    }
    position = str(form.get("position", "")).strip()
    if position:
        body["position"] = int(position) if position.isdigit() else position
    answer = await api(request, "family", "PATCH", f"{TYPES}/{code}", json=body)
    if answer.status == 404:
        raise web.HTTPNotFound()
    if answer.ok:
        return redirect(f"{HOME}?enregistre=modif")
    errors = hh.errors_of(answer.problem, ())
    detail = "; ".join([*errors.fields.values()]) or errors.general
    return await _page(request, message=f"« {code} » : {detail}", status=422)


@routes.post(f"{HOME}/justificatifs")
async def change_proofs(request: web.Request) -> web.Response:
    staff_only(request, admin=True)
    form = await request.post()
    chosen = [name for name in PROOF_FIELDS if form.get(name) == "1"]
    answer = await api(request, "family", "PUT", PROOFS, json={"proof_fields": chosen})
    if answer.ok:
        return redirect(f"{HOME}?enregistre=preuves")
    errors = hh.errors_of(answer.problem, ())
    return await _page(request, message=errors.general or "Réglage refusé.", status=422)
