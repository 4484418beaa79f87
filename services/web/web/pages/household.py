"""The household file (`/foyer`): linking the account with the subscriber code or asking the
town to create the household; then guardians, children, contacts, address, each child's
health record and photo, the family quotient; every change the family makes waits for the
town's validation and is listed with its decision."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Any

from aiohttp import web

from web.apis import Multipart
from web.domain import french
from web.domain import household as hh
from web.domain.problems import FormErrors
from web.pages.common import api, attachment, redirect, render, send_file, token
from web.pages.household_forms import (
    address_fields,
    child_fields,
    contact_fields,
    creation_fields,
    guardian_fields,
    health_fields,
    link_fields,
    names,
    proof_field,
    quotient_fields,
    situation_fields,
    situation_proof_field,
)
from web.settings import SETTINGS

routes = web.RouteTableDef()

ME = "/tenants/{tenant}/me/household"
SENT = "/foyer?envoye=1"  # after a change: « en attente de validation »


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise web.HTTPNotFound() from None


async def my_household(request: web.Request) -> dict[str, Any] | None:
    """The family's household file; None when the account is not linked to one."""
    answer = await api(request, "family", "GET", ME)
    if answer.status in (403, 404):
        return None
    if not answer.ok:
        raise web.HTTPNotFound()
    return answer.body


async def _linked(request: web.Request) -> dict[str, Any]:
    """The household, or to /foyer (where the family links its account) when there is none."""
    found = await my_household(request)
    if found is None:
        raise web.HTTPSeeOther("/foyer")
    return found


def _child(household: dict[str, Any], child_id: str) -> dict[str, Any]:
    child_id = str(_uuid(child_id))
    for child in household.get("children", []):
        if child["id"] == child_id:
            return child
    raise web.HTTPNotFound()


async def _form_page(
    request: web.Request,
    *,
    title: str,
    action: str,
    fields: list[dict[str, Any]],
    submit: str,
    errors: FormErrors | None = None,
    intro: str | None = None,
    status: int = 200,
    multipart: bool = False,
) -> web.Response:
    return await render(
        request,
        "household_form.html.j2",
        {
            "title": title,
            "action": action,
            "fields": fields,
            "submit": submit,
            "errors": errors or FormErrors(),
            "intro": intro,
            "multipart": multipart,
        },
        status=status,
    )


async def _propose(
    request: web.Request,
    method: str,
    path: str,
    body: dict[str, Any],
    *,
    fields: list[dict[str, Any]],
    names: dict[str, str] | None = None,
    **page: Any,
) -> web.Response:
    """Sends the change; 202 → back to the file where it shows as waiting for validation;
    an error → the form again, each message next to its field."""
    answer = await api(request, "family", method, path, json=body)
    if answer.ok:
        return redirect(page.pop("done", SENT))
    page.pop("done", None)
    # `names` here is the API → form renaming (the module's names() is shadowed).
    errors = hh.errors_of(answer.problem, tuple(f["name"] for f in fields), names or {})
    status = answer.status if answer.status in (403, 404, 409, 413, 415, 422) else 422
    return await _form_page(request, fields=fields, errors=errors, status=status, **page)


# --- the file --------------------------------------------------------------------------------


@routes.get("/dossier")
async def dossier(request: web.Request) -> web.Response:
    """notify's emails link to /dossier."""
    return redirect("/foyer")


@routes.get("/foyer")
async def household(request: web.Request) -> web.Response:
    found = await my_household(request)
    if found is None:
        return await _not_linked(request)
    changes = await api(request, "family", "GET", f"{ME}/changes", params={"status": "all"})
    return await render(
        request,
        "household.html.j2",
        {
            "title": "Mon foyer",
            "household": found,
            "changes": changes.body.get("items", []) if changes.ok else [],
            "diets": hh.DIETS,
            "relationships": hh.RELATIONSHIPS,
            "change_statuses": hh.CHANGE_STATUSES,
            "sources": hh.QUOTIENT_SOURCES,
            "marital_statuses": hh.MARITAL_STATUSES,
            "custody": hh.CUSTODY,
        },
    )


async def _not_linked(
    request: web.Request,
    *,
    link_values: dict[str, Any] | None = None,
    link_errors: FormErrors | None = None,
    creation_values: dict[str, Any] | None = None,
    creation_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    creation = await api(request, "family", "GET", f"{ME}/creation")
    return await render(
        request,
        "household_link.html.j2",
        {
            "title": "Mon foyer : rattacher mon compte",
            "link_fields": link_fields(link_values or {}),
            "link_errors": link_errors or FormErrors(),
            "creation": creation.body if creation.ok else None,
            "creation_fields": creation_fields(creation_values or {}),
            "creation_errors": creation_errors or FormErrors(),
            "change_statuses": hh.CHANGE_STATUSES,
        },
        status=status,
    )


@routes.post("/foyer/lier")
async def link(request: web.Request) -> web.Response:
    form = await request.post()
    code = str(form.get("code", "")).strip()
    answer = await api(request, "family", "POST", f"{ME}/link", json={"code": code})
    if answer.ok:
        # A token issued after the link carries the household: no need to log in again.
        await token(request, force=True)
        return redirect("/foyer?lie=1")
    errors = hh.errors_of(answer.problem, ("code",))
    if not errors.fields and answer.status in (404, 409, 422, 429):
        errors = FormErrors({"code": errors.general or "Code abonné inconnu."})
    status = answer.status if answer.status in (404, 409, 422, 429) else 422
    return await _not_linked(request, link_values={"code": code}, link_errors=errors, status=status)


@routes.post("/foyer/creation")
async def ask_for_household(request: web.Request) -> web.Response:
    form = await request.post()
    answer = await api(request, "family", "POST", ME, json=hh.new_household_body(form))
    if answer.ok:
        return redirect("/foyer")
    fields = creation_fields({})
    errors = hh.errors_of(answer.problem, names(fields), hh.NEW_HOUSEHOLD_FIELDS)
    return await _not_linked(
        request,
        creation_values=dict(form),
        creation_errors=errors,
        status=answer.status if answer.status in (409, 422) else 422,
    )


# --- address, guardians, children, contacts --------------------------------------------------


ADDRESS_PAGE = {
    "title": "Modifier l'adresse du foyer",
    "action": "/foyer/adresse",
    "submit": "Envoyer la modification",
    "intro": "Un changement d'adresse doit être accompagné d'un justificatif de domicile.",
    "multipart": True,
}


@routes.get("/foyer/adresse")
async def address_form(request: web.Request) -> web.Response:
    found = await _linked(request)
    values = {**found["address"], "phone": (found.get("phones") or [""])[0]}
    proofs = await _proof_types(request)
    return await _form_page(
        request, fields=[*address_fields(values), proof_field("phones" in proofs)], **ADDRESS_PAGE
    )


@routes.post("/foyer/adresse")
async def change_address(request: web.Request) -> web.Response:
    """The address with its proof in one sending (the family service stores both or
    neither); without a file, the change alone (refused, next to the file field, when the
    address changes and the town wants a proof)."""
    proofs = await _proof_types(request)
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    fields = [*address_fields(values), proof_field("phones" in proofs)]
    file = attachment(form)
    if file is None:
        return await _propose(
            request,
            "PATCH",
            ME,
            hh.address_body(form),
            fields=fields,
            names=hh.ADDRESS_FIELDS,
            **ADDRESS_PAGE,
        )
    body = hh.address_body(form)
    # A proof of address, unless only the phone changes and the town lists the phones.
    listed = {"address": "justificatif_domicile"}
    if "phones" in proofs:
        listed["phones"] = proofs["phones"]
    current = await _linked(request)
    return await _propose_with_proof(
        request,
        body,
        file,
        hh.proof_type(body, current, listed, default="justificatif_domicile"),
        fields=fields,
        names=hh.ADDRESS_FIELDS,
        page=ADDRESS_PAGE,
    )


async def _propose_with_proof(
    request: web.Request,
    body: dict[str, Any],
    file: Any,
    document_type: str,
    *,
    fields: list[dict[str, Any]],
    names: dict[str, str],
    page: dict[str, Any],
) -> web.Response:
    """A change of the household with its proof in one sending (the family service stores
    both or neither); an error → the form again, each message next to its field."""
    answer = await api(
        request,
        "family",
        "POST",
        f"{ME}/proved-changes",
        form=Multipart({"change": json.dumps(body), "document_type": document_type}, (file,)),
    )
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, tuple(f["name"] for f in fields), names)
    if not errors.fields and answer.status in (413, 415):
        errors = FormErrors({"file": errors.general or "Ce fichier n'a pas pu être envoyé."})
    status = answer.status if answer.status in (403, 409, 413, 415, 422) else 422
    return await _form_page(request, fields=fields, errors=errors, status=status, **page)


SITUATION_PAGE = {
    "title": "Situation familiale",
    "action": "/foyer/situation",
    "submit": "Envoyer la modification",
}


async def _proof_types(request: web.Request) -> dict[str, str]:
    """The household's fields the town wants a proof for → the proof's document type (none
    when the family service does not say)."""
    answer = await api(request, "family", "GET", "/tenants/{tenant}/proof-settings")
    return dict((answer.body or {}).get("document_types") or {}) if answer.ok else {}


async def _situation_proofs(request: web.Request) -> dict[str, str]:
    """The situation's fields the town wants a proof for → the proof's document type."""
    return hh.situation_proofs({"document_types": await _proof_types(request)})


def _situation_form(
    values: dict[str, Any], found: dict[str, Any], proofs: dict[str, str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The situation's fields (with the proof's when the town asks one) and its page."""
    fields = situation_fields(values, found.get("guardians", []))
    if not proofs:
        return fields, SITUATION_PAGE
    return [*fields, situation_proof_field(list(proofs))], {**SITUATION_PAGE, "multipart": True}


@routes.get("/foyer/situation")
async def situation_form(request: web.Request) -> web.Response:
    found = await _linked(request)
    fields, page = _situation_form(found, found, await _situation_proofs(request))
    return await _form_page(request, fields=fields, **page)


@routes.post("/foyer/situation")
async def change_situation(request: web.Request) -> web.Response:
    """The situation, with its proof in the same sending when the town asks one for what
    changes (without a file: refused next to the file field)."""
    found = await _linked(request)
    proofs = await _situation_proofs(request)
    form = await request.post()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    fields, page = _situation_form(values, found, proofs)
    body = hh.situation_body(form)
    renamed = {"proof_document_id": "file", "document_type": "file"}
    file = attachment(form) if proofs else None
    if file is None:
        return await _propose(request, "PATCH", ME, body, fields=fields, names=renamed, **page)
    document_type = hh.proof_type(body, found, proofs)
    return await _propose_with_proof(
        request, body, file, document_type, fields=fields, names=renamed, page=page
    )


@routes.get("/foyer/responsables/nouveau")
async def new_guardian_form(request: web.Request) -> web.Response:
    await _linked(request)
    return await _form_page(
        request,
        title="Ajouter un responsable",
        action="/foyer/responsables/nouveau",
        fields=guardian_fields({}),
        submit="Envoyer",
    )


@routes.post("/foyer/responsables/nouveau")
async def add_guardian(request: web.Request) -> web.Response:
    form = await request.post()
    return await _propose(
        request,
        "POST",
        f"{ME}/guardians",
        hh.guardian_body(form),
        fields=guardian_fields(dict(form)),
        names=hh.GUARDIAN_FIELDS,
        title="Ajouter un responsable",
        action="/foyer/responsables/nouveau",
        submit="Envoyer",
    )


def _guardian(household: dict[str, Any], member_id: str) -> dict[str, Any]:
    member_id = str(_uuid(member_id))
    for guardian in household.get("guardians", []):
        if guardian["id"] == member_id:
            return guardian
    raise web.HTTPNotFound()


@routes.get("/foyer/responsables/{member_id}")
async def guardian_form(request: web.Request) -> web.Response:
    guardian = _guardian(await _linked(request), request.match_info["member_id"])
    values = {**guardian, "phone": (guardian.get("phones") or [""])[0]}
    name = f"{guardian['first_name']} {guardian['last_name']}"
    return await _form_page(
        request,
        title=f"Modifier {name}",
        action=f"/foyer/responsables/{guardian['id']}",
        fields=guardian_fields(values),
        submit="Envoyer la modification",
    )


@routes.post("/foyer/responsables/{member_id}")
async def change_guardian(request: web.Request) -> web.Response:
    member_id = _uuid(request.match_info["member_id"])
    form = await request.post()
    return await _propose(
        request,
        "PATCH",
        f"{ME}/guardians/{member_id}",
        hh.guardian_body(form),
        fields=guardian_fields(dict(form)),
        names=hh.GUARDIAN_FIELDS,
        title="Modifier un responsable",
        action=f"/foyer/responsables/{member_id}",
        submit="Envoyer la modification",
    )


async def town_permissions(request: web.Request) -> list[dict[str, Any]]:
    """The permissions the town asks for each child (active ones, in order)."""
    answer = await api(request, "family", "GET", "/tenants/{tenant}/permission-types")
    items = (answer.body or {}).get("items", []) if answer.ok else []
    return [p for p in items if p.get("active", True)]


def _codes(permissions: list[dict[str, Any]]) -> list[str]:
    return [p["code"] for p in permissions]


@routes.get("/foyer/enfants/nouveau")
async def new_child_form(request: web.Request) -> web.Response:
    await _linked(request)
    return await _form_page(
        request,
        title="Ajouter un enfant",
        action="/foyer/enfants/nouveau",
        fields=child_fields({}, await town_permissions(request)),
        submit="Envoyer",
    )


@routes.post("/foyer/enfants/nouveau")
async def add_child(request: web.Request) -> web.Response:
    form = await request.post()
    permissions = await town_permissions(request)
    return await _propose(
        request,
        "POST",
        f"{ME}/children",
        hh.child_body(form, _codes(permissions)),
        fields=child_fields({**dict(form), "permissions": []}, permissions),
        names=hh.permission_names(_codes(permissions)),
        title="Ajouter un enfant",
        action="/foyer/enfants/nouveau",
        submit="Envoyer",
    )


async def _child_page(
    request: web.Request,
    child_id: str,
    *,
    child_values: dict[str, Any] | None = None,
    child_errors: FormErrors | None = None,
    contact_values: dict[str, Any] | None = None,
    contact_errors: FormErrors | None = None,
    photo_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    found = await _linked(request)
    child = _child(found, child_id)
    name = f"{child['first_name']} {child['last_name']}"
    pending, added = hh.pending_contact_changes(await _pending_changes(request), child["id"])
    return await render(
        request,
        "household_child.html.j2",
        {
            "title": f"Fiche de {name}",
            "child": child,
            "name": name,
            "diets": hh.DIETS,
            "child_fields": child_fields(child_values or child, child.get("permissions")),
            "child_errors": child_errors or FormErrors(),
            "pending_contacts": pending,
            "pending_additions": added,
            "change_lines": hh.contact_change_lines,
            "contact_fields": contact_fields(contact_values or {}),
            "contact_errors": contact_errors or FormErrors(),
            "photo_errors": photo_errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/foyer/enfants/{child_id}")
async def child_page(request: web.Request) -> web.Response:
    return await _child_page(request, request.match_info["child_id"])


@routes.post("/foyer/enfants/{child_id}")
async def change_child(request: web.Request) -> web.Response:
    child_id = _uuid(request.match_info["child_id"])
    form = await request.post()
    given = _child(await _linked(request), str(child_id)).get("permissions") or []
    codes = _codes(given)
    answer = await api(
        request, "family", "PATCH", f"{ME}/children/{child_id}", json=hh.child_body(form, codes)
    )
    if answer.ok:
        return redirect(SENT)
    boxes = [hh.PERMISSION_PREFIX + code for code in codes]
    errors = hh.errors_of(
        answer.problem, (*names(child_fields({})), *boxes), hh.permission_names(codes)
    )
    # A permission left unchosen was not sent: it shows the answer on file, with its date.
    values = {"permissions": given, **dict(form)}
    return await _child_page(
        request, str(child_id), child_values=values, child_errors=errors, status=422
    )


@routes.post("/foyer/enfants/{child_id}/contacts")
async def add_contact(request: web.Request) -> web.Response:
    child_id = _uuid(request.match_info["child_id"])
    form = await request.post()
    answer = await api(
        request,
        "family",
        "POST",
        f"{ME}/children/{child_id}/contacts",
        json=hh.contact_body(form),
    )
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, names(contact_fields({})))
    return await _child_page(
        request, str(child_id), contact_values=dict(form), contact_errors=errors, status=422
    )


async def _pending_changes(request: web.Request) -> list[dict[str, Any]]:
    """The family's changes still waiting for the town (none when the service does not say:
    the page is shown all the same)."""
    answer = await api(
        request, "family", "GET", f"{ME}/changes", params={"status": "pending", "per_page": 100}
    )
    return list((answer.body or {}).get("items", [])) if answer.ok else []


def _contact(child: dict[str, Any], contact_id: str) -> dict[str, Any]:
    contact_id = str(_uuid(contact_id))
    for contact in child.get("contacts", []):
        if contact["id"] == contact_id:
            return contact
    raise web.HTTPNotFound()


async def _contact_form(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The child and the contact the path names (404 otherwise), and the change form's page:
    the add form's fields, its own address, a word when a change already waits."""
    child = _child(await _linked(request), request.match_info["child_id"])
    contact = _contact(child, request.match_info["contact_id"])
    pending, _ = hh.pending_contact_changes(await _pending_changes(request), child["id"])
    name = f"{contact['first_name']} {contact['last_name']}"
    page: dict[str, Any] = {
        "title": f"Modifier {name} (contact {french.de(child['first_name'])})",
        "action": f"/foyer/enfants/{child['id']}/contacts/{contact['id']}",
        "submit": "Envoyer la modification",
    }
    if contact["id"] in pending:
        page["intro"] = (
            "Une modification de cette personne est déjà en attente de validation par la "
            "mairie : celle-ci s'appliquera après elle."
        )
    return child, contact, page


@routes.get("/foyer/enfants/{child_id}/contacts/{contact_id}")
async def contact_form(request: web.Request) -> web.Response:
    _, contact, page = await _contact_form(request)
    zone = request.app[SETTINGS].timezone
    return await _form_page(request, fields=contact_fields(contact, contact, zone), **page)


@routes.post("/foyer/enfants/{child_id}/contacts/{contact_id}")
async def change_contact(request: web.Request) -> web.Response:
    """A change of a contact (phone, relation, a permission given or withdrawn): sent to the
    town like the others; the dates of the answers are those of its approval."""
    _, contact, page = await _contact_form(request)
    form = await request.post()
    zone = request.app[SETTINGS].timezone
    return await _propose(
        request,
        "PATCH",
        f"{ME}/contacts/{contact['id']}",
        hh.contact_body(form),
        fields=contact_fields(dict(form), contact, zone),
        **page,
    )


@routes.post("/foyer/enfants/{child_id}/contacts/{contact_id}/retrait")
async def remove_contact(request: web.Request) -> web.Response:
    child_id = _uuid(request.match_info["child_id"])
    contact_id = _uuid(request.match_info["contact_id"])
    answer = await api(request, "family", "DELETE", f"{ME}/contacts/{contact_id}")
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, ())
    return await _child_page(request, str(child_id), contact_errors=errors, status=422)


@routes.get("/foyer/enfants/{child_id}/photo")
async def photo(request: web.Request) -> web.StreamResponse:
    child_id = _uuid(request.match_info["child_id"])
    return await send_file(
        request, f"{ME}/children/{child_id}/photo", f"photo-{child_id}", inline=True
    )


@routes.post("/foyer/enfants/{child_id}/photo")
async def put_photo(request: web.Request) -> web.Response:
    child_id = _uuid(request.match_info["child_id"])
    form = await request.post()
    file = attachment(form)
    if file is None:
        errors = FormErrors({"file": "Choisissez une photo (JPEG ou PNG)."})
        return await _child_page(request, str(child_id), photo_errors=errors, status=422)
    answer = await api(
        request,
        "family",
        "PUT",
        f"{ME}/children/{child_id}/photo",
        form=Multipart({}, (file,)),
    )
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, ("file",))
    if not errors.fields and answer.status in (413, 415, 422):
        errors = FormErrors({"file": errors.general or "Cette photo n'a pas pu être envoyée."})
    return await _child_page(request, str(child_id), photo_errors=errors, status=answer.status)


@routes.get("/foyer/modifications/{change_id}/photo")
async def proposed_photo(request: web.Request) -> web.StreamResponse:
    """The photo the family sent, while the town has not decided."""
    change_id = _uuid(request.match_info["change_id"])
    return await send_file(
        request, f"{ME}/changes/{change_id}/photo", f"photo-{change_id}", inline=True
    )


# --- health record ---------------------------------------------------------------------------


def _health_values(record: dict[str, Any] | None) -> dict[str, Any]:
    if not record:
        return {}
    doctor = record.get("doctor") or {}
    return {
        **record,
        "allergies": "\n".join(record.get("allergies") or []),
        "doctor_name": doctor.get("name"),
        "doctor_phone": doctor.get("phone"),
        "certified": False,  # each sending is certified anew
    }


async def _health_page(
    request: web.Request,
    child_id: str,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    found = await _linked(request)
    child = _child(found, child_id)
    record_answer = await api(request, "family", "GET", f"{ME}/children/{child['id']}/health")
    record = record_answer.body if record_answer.ok else None
    log = await api(request, "family", "GET", f"{ME}/health-access-log")
    entries = [
        e
        for e in (log.body.get("items", []) if log.ok else [])
        if e.get("child_id") in (None, child["id"])
    ]
    name = f"{child['first_name']} {child['last_name']}"
    return await render(
        request,
        "household_health.html.j2",
        {
            "title": f"Fiche sanitaire de {name}",
            "child": child,
            "name": name,
            "record": record,
            "access_log": entries,
            "fields": health_fields(values if values is not None else _health_values(record)),
            "errors": errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/foyer/enfants/{child_id}/sante")
async def health(request: web.Request) -> web.Response:
    return await _health_page(request, request.match_info["child_id"])


@routes.post("/foyer/enfants/{child_id}/sante")
async def write_health(request: web.Request) -> web.Response:
    child_id = _uuid(request.match_info["child_id"])
    form = await request.post()
    answer = await api(
        request, "family", "PUT", f"{ME}/children/{child_id}/health", json=hh.health_body(form)
    )
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, names(health_fields({})), hh.HEALTH_FIELDS)
    return await _health_page(request, str(child_id), values=dict(form), errors=errors, status=422)


# --- family quotient -------------------------------------------------------------------------


async def _quotient_page(
    request: web.Request,
    *,
    values: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    document_errors: FormErrors | None = None,
    status: int = 200,
) -> web.Response:
    await _linked(request)
    quotients = await api(request, "family", "GET", f"{ME}/quotients")
    types = await api(request, "family", "GET", "/tenants/{tenant}/document-types")
    type_options = [(t["code"], t["label"]) for t in (types.body or {}).get("items", [])]
    preferred = next((c for c, _ in type_options if c == "attestation_caf"), None)
    document_fields = [
        {
            "name": "document_type",
            "label": "Type de justificatif",
            "type": "select",
            "options": type_options,
            "value": preferred,
        },
        {
            "name": "file",
            "label": "Fichier",
            "type": "file",
            "required": True,
            "accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png",
            "hint": "PDF, JPEG ou PNG, 5 Mo au plus.",
        },
    ]
    return await render(
        request,
        "household_quotient.html.j2",
        {
            "title": "Mon quotient familial",
            "quotients": quotients.body if quotients.ok else {"current": None, "history": []},
            "sources": hh.QUOTIENT_SOURCES,
            "fields": quotient_fields(values or {"valid_from": date.today().isoformat()}),
            "errors": errors or FormErrors(),
            "document_fields": document_fields,
            "document_errors": document_errors or FormErrors(),
        },
        status=status,
    )


@routes.get("/foyer/quotient")
async def quotient(request: web.Request) -> web.Response:
    return await _quotient_page(request)


@routes.post("/foyer/quotient")
async def declare_quotient(request: web.Request) -> web.Response:
    form = await request.post()
    answer = await api(request, "family", "POST", f"{ME}/quotients", json=hh.quotient_body(form))
    if answer.ok:
        return redirect(SENT)
    errors = hh.errors_of(answer.problem, names(quotient_fields({})))
    return await _quotient_page(request, values=dict(form), errors=errors, status=422)


@routes.post("/foyer/quotient/justificatif")
async def quotient_document(request: web.Request) -> web.Response:
    form = await request.post()
    file = attachment(form)
    if file is None:
        errors = FormErrors({"file": "Choisissez le fichier du justificatif."})
        return await _quotient_page(request, document_errors=errors, status=422)
    fields = {"document_type": str(form.get("document_type", ""))}
    answer = await api(
        request, "family", "POST", f"{ME}/documents", form=Multipart(fields, (file,))
    )
    if answer.ok:
        return redirect("/documents?envoye=1")
    errors = hh.errors_of(answer.problem, ("document_type", "file"))
    if not errors.fields and answer.status in (413, 415):
        errors = FormErrors({"file": errors.general or "Ce fichier n'a pas pu être envoyé."})
    return await _quotient_page(request, document_errors=errors, status=answer.status)
