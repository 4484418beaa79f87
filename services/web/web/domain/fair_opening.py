"""The fair opening of bookings as families see it (booking's opening windows and waiting-list
offers): a window's state and priority levels in words, the family's request read from the
form and booking's refusals put back next to its fields, the outcome after the draw, the
draw checked against its published seed, the offers sorted and their answers in words.
Plain functions, no I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.french import day_month_year, weekday_day_month_year
from web.domain.enrollments import Submitted
from web.domain.problems import GENERIC, FormErrors

# booking's window.status, in words (never a colour alone).
WINDOW_STATUSES: dict[str, str] = {
    "scheduled": "À venir",
    "open": "Demandes ouvertes",
    "closed": "Demandes closes, tirage à venir",
    "allocated": "Tirage effectué",
}
# Computed by the town from its own records: a family does not declare it.
COMPUTED_CRITERIA = frozenset({"sibling_enrolled"})
OTHERS = "Autres familles"
# The form's fields (ids and names), also the anchors of the error summary.
CHILDREN_FIELD = "enfants"
CRITERIA_FIELD = "criteres"
TOGETHER_FIELD = "memes-jours"
_CHILD_FIELD = re.compile(r"^children(?:\.|\[)(\d+)\]?(?:\.|$)")

OFFER_STATUSES: dict[str, str] = {
    "open": "Place proposée",
    "accepted": "Place acceptée",
    "declined": "Place refusée",
    "expired": "Délai dépassé",
    "void": "Proposition annulée",
}


def items(body: Any) -> list[dict[str, Any]]:
    """A list answer, bare or as {"items": [...]} (booking's lists come in both shapes)."""
    if isinstance(body, list):
        return [i for i in body if isinstance(i, dict)]
    if isinstance(body, dict) and isinstance(body.get("items"), list):
        return [i for i in body["items"] if isinstance(i, dict)]
    return []


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _moment(value: Any, timezone: str) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.astimezone(ZoneInfo(timezone)) if moment.tzinfo else moment


def paris_datetime(value: Any, timezone: str = "Europe/Paris") -> str:
    """'lundi 5 octobre 2026 à 8 h 00' in the town's time; '' for nothing."""
    if value in (None, ""):
        return ""
    moment = _moment(value, timezone)
    return f"{weekday_day_month_year(moment.date())} à {moment.hour} h {moment.minute:02d}"


def status_label(window: Mapping[str, Any]) -> str:
    status = str(window.get("status", ""))
    return WINDOW_STATUSES.get(status, status)


def period_text(window: Mapping[str, Any]) -> str:
    """The days the window gives places for: 'du 6 juillet 2027 au 31 juillet 2027'."""
    start, end = window.get("date_from"), window.get("date_to")
    days = [_day(d) for d in window.get("days") or []]
    start = _day(start) if start else (min(days) if days else None)
    end = _day(end) if end else (max(days) if days else None)
    if start is None or end is None:
        return ""
    if start == end:
        return f"le {day_month_year(start)}"
    return f"du {day_month_year(start)} au {day_month_year(end)}"


def requests_text(window: Mapping[str, Any], timezone: str = "Europe/Paris") -> str:
    """When families may ask, said for the window's status."""
    opens = paris_datetime(window.get("opens_at"), timezone)
    closes = paris_datetime(window.get("closes_at"), timezone)
    status = window.get("status")
    if status == "scheduled":
        return f"Demandes du {opens} au {closes}"
    if status == "open":
        return f"Demandes ouvertes jusqu'au {closes}"
    return f"Demandes closes depuis le {closes}"


@dataclass(frozen=True)
class Level:
    number: int
    label: str


def levels(rules: Iterable[Mapping[str, Any]]) -> list[Level]:
    """The priority levels in order: one per published rule (level 1 first), then the
    families that meet none of them."""
    found = [Level(n, str(r.get("label") or r.get("code"))) for n, r in enumerate(rules, 1)]
    return [*found, Level(len(found) + 1, OTHERS)]


def declarable(rules: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The rules a family ticks itself (not those the town computes)."""
    return [
        {"code": str(r["code"]), "label": str(r.get("label") or r["code"])}
        for r in rules
        if r.get("code") and r["code"] not in COMPUTED_CRITERIA
    ]


def day_id(child_id: str, day: Any) -> str:
    return f"jour-{child_id}-{_day(day).isoformat()}"


def child_field(child_id: str) -> str:
    return f"jours-{child_id}"


@dataclass
class Values:
    """What the form shows ticked: each child's days, the siblings box, the criteria."""

    days: dict[str, set[str]] = field(default_factory=dict)
    together: bool = False
    criteria: set[str] = field(default_factory=set)


def values_of_request(mine: Mapping[str, Any] | None) -> Values:
    """The family's request as booking keeps it, ticked again in the form."""
    if not mine:
        return Values()
    days: dict[str, set[str]] = {}
    for child in mine.get("children") or []:
        found = {
            str(d["date"] if isinstance(d, Mapping) else d)[:10] for d in child.get("dates") or []
        }
        days[str(child["child_id"])] = found
    return Values(days, bool(mine.get("siblings_together")), set(mine.get("criteria") or []))


def values_of_form(form: Any, child_ids: Iterable[str]) -> Values:
    """The form as sent (a multidict: getall for the checkboxes), to show it again."""
    return Values(
        {c: {str(v) for v in form.getall(child_field(c), [])} for c in child_ids},
        form.get(TOGETHER_FIELD) == "oui",
        {str(v) for v in form.getall(CRITERIA_FIELD, [])},
    )


def request_body(form: Any, child_ids: list[str], window: Mapping[str, Any]) -> Submitted:
    """PUT /windows/{id}/requests/mine's body from the form: the children with at least one
    ticked day (in the window's order), the siblings box, the declared criteria. Days the
    window does not give and criteria it does not publish are refused here, by field."""
    offered = [_day(d).isoformat() for d in window.get("days") or []]
    known = {r["code"] for r in declarable(window.get("priority_rules") or [])}
    errors: dict[str, str] = {}
    children = []
    for child_id in child_ids:
        ticked = {str(v) for v in form.getall(child_field(child_id), [])}
        if ticked - set(offered):
            errors[child_field(child_id)] = "Choisissez parmi les jours proposés."
        elif ticked:
            children.append({"child_id": child_id, "dates": [d for d in offered if d in ticked]})
    if not children and not errors:
        errors[CHILDREN_FIELD] = "Cochez au moins un jour pour l'un de vos enfants."
    criteria = [str(v) for v in form.getall(CRITERIA_FIELD, [])]
    if set(criteria) - known:
        errors[CRITERIA_FIELD] = "Choisissez parmi les critères proposés."
    if errors:
        return Submitted(errors=FormErrors(errors))
    body = {
        "children": children,
        "siblings_together": form.get(TOGETHER_FIELD) == "oui",
        "criteria": list(dict.fromkeys(criteria)),
    }
    return Submitted(body)


def request_errors(problem: Mapping[str, Any] | None, body: Mapping[str, Any]) -> FormErrors:
    """booking's refusal of the request, each error next to the form's field it names:
    `children.<i>...` the i-th child sent, `criteria...` the criteria, `siblings_together`
    the siblings box; the detail (and anything else) for the form as a whole."""
    if not problem:
        return FormErrors(general=GENERIC)
    sent = [str(c.get("child_id")) for c in body.get("children") or []]
    found: dict[str, str] = {}
    others: list[str] = []
    for error in problem.get("errors") or []:
        name = str(error.get("field", ""))
        detail = str(error.get("detail") or "")
        target = None
        if matched := _CHILD_FIELD.match(name):
            index = int(matched[1])
            target = child_field(sent[index]) if index < len(sent) else CHILDREN_FIELD
        elif name == "children":
            target = CHILDREN_FIELD
        elif name.split(".")[0] == "criteria":
            target = CRITERIA_FIELD
        elif name == "siblings_together":
            target = TOGETHER_FIELD
        if target and detail:
            found.setdefault(target, detail)
        elif detail:
            others.append(detail)
    general = None
    if not found or others:
        general = " ".join([str(problem.get("detail") or GENERIC), *others]).strip()
    return FormErrors(found, general)


# --- after the draw ------------------------------------------------------------------------


def rank_text(mine: Mapping[str, Any]) -> str:
    """'3 sur 42': the request's place in the whole allocation."""
    rank, entries = mine.get("rank"), mine.get("entries")
    if rank is None:
        return ""
    return f"{rank} sur {entries}" if entries else str(rank)


def day_outcome(day: Mapping[str, Any]) -> str:
    outcome = day.get("outcome")
    if outcome == "booked":
        return "Place obtenue"
    if outcome == "waiting":
        position = day.get("waiting_position")
        return f"Liste d'attente, position {position}" if position else "Liste d'attente"
    return "Pas encore attribué"


# --- the draw, checked against its published seed -------------------------------------------


def seed_hash(seed: str) -> str:
    """booking's commitment: the SHA-256 (hex) of the seed's text, published at creation."""
    return hashlib.sha256(seed.encode()).hexdigest()


def lottery_key(seed: str, request_id: str) -> str:
    """A request's ticket: SHA-256 (hex) of '<seed>:<request id>'."""
    return hashlib.sha256(f"{seed}:{request_id}".encode()).hexdigest()


@dataclass(frozen=True)
class DrawCheck:
    """What anyone can recompute from the published draw: the seed matches its hash, each
    ticket is the seed's, and the ranks follow (level, ticket)."""

    hash_ok: bool
    keys_ok: bool
    order_ok: bool

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.keys_ok and self.order_ok


def check_draw(draw: Mapping[str, Any]) -> DrawCheck | None:
    """None while the seed is still secret."""
    seed = draw.get("seed")
    if not seed:
        return None
    entries = list(draw.get("entries") or [])
    keys_ok = all(
        e.get("lottery_key") == lottery_key(str(seed), str(e.get("request_id"))) for e in entries
    )
    by_rank = sorted(entries, key=lambda e: int(e.get("rank") or 0))
    expected = sorted(entries, key=lambda e: (int(e.get("level") or 0), str(e["lottery_key"])))
    order_ok = [e.get("request_id") for e in by_rank] == [
        e.get("request_id") for e in expected
    ] and [int(e.get("rank") or 0) for e in by_rank] == list(range(1, len(entries) + 1))
    return DrawCheck(seed_hash(str(seed)) == draw.get("seed_hash"), keys_ok, order_ok)


def children_count(value: Any) -> int:
    """An entry's children: booking gives a count (or the list)."""
    if isinstance(value, list | tuple):
        return len(value)
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def ask_text(ask: Mapping[str, Any]) -> str:
    """A day an entry of the draw asked, as booking publishes it (counts, no names): « lundi
    6 juillet 2027 : 2 enfants, 1 place obtenue, 1 en liste d'attente »."""
    children, booked, waiting = (int(ask.get(k) or 0) for k in ("children", "booked", "waiting"))
    parts = [f"{children} enfant{'s' if children > 1 else ''}"]
    if booked:
        parts.append(
            f"{booked} place{'s' if booked > 1 else ''} obtenue{'s' if booked > 1 else ''}"
        )
    if waiting:
        parts.append(f"{waiting} en liste d'attente")
    return f"{weekday_day_month_year(_day(ask.get('date')))} : {', '.join(parts)}"


# --- waiting-list offers ---------------------------------------------------------------------


def offer_status(offer: Mapping[str, Any]) -> str:
    status = str(offer.get("status", ""))
    return OFFER_STATUSES.get(status, status)


def split_offers(
    offers: Iterable[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The open offers (soonest deadline first), then the others (latest first)."""
    listed = [dict(o) for o in offers]
    opened = sorted(
        (o for o in listed if o.get("status") == "open"), key=lambda o: str(o.get("expires_at"))
    )
    past = sorted(
        (o for o in listed if o.get("status") != "open"),
        key=lambda o: str(o.get("answered_at") or o.get("offered_at") or ""),
        reverse=True,
    )
    return opened, past


def open_offers_notice(offers: Iterable[Mapping[str, Any]], timezone: str) -> str | None:
    """The reservations page's notice while a place waits for the family's answer."""
    opened, _ = split_offers(offers)
    if not opened:
        return None
    first = opened[0]
    deadline = paris_datetime(first.get("expires_at"), timezone)
    if len(opened) == 1:
        return (
            f"Une place vous est proposée pour {first.get('child_first_name', 'votre enfant')} "
            f"({first.get('activity_name', '')}) : répondez avant le {deadline}."
        )
    return f"{len(opened)} places vous sont proposées : la première expire le {deadline}."


@dataclass(frozen=True)
class LinkOutcome:
    """The one-click link's answer: a title, a message and the page's HTTP status."""

    title: str
    message: str
    status: int


# booking's refusals of an accept link, in the family's words (booking's detail added).
LINK_REFUSALS: dict[int, tuple[str, str]] = {
    403: ("Réservation en ligne fermée", "Cette place ne peut pas être acceptée en ligne."),
    409: ("Lien déjà utilisé", "Cette proposition a déjà reçu une réponse."),
    410: ("Délai dépassé", "Le délai pour accepter cette place est dépassé."),
    404: ("Lien invalide", "Ce lien n'est pas valide : vérifiez qu'il est complet."),
}


def link_outcome(status: int, body: Any) -> LinkOutcome:
    """POST /offers/accept-by-link's answer as the page says it."""
    found = body if isinstance(body, Mapping) else {}
    if 200 <= status < 300:
        day = found.get("date")
        when = weekday_day_month_year(_day(day)) if day else ""
        return LinkOutcome(
            "Place confirmée",
            f"Place confirmée pour le {when} ({found.get('activity_name', '')}).",
            200,
        )
    title, message = LINK_REFUSALS.get(status, LINK_REFUSALS[404])
    if str(found.get("type", "")).endswith("/offer-not-enrolled"):
        title, message = "Inscription requise", ""
    detail = str(found.get("detail") or "").strip()
    if detail and detail != message:
        message = f"{message} {detail}".strip()
    return LinkOutcome(title, message, status if status in LINK_REFUSALS else 404)
