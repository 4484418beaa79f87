"""The household file's forms as the portal shows them: each field's name, label, type, hint
and choices, filled with the values given (what the family typed, or the file's)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from web.domain import household as hh
from web.domain.french import long_date


def options(labels: dict[str, str], blank: str | None = None) -> list[tuple[str, str]]:
    return ([("", blank)] if blank is not None else []) + list(labels.items())


# --- the forms' fields -----------------------------------------------------------------------


def address_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "line1",
            "label": "Adresse",
            "required": True,
            "value": values.get("line1"),
            "autocomplete": "address-line1",
        },
        {
            "name": "line2",
            "label": "Complément d'adresse",
            "value": values.get("line2"),
            "autocomplete": "address-line2",
            "hint": "Bâtiment, étage, lieu-dit…",
        },
        {
            "name": "postal_code",
            "label": "Code postal",
            "required": True,
            "inputmode": "numeric",
            "value": values.get("postal_code"),
            "autocomplete": "postal-code",
            "hint": "5 chiffres, par exemple 74330",
        },
        {
            "name": "city",
            "label": "Commune",
            "required": True,
            "value": values.get("city"),
            "autocomplete": "address-level2",
        },
        {
            "name": "phone",
            "label": "Téléphone du foyer",
            "type": "tel",
            "value": values.get("phone"),
            "autocomplete": "tel",
            "hint": "Par exemple : 06 12 34 56 78",
        },
    ]


def guardian_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "first_name",
            "label": "Prénom",
            "required": True,
            "value": values.get("first_name"),
            "autocomplete": "given-name",
        },
        {
            "name": "last_name",
            "label": "Nom",
            "required": True,
            "value": values.get("last_name"),
            "autocomplete": "family-name",
        },
        {
            "name": "relationship",
            "label": "Lien avec les enfants",
            "type": "select",
            "options": options(hh.RELATIONSHIPS, "Non précisé"),
            "value": values.get("relationship"),
        },
        {
            "name": "birth_date",
            "label": "Date de naissance",
            "type": "date",
            "value": values.get("birth_date"),
        },
        {
            "name": "email",
            "label": "Adresse e-mail",
            "type": "email",
            "value": values.get("email"),
            "autocomplete": "email",
        },
        {
            "name": "phone",
            "label": "Téléphone",
            "type": "tel",
            "value": values.get("phone"),
            "autocomplete": "tel",
            "hint": "Par exemple : 06 12 34 56 78",
        },
    ]


def child_fields(
    values: dict[str, Any], permissions: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    return [
        {
            "name": "first_name",
            "label": "Prénom",
            "required": True,
            "value": values.get("first_name"),
        },
        {"name": "last_name", "label": "Nom", "required": True, "value": values.get("last_name")},
        {
            "name": "birth_date",
            "label": "Date de naissance",
            "type": "date",
            "required": True,
            "value": values.get("birth_date"),
        },
        {
            "name": "sex",
            "label": "Sexe",
            "type": "select",
            "options": options(hh.SEXES, "Non précisé"),
            "value": values.get("sex"),
        },
        {"name": "school", "label": "École", "value": values.get("school")},
        {
            "name": "grade",
            "label": "Classe",
            "value": values.get("grade"),
            "hint": "Par exemple : CE2",
        },
        {
            "name": "diet",
            "label": "Régime alimentaire",
            "type": "select",
            "options": options(hh.DIETS),
            "value": values.get("diet") or "standard",
        },
        *permission_fields(values, permissions),
    ]


def permission_fields(
    values: dict[str, Any], permissions: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    """A yes/no box per permission the town asks (`permissions`: code and label; the
    child's answers in `values["permissions"]`, or the boxes as the family ticked them);
    without the town's list, the former image rights box."""
    if not permissions:
        return [
            {
                "name": "image_rights",
                "label": "J'autorise la mairie à photographier mon enfant (droit à l'image)",
                "type": "checkbox",
                "value": values.get("image_rights"),
            }
        ]
    given = {p["code"]: p for p in values.get("permissions") or []}
    fields = []
    for permission in permissions:
        name = hh.PERMISSION_PREFIX + permission["code"]
        answer = given.get(permission["code"]) or {}
        if name in values:  # the form sent back: the family's choice
            chosen = values[name]
            granted = {"oui": True, "non": False}.get(chosen) if isinstance(chosen, str) else chosen
        else:
            granted = answer.get("granted")
        fields.append(
            {
                "name": name,
                "label": permission["label"],
                "type": "yesno",
                "value": granted,
                "hint": _given_on(answer.get("given_at")),
            }
        )
    return fields


def _given_on(given_at: Any) -> str:
    """« Réponse donnée le lundi 5 octobre 2026. », or the invitation to answer."""
    if not given_at:
        return "Non renseigné : choisissez oui ou non."
    return f"Réponse donnée le {long_date(given_at)}."


def situation_fields(values: dict[str, Any], guardians: list[dict[str, Any]]) -> list[dict]:
    """The family situation: marital status, custody (« autre » with its detail), the
    guardian billed (one of the household's)."""
    billed = [(g["id"], f"{g['first_name']} {g['last_name']}") for g in guardians]
    return [
        {
            "name": "marital_status",
            "label": "Situation des responsables",
            "type": "select",
            "options": options(hh.MARITAL_STATUSES, "Non précisée"),
            "value": values.get("marital_status"),
        },
        {
            "name": "custody",
            "label": "Mode de garde des enfants",
            "type": "select",
            "options": options(hh.CUSTODY, "Non précisé"),
            "value": values.get("custody"),
        },
        {
            "name": "custody_detail",
            "label": "Précisions sur le mode de garde",
            "value": values.get("custody_detail"),
            "hint": "Obligatoire si vous avez choisi « Autre ».",
        },
        {
            "name": "billed_guardian_id",
            "label": "Responsable à qui les factures sont adressées",
            "type": "select",
            "options": [("", "Non précisé"), *billed],
            "value": values.get("billed_guardian_id"),
        },
    ]


def proof_field(phones: bool = False) -> dict[str, Any]:
    """The proof sent with a change of address, in the same form (`phones`: the town also
    asks one when the phone changes)."""
    also = " La commune en demande aussi un si le téléphone change." if phones else ""
    return {
        "name": "file",
        "label": "Justificatif de domicile",
        "type": "file",
        "accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png",
        "hint": "Obligatoire si l'adresse change (facture, quittance de loyer de moins de "
        "3 mois) : PDF, JPEG ou PNG, 5 Mo au plus. Il sera validé avec la modification." + also,
    }


def situation_proof_field(listed: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """The proof the town asks with a change of the family situation (`listed`: the fields
    of the situation it lists), sent in the same form."""
    asked = [hh.SITUATION_PROOF_FIELDS[f] for f in hh.SITUATION_PROOF_FIELDS if f in listed]
    what = " ou ".join(asked)
    return {
        "name": "file",
        "label": "Justificatif",
        "type": "file",
        "accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png",
        "hint": f"Demandé par la commune si {what} change (livret de famille, jugement, "
        "convention…) : PDF, JPEG ou PNG, 5 Mo au plus. Il sera validé avec la modification.",
    }


def contact_fields(
    values: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    timezone: str = "Europe/Paris",
) -> list[dict[str, Any]]:
    """A child's contact, one definition for adding and for changing one (`current`: the
    contact on file, whose answers and their dates the hints recall). The two permissions
    are yes/no answers, « non » until the family says yes."""
    return [
        {
            "name": "first_name",
            "label": "Prénom",
            "required": True,
            "value": values.get("first_name"),
        },
        {"name": "last_name", "label": "Nom", "required": True, "value": values.get("last_name")},
        {
            "name": "relationship",
            "label": "Lien avec l'enfant",
            "required": True,
            "value": values.get("relationship"),
            "hint": "Par exemple : grand-mère, voisin",
        },
        {
            "name": "phone",
            "label": "Téléphone",
            "type": "tel",
            "required": True,
            "value": values.get("phone"),
            "hint": "Par exemple : 06 12 34 56 78",
        },
        *(
            {
                "name": flag,
                "label": label,
                "type": "yesno",
                "value": _answer(values.get(flag)),
                "hint": _contact_flag_hint(current, flag, timezone),
            }
            for flag, label in CONTACT_FLAG_LABELS.items()
        ),
    ]


CONTACT_FLAG_LABELS = {
    "can_pick_up": "Autorisé(e) à venir chercher l'enfant",
    "emergency": "À prévenir en cas d'urgence",
}


def _answer(value: Any) -> bool:
    """A flag as the file has it (a boolean) or as the form sent it back (« oui », « non »);
    nothing chosen reads as no, which is what the API records for it."""
    if isinstance(value, str):
        return value.strip() in ("oui", "on", "true", "1")
    return bool(value)


def _contact_flag_hint(current: Mapping[str, Any] | None, flag: str, timezone: str) -> str:
    """The answer on file with its date (a change), and when the new answer's date is taken:
    the town's approval, as for every change the family sends."""
    if current is None:
        return "La date retenue sera celle de la validation par la mairie."
    now = hh.contact_flag(current, flag, timezone)
    return (
        f"Actuellement : {now}. Si vous changez la réponse, la date retenue sera celle de "
        "la validation par la mairie."
    )


def health_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "allergies",
            "label": "Allergies",
            "type": "textarea",
            "rows": 3,
            "value": values.get("allergies"),
            "hint": "Une allergie par ligne.",
        },
        {
            "name": "pai",
            "label": "Mon enfant a un projet d'accueil individualisé (PAI)",
            "type": "checkbox",
            "value": values.get("pai"),
        },
        {
            "name": "pai_details",
            "label": "Détails du PAI",
            "type": "textarea",
            "rows": 3,
            "value": values.get("pai_details"),
        },
        {
            "name": "treatments",
            "label": "Traitements en cours",
            "type": "textarea",
            "rows": 3,
            "value": values.get("treatments"),
        },
        {"name": "doctor_name", "label": "Médecin traitant", "value": values.get("doctor_name")},
        {
            "name": "doctor_phone",
            "label": "Téléphone du médecin",
            "type": "tel",
            "value": values.get("doctor_phone"),
        },
        {
            "name": "remarks",
            "label": "Autres remarques",
            "type": "textarea",
            "rows": 3,
            "value": values.get("remarks"),
        },
        {
            "name": "certified",
            "label": "Je certifie que les informations fournies sur l'état de "
            "santé de mon enfant sont correctes",
            "type": "checkbox",
            "value": values.get("certified"),
            "required": True,
        },
    ]


def quotient_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    sources = {k: hh.QUOTIENT_SOURCES[k] for k in hh.DECLARABLE_SOURCES}
    return [
        {
            "name": "value",
            "label": "Quotient familial",
            "required": True,
            "inputmode": "numeric",
            "value": values.get("value"),
            "hint": "Le nombre indiqué sur votre attestation, par exemple 850",
        },
        {
            "name": "source",
            "label": "Justificatif",
            "type": "select",
            "options": options(sources),
            "value": values.get("source") or "caf",
        },
        {
            "name": "valid_from",
            "label": "Valable à partir du",
            "type": "date",
            "required": True,
            "value": values.get("valid_from"),
        },
    ]


def link_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "code",
            "label": "Code abonné",
            "required": True,
            "value": values.get("code"),
            "autocomplete": "off",
            "hint": "Il figure sur le courrier de votre mairie.",
        },
    ]


def creation_fields(values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "name": "first_name",
            "label": "Votre prénom",
            "required": True,
            "value": values.get("first_name"),
            "autocomplete": "given-name",
        },
        {
            "name": "last_name",
            "label": "Votre nom",
            "required": True,
            "value": values.get("last_name"),
            "autocomplete": "family-name",
        },
        {
            "name": "email",
            "label": "Votre adresse e-mail",
            "type": "email",
            "value": values.get("email"),
            "autocomplete": "email",
        },
        *address_fields(values),
        {
            "name": "child_first_name",
            "label": "Prénom d'un enfant (facultatif)",
            "value": values.get("child_first_name"),
        },
        {
            "name": "child_last_name",
            "label": "Nom de l'enfant",
            "value": values.get("child_last_name"),
        },
        {
            "name": "child_birth_date",
            "label": "Date de naissance de l'enfant",
            "type": "date",
            "value": values.get("child_birth_date"),
        },
    ]


def names(fields: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(f["name"] for f in fields)
