"""The back-office's work queue as the agents read it: the kinds of items waiting for a
decision, a proposed change laid out field by field (current value, proposed value), the
next item to open after a decision, the reason a refusal needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from web.domain import french
from web.domain import household as hh
from web.domain.problems import FormErrors

# The kinds of the queue, in the order the home shows them: (code used in ?type=, heading).
KINDS: dict[str, str] = {
    "modifications": "Modifications du dossier famille",
    "documents": "Justificatifs à valider",
    "demandes": "Demandes à traiter",
    "inscriptions": "Inscriptions à décider",
    "absences": "Absences à justifier",
    "paiements": "Paiements par carte à rapprocher",
}
# The kinds another page of the back-office decides: the queue only links there.
ELSEWHERE: dict[str, str] = {
    "inscriptions": "/gestion/inscriptions",
    "absences": "/gestion/absences",
}
SHOWN = 5  # the oldest items listed per kind on the queue's home
# A card payment the bank has said nothing about for this long waits for staff (the family
# may say it paid); the sweeper asks the bank too, later.
UNSETTLED_AFTER = timedelta(minutes=15)

FIELD_LABELS: dict[str, str] = {
    "address": "Adresse",
    "line1": "adresse",
    "line2": "complément",
    "postal_code": "code postal",
    "city": "commune",
    "phones": "Téléphones",
    "phone": "Téléphone",
    "first_name": "Prénom",
    "last_name": "Nom",
    "birth_date": "Date de naissance",
    "relationship": "Lien",
    "email": "Adresse e-mail",
    "employer": "Employeur",
    "fiscal": "Situation fiscale",
    "reference_income": "revenu fiscal de référence",
    "shares": "nombre de parts",
    "sex": "Sexe",
    "school": "École",
    "grade": "Classe",
    "diet": "Régime alimentaire",
    "image_rights": "Droit à l'image",
    "permissions": "Autorisations",
    "marital_status": "Situation des responsables",
    "custody": "Mode de garde",
    "custody_detail": "Précisions sur la garde",
    "billed_guardian_id": "Responsable facturé",
    "can_pick_up": "Peut venir chercher l'enfant",
    "emergency": "À prévenir en cas d'urgence",
    "allergies": "Allergies",
    "pai": "PAI",
    "pai_details": "Détails du PAI",
    "vaccinations": "Vaccinations",
    "doctor": "Médecin",
    "name": "nom",
    "treatments": "Traitements",
    "remarks": "Remarques",
    "certified": "Certifiée exacte",
    "value": "Quotient familial",
    "source": "Source",
    "valid_from": "Valable à partir du",
    "valid_until": "Valable jusqu'au",
    "guardians": "Responsables",
    "children": "Enfants",
    "date": "date",
}
# Technical keys the services add to what they show: not what the family proposed.
HIDDEN = frozenset(
    {
        "id",
        "child_id",
        "updated_at",
        "has_health_record",
        "has_photo",
        "contacts",
        "certified_at",
        "certified_by",
        "recorded_by",
        "recorded_at",
    }
)
# Codes shown with their French label.
CODES: dict[str, Mapping[str, str]] = {
    "diet": hh.DIETS,
    "sex": hh.SEXES,
    "source": hh.QUOTIENT_SOURCES,
    "marital_status": hh.MARITAL_STATUSES,
    "custody": hh.CUSTODY,
}
DATE_KEYS = frozenset({"birth_date", "valid_from", "valid_until", "date"})
NOTHING = "Non renseigné"


@dataclass(frozen=True)
class Row:
    """One line of the before/after table."""

    label: str
    current: str
    proposed: str

    @property
    def changed(self) -> bool:
        return self.current != self.proposed


def shown(key: str, value: Any) -> str:
    """A value as an agent reads it: French dates, codes' labels, Oui/Non, lists joined."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if key in CODES and isinstance(value, str):
        return CODES[key].get(value, value)
    if key == "relationship" and isinstance(value, str):
        return hh.RELATIONSHIPS.get(value, value)
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return french.long_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if isinstance(value, Mapping):
        parts = [
            f"{FIELD_LABELS.get(k, k)} : {shown(k, v)}"
            for k, v in value.items()
            if k not in HIDDEN and v not in (None, "", [])
        ]
        return " ; ".join(parts) or NOTHING
    if isinstance(value, list):
        return ", ".join(shown(key, item) for item in value)
    return str(value)


def _label(path: Sequence[str]) -> str:
    first, *rest = path
    text = FIELD_LABELS.get(first, first)
    for part in rest:
        text += f" ({FIELD_LABELS.get(part, part)})"
    return text


def _flat(content: Mapping[str, Any] | None, prefix: tuple[str, ...] = ()) -> dict[tuple, Any]:
    """Nested objects (an address, a doctor) opened into one entry per field."""
    found: dict[tuple, Any] = {}
    for key, value in (content or {}).items():
        if key in HIDDEN:
            continue
        if isinstance(value, Mapping) and value and key not in ("guardians", "children"):
            found.update(_flat(value, (*prefix, key)))
        else:
            found[(*prefix, key)] = value
    return found


def comparison(
    before: Mapping[str, Any] | None,
    proposed: Mapping[str, Any] | None,
    *,
    partial: bool = False,
) -> list[Row]:
    """The table of a change: every field either side names, current and proposed values,
    the changed ones first. A creation has no current values, a deletion no proposed ones;
    an update (`partial`) names only what the family changed: the other fields keep their
    current value. A field empty on both sides is left out."""
    current, wanted = _flat(before), _flat(proposed)
    if partial:
        wanted = {**current, **wanted}
    keys = list(wanted) + [k for k in current if k not in wanted]
    rows = [
        Row(_label(key), shown(key[-1], current.get(key)), shown(key[-1], wanted.get(key)))
        for key in keys
    ]
    kept = [r for r in rows if not (r.current == NOTHING and r.proposed == NOTHING)]
    return sorted(kept, key=lambda row: not row.changed)


def named(
    rows: list[Row], permissions: Mapping[str, str], guardians: Mapping[str, str]
) -> list[Row]:
    """The rows with the town's permission labels for their codes (« Autorisations (Rentrer
    seul) ») and the billed guardian's name for their id."""
    out = []
    for row in rows:
        label, current, proposed = row.label, row.current, row.proposed
        prefix = f"{FIELD_LABELS['permissions']} ("
        if label.startswith(prefix) and label.endswith(")"):
            code = label[len(prefix) : -1]
            label = f"{prefix}{permissions.get(code, code)})"
        if label == FIELD_LABELS["billed_guardian_id"]:
            current, proposed = guardians.get(current, current), guardians.get(proposed, proposed)
        out.append(Row(label, current, proposed))
    return out


def section(
    listed: Mapping[str, Any] | None, *, counted: bool = False
) -> tuple[int | None, list[Any]]:
    """A kind's (count, oldest items) from its staff list; (None, []) when its service did
    not answer. `counted`: a list without a total (booking's), only counted here."""
    if listed is None:
        return None, []
    items = list(listed.get("items") or [])
    if counted:
        return len(items), []
    return int(listed.get("total") or 0), items


def oldest_first(items: Iterable[Mapping[str, Any]], moment: str) -> list[Mapping[str, Any]]:
    """Oldest `moment` first (ISO timestamps of one zone sort as text; the id breaks ties)."""
    return sorted(items, key=lambda item: (str(item.get(moment) or ""), str(item.get("id"))))


def unsettled(transactions: Iterable[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    """The pending card payments started more than UNSETTLED_AFTER ago, oldest first, as a
    staff list (items, total)."""
    cutoff = now - UNSETTLED_AFTER
    waiting = [
        t
        for t in transactions
        if t.get("status") == "pending" and _moment(t.get("created_at")) <= cutoff
    ]
    items = sorted(
        waiting, key=lambda t: (_moment(t.get("created_at")), str(t.get("transaction_id")))
    )
    return {"items": items, "total": len(items)}


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if isinstance(moment, datetime) else datetime.max.replace(tzinfo=UTC)


def next_item(items: Iterable[Mapping[str, Any]], decided: str) -> str | None:
    """The item to open after a decision: the oldest still waiting that is not the one just
    decided (the services' lists may not have seen the decision yet)."""
    for item in items:
        if str(item.get("id")) != decided:
            return str(item["id"])
    return None


def kind_of(query: Mapping[str, str]) -> str | None:
    """The queue's filter (?type=): one of KINDS, or every kind."""
    wanted = query.get("type") or ""
    return wanted if wanted in KINDS else None


def rejection_reason(form: Mapping[str, Any]) -> tuple[str, FormErrors]:
    """A refusal's reason, which the family will read: required, so checked before asking."""
    value = form.get("reason")
    reason = value.strip() if isinstance(value, str) else ""
    if not reason:
        return "", FormErrors({"reason": "Indiquez le motif du refus : la famille le lira."})
    return reason, FormErrors()


def validity(form: Mapping[str, Any]) -> dict[str, str]:
    """The validation's body: the validity date when the agent gave one (else the service's
    default, the 31 August ending the school year)."""
    value = form.get("valid_until")
    given = value.strip() if isinstance(value, str) else ""
    return {"valid_until": given} if given else {}


def is_image(content_type: str | None) -> bool:
    """A document shown inline (JPEG, PNG); a PDF is a link to open."""
    return (content_type or "").split(";")[0].strip() in ("image/jpeg", "image/png")


def household_name(household: Mapping[str, Any] | None) -> str:
    """« Foyer Roux (Ana Roux) » from the household's first guardian."""
    guardians = (household or {}).get("guardians") or []
    if not guardians:
        return "Foyer"
    first, last = guardians[0].get("first_name", ""), guardians[0].get("last_name", "")
    return f"Foyer {last} ({first} {last})"
