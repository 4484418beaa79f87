"""The household file, documents and requests as the portal shows and sends them: the
forms' fields turned into the family API's bodies, its codes into French labels, its
field names into the forms' (errors next to the field they name)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from web.domain import french
from web.domain.problems import FormErrors, form_errors

DIETS: dict[str, str] = {
    "standard": "Standard",
    "no_pork": "Sans porc",
    "vegetarian": "Végétarien",
    "no_meat": "Sans viande",
    "allergy_menu": "Menu adapté (allergie, PAI)",
}
RELATIONSHIPS: dict[str, str] = {
    "mother": "Mère",
    "father": "Père",
    "guardian": "Tuteur ou tutrice",
    "other": "Autre",
}
SEXES: dict[str, str] = {"F": "Fille", "M": "Garçon"}
# The family situation (guide 001), as the family API's codes.
MARITAL_STATUSES: dict[str, str] = {
    "married": "Marié(e)s",
    "civil_union": "Pacsé(e)s",
    "cohabiting": "En concubinage",
    "separated": "Séparé(e)s",
    "divorced": "Divorcé(e)s",
    "single": "Célibataire",
    "widowed": "Veuf / veuve",
}
CUSTODY: dict[str, str] = {
    "alternating": "Résidence alternée",
    "one_parent": "Chez un parent",
    "other": "Autre",
}
QUOTIENT_SOURCES: dict[str, str] = {
    "caf": "Attestation CAF",
    "msa": "Attestation MSA",
    "declared": "Déclaré par la famille",
    "staff": "Saisi par la mairie",
}
# What a family may declare (the API refuses "staff" from a family).
DECLARABLE_SOURCES = ("caf", "msa", "declared")
CHANGE_STATUSES: dict[str, str] = {
    "pending": "En attente de validation",
    "approved": "Acceptée",
    "rejected": "Refusée",
}
DOCUMENT_STATUSES: dict[str, str] = {
    "pending": "À valider",
    "validated": "Validé",
    "rejected": "Refusé",
    "expired": "Expiré",
}
REQUEST_STATUSES: dict[str, str] = {
    "open": "En attente de réponse",
    "answered": "Répondue",
    "closed": "Clôturée",
}

Form = Mapping[str, Any]


def _text(form: Form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(form: Form, name: str) -> str | None:
    """A blank optional field is « not given » (null)."""
    return _text(form, name) or None


def _checked(form: Form, name: str) -> bool:
    return _text(form, name) in ("oui", "on", "true", "1")


def _yes_no(form: Form, name: str) -> bool | None:
    """A « oui » / « non » choice; None when neither is chosen."""
    return {"oui": True, "non": False}.get(_text(form, name))


# --- forms → the API's bodies ----------------------------------------------------------------


def address_body(form: Form) -> dict[str, Any]:
    """The address form → HouseholdPatchIn (address and the household's phone)."""
    body: dict[str, Any] = {
        "address": {
            "line1": _text(form, "line1"),
            "line2": _text(form, "line2"),
            "postal_code": _text(form, "postal_code"),
            "city": _text(form, "city"),
        }
    }
    phone = _text(form, "phone")
    body["phones"] = [phone] if phone else []
    return body


def guardian_body(form: Form) -> dict[str, Any]:
    """The guardian form → GuardianIn (one phone number per form, the API keeps a list)."""
    phone = _text(form, "phone")
    return {
        "first_name": _text(form, "first_name"),
        "last_name": _text(form, "last_name"),
        "relationship": _optional(form, "relationship"),
        "email": _optional(form, "email"),
        "phones": [phone] if phone else [],
        "birth_date": _optional(form, "birth_date"),
    }


PERMISSION_PREFIX = "autorisation_"


def child_body(form: Form, permission_codes: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The child form → ChildIn: each of the town's permissions (`permission_codes`) a yes
    or no box; without a list, the former image rights box."""
    body: dict[str, Any] = {
        "first_name": _text(form, "first_name"),
        "last_name": _text(form, "last_name"),
        "birth_date": _optional(form, "birth_date"),
        "sex": _optional(form, "sex"),
        "school": _optional(form, "school"),
        "grade": _optional(form, "grade"),
        "diet": _text(form, "diet") or "standard",
    }
    if permission_codes:
        # Only the answers given: a permission left without « oui » or « non » stays
        # unanswered rather than recorded as refused on the day the child was edited.
        answers = {code: _yes_no(form, PERMISSION_PREFIX + code) for code in permission_codes}
        body["permissions"] = {c: a for c, a in answers.items() if a is not None}
    else:
        body["image_rights"] = _checked(form, "image_rights")
    return body


# The family situation's fields a town may require a proof for (family's proof settings),
# as the form asks about them.
SITUATION_PROOF_FIELDS: dict[str, str] = {
    "marital_status": "la situation des responsables",
    "custody": "le mode de garde",
    "billed_guardian_id": "le responsable facturé",
}


def situation_proofs(settings: Mapping[str, Any] | None) -> dict[str, str]:
    """The situation's fields the town wants a proof for → the proof's document type (family's
    `GET /proof-settings`); none when it lists none of them or did not answer."""
    types = (settings or {}).get("document_types") or {}
    return {f: types[f] for f in SITUATION_PROOF_FIELDS if f in types}


def proof_type(
    body: Mapping[str, Any],
    current: Mapping[str, Any],
    types: Mapping[str, str],
    default: str = "autre",
) -> str:
    """The document type of the proof sent with a change: that of the first listed field the
    change really changes (`default` when none does)."""
    for name, document_type in types.items():
        if name in body and (body[name] or None) != (current.get(name) or None):
            return document_type
    return default


def situation_body(form: Form) -> dict[str, Any]:
    """The family situation form → HouseholdPatchIn (blank: not said)."""
    custody = _optional(form, "custody")
    return {
        "marital_status": _optional(form, "marital_status"),
        "custody": custody,
        "custody_detail": _optional(form, "custody_detail") if custody == "other" else None,
        "billed_guardian_id": _optional(form, "billed_guardian_id"),
    }


def contact_body(form: Form) -> dict[str, Any]:
    """The contact form → ContactIn (who may pick the child up, whom to call)."""
    return {
        "first_name": _text(form, "first_name"),
        "last_name": _text(form, "last_name"),
        "phone": _text(form, "phone"),
        "relationship": _text(form, "relationship"),
        "can_pick_up": _checked(form, "can_pick_up"),
        "emergency": _checked(form, "emergency"),
    }


# A contact's flags as the file shows them (yes, no), in the permissions' wording.
CONTACT_FLAGS: dict[str, tuple[str, str]] = {
    "can_pick_up": ("Autorisé", "Non autorisé"),
    "emergency": ("Oui", "Non"),
}


def contact_flag(contact: Mapping[str, Any], flag: str, timezone: str = "Europe/Paris") -> str:
    """« Autorisé depuis le jeudi 3 septembre 2026 », « Non, depuis le … »: a contact's flag
    with the day it was given (the town's calendar day); a contact entered before the
    dates were kept: « Autorisé (date non renseignée) »."""
    yes, no = CONTACT_FLAGS[flag]
    words = yes if contact.get(flag) else no
    given_at = contact.get(f"{flag}_given_at")
    if not given_at:
        return f"{words} (date non renseignée)"
    comma = "," if words in ("Oui", "Non") else ""
    return f"{words}{comma} depuis le {french.long_date(given_at, timezone)}"


def pending_contact_changes(
    changes: Iterable[Mapping[str, Any]], child_id: str
) -> tuple[dict[str, list[Mapping[str, Any]]], list[Mapping[str, Any]]]:
    """The family's changes to a child's contacts still waiting for the town: by contact
    (a change or a removal of it), and the persons it asked to add to this child."""
    by_contact: dict[str, list[Mapping[str, Any]]] = {}
    added: list[Mapping[str, Any]] = []
    for change in changes:
        if change.get("entity") != "contact" or change.get("status") != "pending":
            continue
        if change.get("operation") == "create":
            if str(change.get("parent_id")) == child_id:
                added.append(change)
        elif change.get("entity_id"):
            by_contact.setdefault(str(change["entity_id"]), []).append(change)
    return by_contact, added


CONTACT_CHANGE_LABELS: dict[str, str] = {
    "first_name": "Prénom",
    "last_name": "Nom",
    "relationship": "Lien",
    "phone": "Téléphone",
    "can_pick_up": "Peut venir chercher l'enfant",
    "emergency": "À prévenir en cas d'urgence",
}


def contact_change_lines(
    contact: Mapping[str, Any], proposed: Mapping[str, Any] | None
) -> list[str]:
    """What a pending change would change of a contact, as the family reads it
    (« Téléphone : 06 99 88 77 66 », « Peut venir chercher l'enfant : non »)."""
    lines = []
    for name, label in CONTACT_CHANGE_LABELS.items():
        if not proposed or name not in proposed or proposed[name] == contact.get(name):
            continue
        value = proposed[name]
        shown = ("oui" if value else "non") if isinstance(value, bool) else str(value)
        lines.append(f"{label} : {shown}")
    return lines


def health_body(form: Form) -> dict[str, Any]:
    """The health record form → FamilyHealthIn: one allergy per line, the doctor when named,
    « je certifie » as the family ticked it (the API requires it)."""
    allergies = [line.strip() for line in _text(form, "allergies").splitlines() if line.strip()]
    doctor_name = _text(form, "doctor_name")
    doctor = (
        {"name": doctor_name, "phone": _optional(form, "doctor_phone")} if doctor_name else None
    )
    return {
        "allergies": allergies,
        "pai": _checked(form, "pai"),
        "pai_details": _text(form, "pai_details"),
        "doctor": doctor,
        "treatments": _text(form, "treatments"),
        "remarks": _text(form, "remarks"),
        "certified": _checked(form, "certified"),
    }


def quotient_body(form: Form) -> dict[str, Any]:
    """The quotient form → DeclaredQuotientIn (a value the API checks is a whole number)."""
    value = _text(form, "value").replace(" ", "")
    return {
        "value": int(value) if value.isdigit() else value,
        "source": _text(form, "source") or "declared",
        "valid_from": _text(form, "valid_from"),
    }


def new_household_body(form: Form) -> dict[str, Any]:
    """The « ask the town to create my household » form → NewHouseholdIn: the address, the
    family as first guardian, and a first child when one is named."""
    phone = _text(form, "phone")
    body: dict[str, Any] = {
        **address_body(form),
        "guardians": [
            {
                "first_name": _text(form, "first_name"),
                "last_name": _text(form, "last_name"),
                "email": _optional(form, "email"),
                "phones": [phone] if phone else [],
            }
        ],
        "children": [],
    }
    if _text(form, "child_first_name") or _text(form, "child_last_name"):
        body["children"].append(
            {
                "first_name": _text(form, "child_first_name"),
                "last_name": _text(form, "child_last_name"),
                "birth_date": _optional(form, "child_birth_date"),
            }
        )
    return body


def request_fields(form: Form) -> dict[str, str]:
    """A new request's text fields as the API's multipart parts (blank ones left out)."""
    names = ("topic", "child_id", "subject", "message")
    return {name: _text(form, name) for name in names if _text(form, name)}


# --- the API's field names → the forms' ------------------------------------------------------

ADDRESS_FIELDS = {
    "address.line1": "line1",
    "address.line2": "line2",
    "address.postal_code": "postal_code",
    "address.city": "city",
    "address": "line1",
    "phones": "phone",
    "proof_document_id": "file",
    "document_type": "file",
    "change": "line1",
}


def permission_names(codes: list[str] | tuple[str, ...]) -> dict[str, str]:
    """The API's « permissions.<code> » → the form's box."""
    return {f"permissions.{code}": PERMISSION_PREFIX + code for code in codes}


GUARDIAN_FIELDS = {"phones": "phone"}
HEALTH_FIELDS = {
    "doctor.name": "doctor_name",
    "doctor.phone": "doctor_phone",
    "doctor": "doctor_name",
}
NEW_HOUSEHOLD_FIELDS = {
    **ADDRESS_FIELDS,
    "guardians.0.first_name": "first_name",
    "guardians.0.last_name": "last_name",
    "guardians.0.email": "email",
    "guardians.0.phones": "phone",
    "children.0.first_name": "child_first_name",
    "children.0.last_name": "child_last_name",
    "children.0.birth_date": "child_birth_date",
}


def renamed(problem: dict[str, Any] | None, names: Mapping[str, str]) -> dict[str, Any] | None:
    """The problem with its errors' fields renamed to the form's: the longest API name that
    is the field or a prefix of it (« phones.0 » → « phone »)."""
    if not problem:
        return problem
    errors = []
    for error in problem.get("errors") or []:
        field = str(error.get("field", ""))
        for api_name in sorted(names, key=len, reverse=True):
            if field == api_name or field.startswith(api_name + "."):
                field = names[api_name]
                break
        errors.append({**error, "field": field})
    return {**problem, "errors": errors}


def errors_of(
    problem: dict[str, Any] | None,
    fields: tuple[str, ...],
    names: Mapping[str, str] | None = None,
) -> FormErrors:
    """The API's problem as the form shows it: each error by its field, the rest above."""
    return form_errors(renamed(problem, names or {}), fields)


# --- the API's codes → what the family reads -------------------------------------------------


def document_status(document: Mapping[str, Any], today: date) -> str:
    """pending, validated, rejected, or expired (validated, but its validity is over)."""
    status = str(document.get("status", "pending"))
    valid_until = document.get("valid_until")
    if status == "validated" and valid_until and date.fromisoformat(str(valid_until)) < today:
        return "expired"
    return status


def member_names(household: Mapping[str, Any] | None) -> dict[str, str]:
    """Guardians' and children's ids → their names (to say whom a document is about)."""
    if not household:
        return {}
    people = [*household.get("guardians", []), *household.get("children", [])]
    return {str(p["id"]): f"{p['first_name']} {p['last_name']}" for p in people}


def last_message(request: Mapping[str, Any]) -> Mapping[str, Any] | None:
    messages = request.get("messages") or []
    return messages[-1] if messages else None


def excerpt(text: str, length: int = 140) -> str:
    """A message's beginning for a list, cut on a word."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0] + " …"


def file_size(size: int) -> str:
    """« 240 Ko », « 1,2 Mo » (French units, decimal comma)."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} Ko"
    return f"{size / (1024 * 1024):.1f} Mo".replace(".", ",")
