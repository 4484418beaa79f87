"""The fair opening windows (booking's) as the back-office edits and reads them: the window
form read safely into booking's JSON (moments typed in the town's time, the priority rules
in the order the agent numbered them), the edit's changes, the French labels of the
statuses, rules and outcomes. Plain functions, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from web.domain.enrollments import Submitted
from web.domain.problems import FormErrors
from web.domain.staff_activities import french_day, parse_day

STATUSES: dict[str, str] = {
    "scheduled": "Programmée",
    "open": "Ouverte aux demandes",
    "closed": "Fermée, tirage à lancer",
    "allocated": "Tirage effectué",
}
# The rules booking knows by their code (sibling_enrolled is computed by the town).
KNOWN_RULES: dict[str, str] = {
    "resident": "Résident de la commune",
    "both_parents_working": "Les deux parents travaillent",
    "sibling_enrolled": "Frère ou sœur déjà inscrit",
    "disability_plan": "Enfant bénéficiant d'un PAI / projet d'accueil adapté",
}
TOWN_RULES = 3  # rows of the form for the town's own rules
OUTCOMES: dict[str, str] = {"booked": "Place réservée", "waiting": "En liste d'attente"}
FIELDS = (
    "activity_id",
    "name",
    "opens_at",
    "closes_at",
    "date_from",
    "date_to",
    "priority_rules",
    "first_come_after",
)
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_MOMENT = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})[ T]+(\d{1,2})[:hH](\d{2})$")


def status_label(window: Mapping[str, Any]) -> str:
    return STATUSES.get(str(window.get("status")), str(window.get("status")))


def parse_moment(text: str, zone: ZoneInfo) -> datetime:
    """A moment typed in the town's time: what a datetime-local input sends (2027-05-01T08:00)
    or « 01/05/2027 08:00 » → an aware datetime at the town's offset of that day."""
    text = text.strip()
    found = _MOMENT.match(text)
    if found:
        moment = datetime(int(found[3]), int(found[2]), int(found[1]), int(found[4]), int(found[5]))
    else:
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone)
    return moment.astimezone(zone)


def local_input(value: Any, zone: ZoneInfo) -> str:
    """booking's aware moment as a datetime-local input shows it (the town's time)."""
    if not value:
        return ""
    moment = datetime.fromisoformat(str(value)) if not isinstance(value, datetime) else value
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


@dataclass
class TownRule:
    code: str = ""
    label: str = ""
    order: str = ""


@dataclass
class WindowForm:
    """What the form shows: the typed text of each field, each known rule's box and order,
    the town's rules, the « first come » box."""

    values: dict[str, str] = field(default_factory=dict)
    ticked: set[str] = field(default_factory=set)
    orders: dict[str, str] = field(default_factory=dict)
    town_rules: list[TownRule] = field(default_factory=lambda: [TownRule()] * TOWN_RULES)
    # A new window's box ticked, as booking's default: the places left after the draw open.
    first_come_after: bool = True

    def get(self, name: str) -> str:
        return self.values.get(name, "")


def window_form_of(window: Mapping[str, Any], zone: ZoneInfo) -> WindowForm:
    """A window as the edit form shows it: its rules numbered in their order."""
    rules = [dict(r) for r in window.get("priority_rules") or []]
    ticked, orders, town = set(), {}, []
    for n, rule in enumerate(rules, start=1):
        code = str(rule.get("code"))
        if code in KNOWN_RULES:
            ticked.add(code)
            orders[code] = str(n)
        else:
            town.append(TownRule(code, str(rule.get("label") or ""), str(n)))
    town += [TownRule()] * max(TOWN_RULES - len(town), 0)
    return WindowForm(
        {
            "activity_id": str(window.get("activity_id") or ""),
            "name": str(window.get("name") or ""),
            "opens_at": local_input(window.get("opens_at"), zone),
            "closes_at": local_input(window.get("closes_at"), zone),
            "date_from": str(window.get("date_from") or ""),
            "date_to": str(window.get("date_to") or ""),
        },
        ticked,
        orders,
        town,
        bool(window.get("first_come_after")),
    )


def _order(text: str) -> int | None:
    return int(text) if text.isdigit() and 1 <= int(text) <= 99 else None


def read_window_form(form: Any, zone: ZoneInfo) -> tuple[WindowForm, Submitted]:
    """The window form → booking's body: the activity, a name, the opening and closing
    moments (Paris time → aware, closing after opening), the days covered (optional), the
    rules ticked or typed ordered by their number (a rule without number goes after the
    numbered ones, in the form's order), « first come after the draw »."""
    text = {
        name: str(form.get(name) or "").strip()
        for name in ("activity_id", "name", "opens_at", "closes_at", "date_from", "date_to")
    }
    ticked = {code for code in KNOWN_RULES if form.get(f"regle-{code}")}
    orders = {code: str(form.get(f"ordre-{code}") or "").strip() for code in KNOWN_RULES}
    town = [
        TownRule(
            str(form.get(f"autre-{i}-code") or "").strip(),
            str(form.get(f"autre-{i}-label") or "").strip(),
            str(form.get(f"autre-{i}-ordre") or "").strip(),
        )
        for i in range(TOWN_RULES)
    ]
    first_come = bool(form.get("first_come_after"))
    values = WindowForm(text, ticked, orders, town, first_come)
    errors: dict[str, str] = {}
    if not text["activity_id"]:
        errors["activity_id"] = "Choisissez l'activité dont les places sont attribuées."
    if not text["name"]:
        errors["name"] = "Indiquez le nom de la fenêtre d'inscription."
    elif len(text["name"]) > 200:
        errors["name"] = "200 caractères au plus."
    moments: dict[str, datetime] = {}
    for name, label in (("opens_at", "d'ouverture"), ("closes_at", "de fermeture")):
        try:
            moments[name] = parse_moment(text[name], zone)
            # shown again as the datetime-local input takes it (it drops « 01/05/2027 08:00 »)
            values.values[name] = local_input(moments[name], zone)
        except ValueError:
            errors[name] = f"Indiquez la date et l'heure {label} (par exemple 01/05/2027 08:00)."
    if len(moments) == 2 and moments["closes_at"] <= moments["opens_at"]:
        errors["closes_at"] = "La fermeture doit suivre l'ouverture."
    days: dict[str, date] = {}
    for name in ("date_from", "date_to"):
        if not text[name]:
            continue
        try:
            days[name] = parse_day(text[name])
            values.values[name] = days[name].isoformat()
        except ValueError:
            errors[name] = "Indiquez une date au format JJ/MM/AAAA ou laissez vide."
    if len(days) == 2 and days["date_to"] < days["date_from"]:
        errors["date_to"] = "Le dernier jour ne peut pas précéder le premier."
    rules, problem = _rules(ticked, orders, town)
    if problem:
        errors["priority_rules"] = problem
    if errors:
        return values, Submitted(errors=FormErrors(errors))
    body: dict[str, Any] = {
        "activity_id": text["activity_id"],
        "name": text["name"],
        "opens_at": moments["opens_at"].isoformat(),
        "closes_at": moments["closes_at"].isoformat(),
        "priority_rules": rules,
        "first_come_after": first_come,
    }
    for name, day in days.items():
        body[name] = day.isoformat()
    return values, Submitted(body)


def _rules(
    ticked: set[str], orders: Mapping[str, str], town: list[TownRule]
) -> tuple[list[dict[str, str]], str | None]:
    """The rules in their level order, or the first thing wrong with them."""
    chosen: list[tuple[str, str, str]] = [
        (code, label, orders.get(code, "")) for code, label in KNOWN_RULES.items() if code in ticked
    ]
    for rule in town:
        if not (rule.code or rule.label):
            continue
        if not _CODE.match(rule.code):
            return [], (
                f"Le code « {rule.code} » doit commencer par une lettre minuscule, suivie de "
                "lettres minuscules, chiffres ou « _ » (2 à 40 caractères)."
            )
        if rule.code in KNOWN_RULES:
            return [], f"Le code « {rule.code} » est déjà celui d'un critère proposé : cochez-le."
        if not rule.label:
            return [], f"Indiquez l'intitulé du critère « {rule.code} »."
        if len(rule.label) > 200:
            return [], f"L'intitulé du critère « {rule.code} » : 200 caractères au plus."
        chosen.append((rule.code, rule.label, rule.order))
    codes = [c for c, _, _ in chosen]
    if len(set(codes)) != len(codes):
        return [], "Deux critères ont le même code."
    numbers = [o for _, _, o in chosen if o]
    for number in numbers:
        if _order(number) is None:
            return [], f"L'ordre « {number} » n'est pas un nombre entre 1 et 99."
    if len(set(numbers)) != len(numbers):
        return [], "Deux critères ont le même numéro d'ordre : numérotez-les 1, 2, 3…"
    # numbered first (by number), then the unnumbered in the form's order (the sort is stable)
    chosen.sort(key=lambda r: (_order(r[2]) is None, _order(r[2]) or 0))
    return [{"code": code, "label": label} for code, label, _ in chosen], None


def window_changes(body: Mapping[str, Any], window: Mapping[str, Any]) -> dict[str, Any]:
    """What the edit changes (booking's PATCH): the moments compared as instants, the days
    cleared sent as null, the rules compared in order."""
    out: dict[str, Any] = {}
    for key in ("activity_id", "name", "first_come_after"):
        if body.get(key) != window.get(key):
            out[key] = body.get(key)
    for key in ("opens_at", "closes_at"):
        was = window.get(key)
        if not was or datetime.fromisoformat(str(body[key])) != datetime.fromisoformat(str(was)):
            out[key] = body[key]
    for key in ("date_from", "date_to"):
        if body.get(key) != (str(window[key]) if window.get(key) else None):
            out[key] = body.get(key)
    was_rules = [
        {"code": str(r.get("code")), "label": str(r.get("label"))}
        for r in window.get("priority_rules") or []
    ]
    if body["priority_rules"] != was_rules:
        out["priority_rules"] = body["priority_rules"]
    return out


# --- the requests and the draw -----------------------------------------------------------------


def level_label(level: Any, rules: list[Mapping[str, Any]]) -> str:
    """Level n is the n-th rule; the level after the last rule is « the others »."""
    if level is None or level == "":
        return "—"
    n = int(level)
    if 1 <= n <= len(rules):
        return f"{n} – {rules[n - 1].get('label')}"
    return f"{n} – Autres demandes"


def criteria_labels(codes: list[Any], rules: list[Mapping[str, Any]]) -> list[str]:
    labels = {str(r.get("code")): str(r.get("label")) for r in rules}
    return [labels.get(str(c), KNOWN_RULES.get(str(c), str(c))) for c in codes or []]


def day_text(item: Any) -> str:
    """A requested day as the tables say it: its date, and its outcome once drawn."""
    if not isinstance(item, Mapping):
        return french_day(parse_day(str(item)))
    text = french_day(parse_day(str(item.get("date"))))
    outcome = item.get("outcome")
    if outcome == "waiting" and item.get("waiting_position"):
        return f"{text} : en liste d'attente (n° {item['waiting_position']})"
    if outcome:
        return f"{text} : {OUTCOMES.get(str(outcome), str(outcome)).lower()}"
    return text


def draw_counts(draw: Mapping[str, Any]) -> dict[str, int]:
    """booking's draw (DrawOut) summed up: the requests drawn, the child-days booked and put
    on the waiting list ({} when it is not a draw)."""
    entries = draw.get("entries")
    if not isinstance(entries, list):
        return {}
    asks = [a for e in entries if isinstance(e, Mapping) for a in e.get("asks") or []]
    return {
        "entries": len(entries),
        "booked": sum(int(a.get("booked") or 0) for a in asks),
        "waiting": sum(int(a.get("waiting") or 0) for a in asks),
    }


def ask_text(ask: Mapping[str, Any]) -> str:
    """A day an entry of the draw asked (no names are published): « 12/04/2027 : 2 enfants,
    1 place réservée, 1 en liste d'attente »."""
    text = french_day(parse_day(str(ask.get("date"))))
    children, booked, waiting = (int(ask.get(k) or 0) for k in ("children", "booked", "waiting"))
    parts = [f"{children} enfant{'s' if children > 1 else ''}"]
    if booked:
        parts.append(
            f"{booked} place{'s' if booked > 1 else ''} réservée{'s' if booked > 1 else ''}"
        )
    if waiting:
        parts.append(f"{waiting} en liste d'attente")
    return f"{text} : {', '.join(parts)}"


def verified_of(form: Any, declarable: list[str]) -> list[str]:
    """The verification form's ticked criteria, in the window's order."""
    ticked = {str(v) for v in form.getall("verified_criteria", [])} if form else set()
    return [code for code in declarable if code in ticked]


def items_of(body: Any) -> list[dict[str, Any]]:
    """A list booking answers, bare or as {items: [...]}."""
    if isinstance(body, list):
        return [dict(i) for i in body]
    if isinstance(body, Mapping):
        return [dict(i) for i in body.get("items") or []]
    return []
