"""Enrollment campaigns and renewals as the portal shows them (booking's campaigns API): a
campaign's window in words, the family's grouped enrollment form and yearly file check, the
renewals by child, the staff's campaign form and the renewals' activity mapping. Plain
functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.french import MONTHS, day_month_year
from web.domain.enrollments import (
    Submitted,
    enrollment_body,
    missing_documents_message,
    offer,
)
from web.domain.problems import GENERIC, FormErrors
from web.domain.staff_activities import french_day, parse_day

# booking's Campaign.state, as staff read it (always in words, never a colour alone).
STATES: dict[str, str] = {
    "upcoming": "À venir",
    "open": "Ouverte",
    "closed": "Fermée",
    "archived": "Archivée",
}
# A line of the grouped enrollment's answer (booking's outcome).
OUTCOMES: dict[str, str] = {
    "approved": "Inscription acceptée",
    "pending": "En attente de validation par la mairie",
    "refused": "Inscription refusée",
}
# booking's Renewal.status.
RENEWAL_STATUSES: dict[str, str] = {
    "proposed": "À confirmer",
    "ineligible": "Renouvellement impossible",
    "confirmed": "Renouvellement confirmé",
    "declined": "Non renouvelé",
}
SHOWN_TO_FAMILIES = ("open", "upcoming")
CAMPAIGN_FIELDS = (
    "name",
    "school_year",
    "opens_on",
    "closes_on",
    "description",
    "activity_ids",
    "previous_campaign_id",
)
_SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")
# Year-like parts of an activity's name: '2026-2027', '2026/2027', '2026'.
_YEAR_PART = re.compile(r"\b\d{4}(?:\s*[-/]\s*\d{4})?\b")
_LINE_FIELD = re.compile(r"^lines(?:\.|\[)(\d+)\]?\.?(\w*)$")


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def window_text(campaign: Mapping[str, Any]) -> str:
    """What a family reads of the window: « Ouvertes jusqu'au 15 juillet 2027 », « Ouverture
    le 1er juin 2027 », « Fermées depuis le 15 juillet 2027 »."""
    state = campaign.get("state")
    if state == "open":
        return f"Ouvertes jusqu'au {day_month_year(_day(campaign['closes_on']))}"
    if state == "upcoming":
        return f"Ouverture le {day_month_year(_day(campaign['opens_on']))}"
    if state == "closed":
        return f"Fermées depuis le {day_month_year(_day(campaign['closes_on']))}"
    return STATES.get(str(state), str(state))


def window_range(campaign: Mapping[str, Any]) -> str:
    """« du 1er juin 2027 au 15 juillet 2027 » (the back-office's list)."""
    opens, closes = _day(campaign["opens_on"]), _day(campaign["closes_on"])
    return f"du {day_month_year(opens)} au {day_month_year(closes)}"


def state_label(campaign: Mapping[str, Any]) -> str:
    return STATES.get(str(campaign.get("state")), str(campaign.get("state")))


def for_families(campaigns: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The campaigns a family sees on /inscriptions: open ones first, then the upcoming,
    each by its opening; closed and archived ones are not shown."""
    shown = [c for c in campaigns if c.get("state") in SHOWN_TO_FAMILIES]
    shown.sort(key=lambda c: (c["state"] != "open", str(c["opens_on"]), str(c["name"])))
    return shown


def renewal_notice(campaign: Mapping[str, Any]) -> str:
    """The home page's notice: « Renouvelez les inscriptions pour 2027-2028 avant le 15
    juillet » (closes_on is the last day: the renewal is expected by then)."""
    closes = _day(campaign["closes_on"])
    day = "1er" if closes.day == 1 else str(closes.day)
    return (
        f"Renouvelez les inscriptions pour {campaign['school_year']} avant le "
        f"{day} {MONTHS[closes.month - 1]}"
    )


# --- the family's grouped enrollment ---------------------------------------------------------


class _OneActivity:
    """The grouped form seen as the single enrollment form of one activity: its fields are
    named `<field>-<activity id>`, so enrollment_body reads them unchanged."""

    def __init__(self, form: Any, activity_id: str) -> None:
        self.form, self.suffix = form, f"-{activity_id}"

    def get(self, name: str, default: Any = None) -> Any:
        return self.form.get(name + self.suffix, default)

    def getall(self, name: str, default: Any = None) -> list[Any]:
        if hasattr(self.form, "getall"):
            return list(self.form.getall(name + self.suffix, default or []))
        return list(default or [])


def chosen_activities(form: Any) -> list[str]:
    values = form.getall("activites", []) if hasattr(form, "getall") else []
    return [str(v) for v in values]


@dataclass(frozen=True)
class ChildChance:
    """May this child enroll in an activity of the campaign (None), else why, plainly."""

    first_name: str
    why_not: str | None


def children_chances(
    activity: Mapping[str, Any],
    children: list[Mapping[str, Any]],
    catalogues: list[list[dict[str, Any]] | None],
    enrollments: list[dict[str, Any]],
) -> list[ChildChance]:
    """For one activity, each child of the household whose catalogue booking gave (None:
    booking does not know the child yet, said nothing rather than a guess)."""
    found = []
    for child, catalogue in zip(children, catalogues, strict=True):
        listed = next((a for a in catalogue or [] if str(a["id"]) == str(activity["id"])), None)
        if listed is None:
            continue
        own = [e for e in enrollments if str(e["child_id"]) == str(child["id"])]
        found.append(ChildChance(str(child["first_name"]), offer(listed, own).why_not))
    return found


def grouped_values(form: Any, activities: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The grouped form's choices as typed, to show them again with its errors."""
    one = {str(a["id"]): _OneActivity(form, str(a["id"])) for a in activities}
    return {
        "enfant": str(form.get("enfant") or ""),
        "activites": chosen_activities(form),
        "mode": {k: str(f.get("mode") or "occasional") for k, f in one.items()},
        "weekdays": {k: [str(v) for v in f.getall("weekdays")] for k, f in one.items()},
        "every_n_weeks": {k: str(f.get("every_n_weeks") or "1") for k, f in one.items()},
    }


def grouped_enrollment_body(
    form: Any, child_ids: Iterable[str], activities: list[Mapping[str, Any]]
) -> Submitted:
    """The campaign's form → booking's {child_id, lines}: one child (radio `enfant`), the
    ticked activities (`activites`), each with its own rhythm as the single form asks it.
    Errors keyed by the form's ids: `enfant`, `activites`, `<field>-<activity id>`."""
    errors: dict[str, str] = {}
    child_id = str(form.get("enfant") or "")
    if child_id not in {str(c) for c in child_ids}:
        errors["enfant"] = "Choisissez l'enfant à inscrire."
    ticked = set(chosen_activities(form))
    chosen = [a for a in activities if str(a["id"]) in ticked]
    if not chosen:
        errors["activites"] = "Cochez au moins une activité."
    lines = []
    for activity in chosen:
        activity_id = str(activity["id"])
        read = enrollment_body(_OneActivity(form, activity_id), child_id, dict(activity))
        for name, message in read.errors.fields.items():
            errors[f"{name}-{activity_id}"] = f"{activity['name']} : {message}"
        if read.body:
            lines.append({k: v for k, v in read.body.items() if k != "child_id"})
    if errors:
        return Submitted(errors=FormErrors(errors))
    return Submitted({"child_id": child_id, "lines": lines})


def grouped_errors(problem: Mapping[str, Any] | None, lines: list[Mapping[str, Any]]) -> FormErrors:
    """booking's refusal of the whole grouped request next to the form's fields: `child_id`
    by the child's choice, `lines[i].<field>` by that activity's field (its activity id
    named for duplicates or activities outside the campaign), the rest for the form."""
    if not problem:
        return FormErrors(general=GENERIC)
    found: dict[str, str] = {}
    others: list[str] = []
    for error in problem.get("errors") or []:
        name, detail = str(error.get("field", "")), str(error.get("detail") or "")
        if not detail:
            continue
        line = _LINE_FIELD.match(name)
        if name == "child_id":
            found.setdefault("enfant", detail)
        elif line and int(line[1]) < len(lines):
            activity_id = str(lines[int(line[1])]["activity_id"])
            part = line[2] if line[2] in ("mode", "weekdays", "every_n_weeks") else "activite"
            found.setdefault(f"{part}-{activity_id}", detail)
        elif name in ("lines", "activity_ids"):
            found.setdefault("activites", detail)
        else:
            others.append(detail)
    general = None
    if not found or others:
        general = " ".join([str(problem.get("detail") or GENERIC), *others]).strip()
    return FormErrors(found, general)


@dataclass(frozen=True)
class LineOutcome:
    """One activity of the grouped answer as the outcome page says it."""

    activity: Mapping[str, Any]
    outcome: str
    label: str
    detail: str | None
    missing_documents: list[str] = field(default_factory=list)


def outcomes(
    items: list[Mapping[str, Any]],
    activities: list[Mapping[str, Any]],
    labels: Mapping[str, str],
) -> list[LineOutcome]:
    """booking's {items:[{activity_id, outcome, problem}]} with the activities' names and,
    for missing documents, their labels (booking names a type by its code)."""
    names = {str(a["id"]): a for a in activities}
    shown = []
    for item in items:
        activity = names.get(str(item["activity_id"]), {"id": item["activity_id"], "name": ""})
        problem = item.get("problem") or {}
        missing = [str(c) for c in problem.get("missing_documents") or []]
        detail = problem.get("detail")
        if missing:
            detail = missing_documents_message(missing, labels)
        outcome = str(item.get("outcome"))
        shown.append(
            LineOutcome(activity, outcome, OUTCOMES.get(outcome, outcome), detail, missing)
        )
    return shown


# --- the yearly check of the household file ---------------------------------------------------


def new_period_start(campaign: Mapping[str, Any]) -> date | None:
    """The first day of the campaign's activities: a document must still be valid then."""
    starts = [_day(a["period_from"]) for a in campaign.get("activities") or []]
    return min(starts) if starts else None


@dataclass(frozen=True)
class CheckedDocument:
    document: Mapping[str, Any]
    about: str
    to_renew: bool  # expired, refused, or valid only until before the new period starts


def documents_to_check(
    documents: list[Mapping[str, Any]],
    names: Mapping[str, str],
    today: date,
    period_start: date | None,
) -> list[CheckedDocument]:
    """The household's documents as the yearly check lists them: « à renouveler » when it
    is refused or its validity ends before the new period (or before today when the
    campaign has no activity yet). The newest of a type and person only."""
    limit = max(today, period_start) if period_start else today
    latest: dict[tuple[str, str], Mapping[str, Any]] = {}
    for document in sorted(documents, key=lambda d: str(d.get("uploaded_at") or "")):
        # the newest of a type and person, a refused one only when nothing else was given
        key = (str(document.get("document_type")), str(document.get("member_id")))
        kept = latest.get(key)
        if kept is None or document.get("status") != "rejected" or kept.get("status") == "rejected":
            latest[key] = document
    checked = []
    for document in latest.values():
        until = document.get("valid_until")
        expiring = bool(until) and _day(until) < limit
        to_renew = document.get("status") == "rejected" or (
            document.get("status") == "validated" and expiring
        )
        about = names.get(str(document.get("member_id")), "Tout le foyer")
        checked.append(CheckedDocument(document, about, to_renew))
    checked.sort(key=lambda d: (not d.to_renew, str(d.document.get("document_label") or "")))
    return checked


@dataclass(frozen=True)
class ChildRenewals:
    child: Mapping[str, Any]
    next_grade: str | None
    renewals: list[Mapping[str, Any]]


def renewals_by_child(
    household: Mapping[str, Any] | None, renewals: list[Mapping[str, Any]]
) -> list[ChildRenewals]:
    """Each child of the household with its renewals, and the grade it will have next
    year as booking computed it for its renewals (None when it has none)."""
    found = []
    for child in (household or {}).get("children") or []:
        own = [r for r in renewals if str(r["child_id"]) == str(child["id"])]
        own.sort(key=lambda r: str(r.get("activity_name") or ""))
        grade = next((r["next_grade"] for r in own if r.get("next_grade")), None)
        found.append(ChildRenewals(child, grade, own))
    return found


def pending_renewals(renewals: Iterable[Mapping[str, Any]]) -> int:
    return sum(1 for r in renewals if r.get("status") == "proposed")


# --- the staff's campaign form -----------------------------------------------------------------


@dataclass
class CampaignForm:
    """What the form shows: the typed text of each field, the ticked activities."""

    values: dict[str, str] = field(default_factory=dict)
    activity_ids: list[str] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def campaign_form_of(campaign: Mapping[str, Any]) -> CampaignForm:
    return CampaignForm(
        {
            "name": str(campaign.get("name") or ""),
            "school_year": str(campaign.get("school_year") or ""),
            "opens_on": french_day(_day(campaign["opens_on"])),
            "closes_on": french_day(_day(campaign["closes_on"])),
            "description": str(campaign.get("description") or ""),
            "previous_campaign_id": str(campaign.get("previous_campaign_id") or ""),
        },
        [str(a["id"]) for a in campaign.get("activities") or []],
    )


def read_campaign_form(form: Any) -> tuple[CampaignForm, Submitted]:
    """The campaign form → booking's body: a name, the school year « 2027-2028 » (two
    following years), the window's first and last days (typed 01/06/2027 or 2027-06-01),
    the activities ticked, the description and previous campaign optional."""
    text = {
        name: str(form.get(name) or "").strip()
        for name in ("name", "school_year", "opens_on", "closes_on", "description")
    }
    text["previous_campaign_id"] = str(form.get("previous_campaign_id") or "")
    ticked = [str(v) for v in form.getall("activity_ids", [])] if hasattr(form, "getall") else []
    values = CampaignForm(text, ticked)
    errors: dict[str, str] = {}
    if not text["name"]:
        errors["name"] = "Indiquez le nom de la campagne."
    elif len(text["name"]) > 200:
        errors["name"] = "200 caractères au plus."
    year = _SCHOOL_YEAR.match(text["school_year"])
    if not year or int(year[2]) != int(year[1]) + 1:
        errors["school_year"] = "Indiquez l'année scolaire sous la forme 2027-2028."
    days: dict[str, date] = {}
    for name, label in (("opens_on", "d'ouverture"), ("closes_on", "de fermeture")):
        try:
            days[name] = parse_day(text[name])
        except ValueError:
            errors[name] = f"Indiquez la date {label} (par exemple 01/06/2027)."
    if len(days) == 2 and days["closes_on"] < days["opens_on"]:
        errors["closes_on"] = "La fermeture ne peut pas précéder l'ouverture."
    if len(text["description"]) > 2000:
        errors["description"] = "2 000 caractères au plus."
    if errors:
        return values, Submitted(errors=FormErrors(errors))
    body: dict[str, Any] = {
        "name": text["name"],
        "school_year": text["school_year"],
        "opens_on": days["opens_on"].isoformat(),
        "closes_on": days["closes_on"].isoformat(),
        "description": text["description"] or None,
        "activity_ids": ticked,
    }
    if text["previous_campaign_id"]:
        body["previous_campaign_id"] = text["previous_campaign_id"]
    return values, Submitted(body)


def campaign_changes(body: Mapping[str, Any], campaign: Mapping[str, Any]) -> dict[str, Any]:
    """What the edit changes, as booking's PATCH takes it (no school year nor previous
    campaign: fixed once created)."""
    current = {
        "name": campaign.get("name"),
        "opens_on": str(campaign.get("opens_on")),
        "closes_on": str(campaign.get("closes_on")),
        "description": campaign.get("description"),
    }
    changed = {k: body[k] for k in current if body.get(k) != current[k]}
    before = sorted(str(a["id"]) for a in campaign.get("activities") or [])
    if sorted(body.get("activity_ids") or []) != before:
        changed["activity_ids"] = list(body.get("activity_ids") or [])
    return changed


# --- renewals' preparation: previous activity → new activity -----------------------------------


def base_name(name: str) -> str:
    """An activity's name without its year-like parts, to match it from one year to the
    next: 'Périscolaire 2026-2027 (matin)' → 'périscolaire (matin)'."""
    plain = _YEAR_PART.sub(" ", name)
    plain = re.sub(r"\s*[-–/]\s*(?=\s|$)", " ", plain)  # a dash left dangling by the year
    return " ".join(plain.split()).strip(" -–").casefold()


def default_mapping(
    previous: list[Mapping[str, Any]], new: list[Mapping[str, Any]]
) -> dict[str, str | None]:
    """Each previous activity → the new activity with the same name once the years are
    removed (the same type and site preferred when several match); None when none does."""
    mapping: dict[str, str | None] = {}
    for old in previous:
        same = [a for a in new if base_name(str(a["name"])) == base_name(str(old["name"]))]
        closest = [
            a for a in same if (a.get("type"), a.get("site")) == (old.get("type"), old.get("site"))
        ]
        chosen = (closest or same or [None])[0]
        mapping[str(old["id"])] = str(chosen["id"]) if chosen else None
    return mapping


def read_mapping(
    form: Any, previous: list[Mapping[str, Any]], new_ids: set[str]
) -> list[dict[str, str]]:
    """The mapping table's selects (`vers-<previous id>`) → booking's explicit mapping; an
    empty choice leaves that activity out (reported unmapped)."""
    mapping = []
    for old in previous:
        chosen = str(form.get(f"vers-{old['id']}") or "")
        if chosen in new_ids:
            mapping.append({"from_activity_id": str(old["id"]), "to_activity_id": chosen})
    return mapping
