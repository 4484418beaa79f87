"""The activities as the back-office edits and reads them: the activity form read safely
into booking's JSON (dates typed the French way, weekdays, deadlines), the billing settings
and the price grid read into billing's JSON (euros typed → integer cents), the period of an
occupancy view, and the French labels of the APIs' codes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from web.domain.billing import AmountError, amount_field, parse_amount

TYPES: dict[str, str] = {
    "CANTINE": "Restauration scolaire",
    "PERI": "Accueil périscolaire",
    "ETUDE": "Étude surveillée",
    "MERCREDI": "Accueil du mercredi",
    "VACANCES": "Accueil de loisirs (vacances)",
    "EXTRA": "Activité extrascolaire",
    "SPORT": "Activité sportive",
    "CRECHE": "Crèche",
}
WEEKDAYS: dict[int, str] = {
    1: "Lundi",
    2: "Mardi",
    3: "Mercredi",
    4: "Jeudi",
    5: "Vendredi",
    6: "Samedi",
    7: "Dimanche",
}
BOOKING_MODES: dict[str, str] = {
    "free": "Réservation libre des jours (paniers)",
    "schedule": "Jours fixés à l'inscription",
}
# What booking does when a place frees up (issue 18): the next child booked at once, or
# offered the place to accept within `offer_hours`.
WAITING_LIST_MODES: dict[str, str] = {
    "automatic": "Inscription automatique du premier enfant en attente",
    "offer": "Proposition de place à accepter par la famille",
}
OFFER_HOURS = (1, 168)
# What booking takes when an activity says nothing of its waiting list (made before).
WAITING_DEFAULTS: dict[str, Any] = {"waiting_list_mode": "automatic", "offer_hours": 24}
SCHOOL_TIME: dict[str, str] = {
    "": "Selon le type (fermée pendant les vacances pour la cantine, le périscolaire, "
    "l'étude et le mercredi)",
    "oui": "Oui, fermée pendant les vacances scolaires",
    "non": "Non, ouverte pendant les vacances scolaires",
}
BILLING_MODES: dict[str, str] = {"prepaid": "Prépayée", "postpaid": "Facturée après coup"}
POSTPAID_SOURCES: dict[str, str] = {
    "bookings": "Les jours réservés",
    "attendance": "Les présences pointées",
}
UNITS: dict[str, str] = {
    "day": "Journée",
    "half_day": "Demi-journée",
    "meal": "Repas",
    "hour": "Heure",
}
PAYMENTS: dict[str, str] = {
    "invoice": "Sur facture (payée ensuite)",
    "at_booking": "Payée par carte à la réservation",
    "wallet": "Payée par la tirelire",
}
CHARGES: dict[str, str] = {
    "bill_present": "Les jours où l'enfant est présent",
    "bill_absent": "Les absences non justifiées",
    "bill_absent_justified": "Les absences justifiées",
    "bill_unexpected": "Les présences sans réservation",
}

# The activity form's fields, as booking names them (so its problems land next to them).
TEXT_FIELDS = (
    "name",
    "type",
    "site",
    "period_from",
    "period_to",
    "closed_dates",
    "extra_dates",
    "school_time",
    "capacity",
    "min_age",
    "max_age",
    "grades",
    "booking_mode",
    "required_documents",
    "waiting_list_mode",
    "offer_hours",
)
DEADLINES = ("booking_deadline", "cancel_deadline", "late_deadline")
FLAGS = ("skip_public_holidays", "late_allowed", "requires_approval")
FIELDS = (*TEXT_FIELDS, "weekdays", *DEADLINES, *FLAGS)

_FRENCH_DAY = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3])[:hH]([0-5][0-9])$")
_SEPARATORS = re.compile(r"[\s,;]+")


def parse_day(text: str) -> date:
    """A date typed as 25/12/2026 or 2026-12-25 (what a date input sends)."""
    text = text.strip()
    found = _FRENCH_DAY.match(text)
    if found:
        return date(int(found[3]), int(found[2]), int(found[1]))
    return date.fromisoformat(text)


def parse_days(text: str) -> list[date]:
    """Dates separated by spaces, commas, semicolons or new lines; ValueError names the one
    that is not a date."""
    days = []
    for word in _SEPARATORS.split(text.strip()):
        if not word:
            continue
        try:
            days.append(parse_day(word))
        except ValueError:
            raise ValueError(word) from None
    return sorted(set(days))


def french_day(day: date) -> str:
    return day.strftime("%d/%m/%Y")


@dataclass
class ActivityForm:
    """What the form shows: the typed text of each field, kept as typed on an error."""

    values: dict[str, str] = field(default_factory=dict)
    weekdays: tuple[int, ...] = ()
    flags: frozenset[str] = frozenset({"skip_public_holidays"})

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True)
class ActivityRead:
    """The form read: booking's JSON (every field of creation) or the fields refused here."""

    body: dict[str, Any]
    errors: dict[str, str]


def form_of(activity: Mapping[str, Any]) -> ActivityForm:
    """An activity as the edit form shows it."""
    values = {
        "name": activity.get("name", ""),
        "type": activity.get("type", ""),
        "site": activity.get("site", ""),
        "period_from": str(activity.get("period_from") or ""),
        "period_to": str(activity.get("period_to") or ""),
        "closed_dates": " ".join(
            french_day(date.fromisoformat(str(d))) for d in activity.get("closed_dates") or []
        ),
        "extra_dates": " ".join(
            french_day(date.fromisoformat(str(d))) for d in activity.get("extra_dates") or []
        ),
        "school_time": {True: "oui", False: "non"}.get(activity.get("school_time"), ""),
        "capacity": str(activity.get("capacity", "")),
        "min_age": "" if activity.get("min_age") is None else str(activity["min_age"]),
        "max_age": "" if activity.get("max_age") is None else str(activity["max_age"]),
        "grades": ", ".join(activity.get("grades") or []),
        "booking_mode": activity.get("booking_mode", "free"),
        "required_documents": ", ".join(activity.get("required_documents") or []),
        "waiting_list_mode": str(
            activity.get("waiting_list_mode") or WAITING_DEFAULTS["waiting_list_mode"]
        ),
        "offer_hours": str(activity.get("offer_hours") or WAITING_DEFAULTS["offer_hours"]),
    }
    for name in DEADLINES:
        rule = activity.get(name) or {}
        if name == "late_deadline" and not activity.get("late_allowed"):
            rule = {}
        values[f"{name}_days"] = "" if not rule else str(rule.get("days_before", 0))
        values[f"{name}_at"] = str(rule.get("at", "")) if rule else ""
        values[f"{name}_working"] = "oui" if rule.get("working_days") else ""
    flags = frozenset(name for name in FLAGS if activity.get(name))
    return ActivityForm(values, tuple(sorted(activity.get("weekdays") or ())), flags)


def read_form(form: Mapping[str, Any], getall: list[str]) -> tuple[ActivityForm, ActivityRead]:
    """The posted form (`getall`: the weekdays ticked) as typed, and read into booking's
    JSON; a field that cannot be read is named with a French message."""
    values = {
        k: str(form.get(k, "")).strip()
        for k in (*TEXT_FIELDS, *(f"{d}_{p}" for d in DEADLINES for p in ("days", "at")))
    }
    values.update({f"{d}_working": "oui" if form.get(f"{d}_working") else "" for d in DEADLINES})
    weekdays = tuple(sorted({int(w) for w in getall if str(w).isdigit() and 1 <= int(w) <= 7}))
    flags = frozenset(name for name in FLAGS if form.get(name))
    typed = ActivityForm(values, weekdays, flags)
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "name": values["name"],
        "type": values["type"],
        "site": values["site"],
        "weekdays": list(weekdays),
        "booking_mode": values["booking_mode"] or "free",
        **{name: name in flags for name in FLAGS},
    }
    if not values["name"]:
        errors["name"] = "Indiquez le nom de l'activité."
    if not values["site"]:
        errors["site"] = "Indiquez le site (l'école, le centre)."
    if values["type"] not in TYPES:
        errors["type"] = "Choisissez le type de l'activité."
    if not weekdays:
        errors["weekdays"] = "Cochez au moins un jour d'ouverture."
    for name in ("period_from", "period_to"):
        try:
            body[name] = parse_day(values[name]).isoformat()
        except ValueError:
            errors[name] = "Indiquez une date au format JJ/MM/AAAA."
    for name in ("closed_dates", "extra_dates"):
        try:
            body[name] = [d.isoformat() for d in parse_days(values[name])]
        except ValueError as exc:
            errors[name] = f"« {exc} » n'est pas une date au format JJ/MM/AAAA."
    body["school_time"] = {"oui": True, "non": False}.get(values["school_time"])
    for name, required in (("capacity", True), ("min_age", False), ("max_age", False)):
        text = values[name]
        if not text and not required:
            body[name] = None
        elif text.isdigit():
            body[name] = int(text)
        else:
            errors[name] = (
                "Indiquez un nombre de places (un entier, 0 ou plus)."
                if name == "capacity"
                else "Indiquez un âge en années (un entier) ou laissez vide."
            )
    grades = [g.strip() for g in values["grades"].split(",") if g.strip()]
    body["grades"] = grades or None
    body["required_documents"] = [
        d.strip() for d in values["required_documents"].split(",") if d.strip()
    ]
    body["waiting_list_mode"] = values["waiting_list_mode"] or "automatic"
    if body["waiting_list_mode"] not in WAITING_LIST_MODES:
        errors["waiting_list_mode"] = "Choisissez ce qui se passe quand une place se libère."
    hours = values["offer_hours"] or str(WAITING_DEFAULTS["offer_hours"])
    if hours.isdigit() and OFFER_HOURS[0] <= int(hours) <= OFFER_HOURS[1]:
        body["offer_hours"] = int(hours)
    else:
        errors["offer_hours"] = "Indiquez un nombre d'heures entre 1 et 168."
    for name in DEADLINES:
        rule = _deadline(values, name)
        if isinstance(rule, str):
            errors[name] = rule
        elif rule is None and name != "late_deadline":
            errors[name] = "Indiquez le nombre de jours avant (0 : le jour même)."
        else:
            body[name] = rule
    if body.get("late_deadline") is None and "late_deadline" not in errors:
        body["late_deadline"] = None
    return typed, ActivityRead(body, errors)


def _deadline(values: Mapping[str, str], name: str) -> dict[str, Any] | str | None:
    """A deadline rule from its three inputs; None when left empty, a message when wrong."""
    days, at = values.get(f"{name}_days", ""), values.get(f"{name}_at", "")
    if not days and not at:
        return None
    if not days.isdigit() or int(days) > 365:
        return "Indiquez un nombre de jours entre 0 et 365."
    found = _HHMM.match(at or "00:00")
    if found is None:
        return "Indiquez une heure au format HH:MM, par exemple 12:00."
    return {
        "days_before": int(days),
        "at": f"{int(found[1]):02d}:{found[2]}",
        "working_days": bool(values.get(f"{name}_working")),
    }


def changes(body: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What the edit changes (booking's PATCH): the fields whose value differs from the
    activity's, the type left out (it cannot change)."""
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key == "type" or (key == "school_time" and value is None):
            continue  # the type cannot change; "by its type" keeps what was decided
        was = current.get(key, WAITING_DEFAULTS.get(key))
        if key in DEADLINES and isinstance(value, dict) and isinstance(was, dict):
            was = {k: was.get(k) for k in value}
            was["working_days"] = bool(was.get("working_days"))
        elif key in ("closed_dates", "extra_dates", "weekdays"):
            was = sorted(str(d) for d in was or [])
            value = sorted(str(d) for d in value)
        if key == "late_deadline" and value is None:
            continue  # no late rule typed: the one kept does not matter while not allowed
        if value != was:
            out[key] = value
    return out


# --- occupancy ----------------------------------------------------------------------------

MAX_SPAN = 92  # booking's staff views cover at most this many days


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def params(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def read_period(query: Mapping[str, str], today: date, days: int = 14) -> Period:
    """The period asked (`du`, `au`), made safe: by default `days` days from today; an end
    before the start is the start; never longer than booking serves."""
    try:
        start = parse_day(str(query.get("du", ""))) if query.get("du") else today
    except ValueError:
        start = today
    try:
        end = parse_day(str(query.get("au", ""))) if query.get("au") else None
    except ValueError:
        end = None
    if end is None:
        end = start + timedelta(days=days - 1)
    end = min(max(end, start), start + timedelta(days=MAX_SPAN - 1))
    return Period(start, end)


def occupancy_grid(days: list[Mapping[str, Any]]) -> tuple[list[str], list[str], dict]:
    """booking's occupancy per day and site as a table: the days, the sites, and for each
    (site, day) its counts with the free places."""
    dates = sorted({str(d["date"]) for d in days})
    sites = sorted({str(d["site"]) for d in days}, key=str.lower)
    cells = {
        (str(d["site"]), str(d["date"])): {
            **d,
            "free": max(int(d["capacity"]) - int(d["booked"]), 0),
        }
        for d in days
    }
    return dates, sites, cells


def with_free(days: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{**d, "free": max(int(d["capacity"]) - int(d["booked"]), 0)} for d in days]


# --- billing: settings and price grid ------------------------------------------------------


@dataclass(frozen=True)
class BillingRead:
    body: dict[str, Any]
    errors: dict[str, str]


def read_billing(form: Mapping[str, Any], name: str) -> BillingRead:
    """The billing settings form into billing's PUT body (the lines' label: the activity's
    name)."""
    errors: dict[str, str] = {}
    body: dict[str, Any] = {
        "regie_id": str(form.get("regie_id", "")).strip(),
        "name": name,
        "billing_mode": str(form.get("billing_mode", "")),
        "postpaid_source": str(form.get("postpaid_source", "") or "bookings"),
        "unit": str(form.get("unit", "")),
        "payment": str(form.get("payment", "") or "invoice"),
        **{charge: bool(form.get(charge)) for charge in CHARGES},
    }
    if not body["regie_id"]:
        errors["regie_id"] = "Choisissez la régie qui encaisse cette activité."
    if body["billing_mode"] not in BILLING_MODES:
        errors["billing_mode"] = "Choisissez quand l'activité est facturée."
    if body["unit"] not in UNITS:
        errors["unit"] = "Choisissez l'unité facturée."
    if body["payment"] not in PAYMENTS:
        errors["payment"] = "Choisissez comment l'activité est payée."
    elif body["payment"] != "invoice" and body["billing_mode"] != "prepaid":
        errors["payment"] = (
            "Une activité payée à la réservation ou par la tirelire doit être prépayée."
        )
    return BillingRead(body, errors)


BRACKET_ROWS = 6  # rows of the grid form; rows left empty are not brackets
MAX_BRACKETS = 50  # billing's limit


@dataclass(frozen=True)
class GridRead:
    body: dict[str, Any]
    errors: dict[str, str]
    rows: list[dict[str, str]]  # as typed, to show them again


def read_grid(form: Mapping[str, Any]) -> GridRead:
    """The price grid form into billing's body: a bracket per filled row, from quotient
    `qf_min` (up to `qf_max`, empty for no limit), its price typed in euros → cents."""
    errors: dict[str, str] = {}
    rows = [
        {k: str(form.get(f"tranche-{i}-{k}", "")).strip() for k in ("qf_min", "qf_max", "amount")}
        for i in range(MAX_BRACKETS)
        if f"tranche-{i}-qf_min" in form
    ]
    brackets = []
    for i, row in enumerate(rows):
        if not any(row.values()):
            continue
        if not row["qf_min"].isdigit():
            errors[f"tranche-{i}-qf_min"] = "Indiquez le quotient de début (un entier)."
        if row["qf_max"] and not row["qf_max"].isdigit():
            errors[f"tranche-{i}-qf_max"] = "Indiquez le quotient de fin ou laissez vide."
        try:
            cents = parse_price(row["amount"])
        except AmountError as exc:
            errors[f"tranche-{i}-amount"] = str(exc)
            continue
        if f"tranche-{i}-qf_min" in errors or f"tranche-{i}-qf_max" in errors:
            continue
        brackets.append(
            {
                "qf_min": int(row["qf_min"]),
                "qf_max": int(row["qf_max"]) if row["qf_max"] else None,
                "amounts": [cents],
            }
        )
    if not brackets and not errors:
        errors["tranche-0-qf_min"] = "Indiquez au moins une tranche de quotient avec son prix."
    body: dict[str, Any] = {
        "label": str(form.get("label", "")).strip(),
        "brackets": brackets,
    }
    try:
        body["valid_from"] = parse_day(str(form.get("valid_from", ""))).isoformat()
    except ValueError:
        errors["valid_from"] = "Indiquez la date de début au format JJ/MM/AAAA."
    valid_to = str(form.get("valid_to", "")).strip()
    try:
        body["valid_to"] = parse_day(valid_to).isoformat() if valid_to else None
    except ValueError:
        errors["valid_to"] = "Indiquez la date de fin au format JJ/MM/AAAA ou laissez vide."
    return GridRead(body, errors, rows)


def parse_price(text: str) -> int:
    """A price typed in euros (« 4,50 », « 4.5 », « 12 € ») → integer cents."""
    if not text.strip():
        raise AmountError("Indiquez le prix en euros, par exemple 4,50.")
    return parse_amount(text, 0, 100_000_000)


def grid_rows(grid: Mapping[str, Any] | None) -> list[dict[str, str]]:
    """A grid's brackets as the form's rows (prices in euros), padded with empty rows."""
    rows = [
        {
            "qf_min": str(b["qf_min"]),
            "qf_max": "" if b.get("qf_max") is None else str(b["qf_max"]),
            "amount": amount_field(int(b["amounts"][0])) if b.get("amounts") else "",
        }
        for b in (grid or {}).get("brackets") or []
    ]
    rows += [{"qf_min": "", "qf_max": "", "amount": ""}] * max(BRACKET_ROWS - len(rows), 1)
    return rows
