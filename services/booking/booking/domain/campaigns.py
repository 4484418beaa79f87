"""Enrollment campaigns and renewals (issue 16): a school year's window in which families
enroll their children in the campaign's activities, the state of that window on a Paris date,
the grade a child moves up to, and which new activity continues a previous one."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from booking.domain.errors import CampaignNotOpen
from shared.french import MONTHS, day_month_year

UPCOMING, OPEN, CLOSED, ARCHIVED = "upcoming", "open", "closed", "archived"
STATES = (UPCOMING, OPEN, CLOSED, ARCHIVED)

SCHOOL_YEAR = re.compile(r"^(\d{4})-(\d{4})$")

# French school grades in order, from the first year of nursery school to the first of
# collège: a renewal proposes the next one.
GRADES = ("TPS", "PS", "MS", "GS", "CP", "CE1", "CE2", "CM1", "CM2", "6e")

# The year-like parts of an activity's name ("2026-2027", "2026/27", "2026"), removed to
# recognise the same activity from one year to the next.
_YEARS = re.compile(r"\b\d{4}\s*[-/–]\s*\d{2,4}\b|\b(19|20)\d{2}\b")
_LOOSE_ENDS = re.compile(r"^[\s\-–—/,:()]+|[\s\-–—/,:(]+$")
_SPACES = re.compile(r"\s+")


def valid_school_year(text: str) -> bool:
    """'2027-2028': two consecutive years."""
    match = SCHOOL_YEAR.match(text)
    return bool(match) and int(match.group(2)) == int(match.group(1)) + 1


def state_on(opens_on: date, closes_on: date, archived: bool, today: date) -> str:
    """The campaign's state on a Paris calendar day (both ends of the window included)."""
    if archived:
        return ARCHIVED
    if today < opens_on:
        return UPCOMING
    if today > closes_on:
        return CLOSED
    return OPEN


def window(opens_on: date, closes_on: date) -> str:
    """« du 1er juin au 15 juillet 2027 » (the first year said only when it differs)."""
    if opens_on.year == closes_on.year:
        number = "1er" if opens_on.day == 1 else str(opens_on.day)
        start = f"{number} {MONTHS[opens_on.month - 1]}"
    else:
        start = day_month_year(opens_on)
    return f"du {start} au {day_month_year(closes_on)}"


def not_open_detail(name: str, opens_on: date, closes_on: date, state: str) -> str:
    """Why a family may not enroll now, with the window (French)."""
    if state == UPCOMING:
        return f"Les inscriptions pour « {name} » sont ouvertes {window(opens_on, closes_on)}."
    return (
        f"Les inscriptions pour « {name} » étaient ouvertes {window(opens_on, closes_on)} :"
        " elles sont closes. Adressez-vous à la mairie."
    )


def campaign_state(campaign: Mapping[str, Any], today: date) -> str:
    """The state of a stored campaign (its row) on a Paris calendar day."""
    return state_on(
        campaign["opens_on"],
        campaign["closes_on"],
        campaign["archived_at"] is not None,
        today,
    )


def require_open(campaign: Mapping[str, Any], today: date) -> None:
    """Refuse a family's enrollment outside the campaign's window (staff are not asked)."""
    state = campaign_state(campaign, today)
    if state != OPEN:
        raise CampaignNotOpen(
            not_open_detail(
                str(campaign["name"]),
                campaign["opens_on"],
                campaign["closes_on"],
                state,
            ),
            campaign_id=str(campaign["id"]),
            opens_on=campaign["opens_on"].isoformat(),
            closes_on=campaign["closes_on"].isoformat(),
        )


# The household file's grade is free text: the spellings families and agents write for the
# grades of GRADES ("ce2", "CE 2", "Grande section", "6ème"), once casefolded and unspaced.
_SPELLINGS = {
    "toutepetitesection": "TPS",
    "petitesection": "PS",
    "moyennesection": "MS",
    "grandesection": "GS",
    "6eme": "6e",
    "6ème": "6e",
    "sixième": "6e",
    "sixieme": "6e",
}
_CANONICAL = {g.casefold(): g for g in GRADES} | _SPELLINGS
_NOT_LETTERS = re.compile(r"[\s\-.]+")


def known_grade(grade: str | None) -> str | None:
    """The grade of GRADES a household file's text names ("ce2" → "CE2"), else None."""
    if grade is None:
        return None
    return _CANONICAL.get(_NOT_LETTERS.sub("", grade.casefold()))


def next_grade(grade: str | None) -> str | None:
    """The grade after `grade` (CM2 → 6e, "ce2" → CM1); None for a missing or unknown grade,
    or after 6e."""
    known = known_grade(grade)
    if known is None:
        return None
    index = GRADES.index(known)
    return GRADES[index + 1] if index + 1 < len(GRADES) else None


def base_name(name: str) -> str:
    """An activity's name without its year-like parts, for comparing years:
    'Périscolaire 2026-2027 — École du Centre' → 'périscolaire — école du centre'."""
    stripped = re.sub(r"[(\[]\s*[)\]]", " ", _YEARS.sub(" ", name))
    stripped = _SPACES.sub(" ", stripped).strip()
    stripped = re.sub(r"\s+([,:)])", r"\1", stripped)
    stripped = re.sub(r"([\-–—])\s*([\-–—])", r"\1", stripped)
    return _LOOSE_ENDS.sub("", stripped).casefold()


@dataclass(frozen=True)
class CatalogueEntry:
    """What the mapping of activities from one campaign to the next looks at."""

    id: uuid.UUID
    name: str
    type: str
    site: str


@dataclass(frozen=True)
class ActivityMapping:
    """Each previous activity's continuation in the new campaign, and those without one."""

    to: dict[uuid.UUID, uuid.UUID]
    unmapped: list[CatalogueEntry]


def map_activities(
    previous: Sequence[CatalogueEntry],
    new: Sequence[CatalogueEntry],
    explicit: Mapping[uuid.UUID, uuid.UUID] | None = None,
) -> ActivityMapping:
    """The explicit mapping first; else the one new activity of the same type and site whose
    name is the same once the years are removed (none, or several alike: unmapped)."""
    explicit = explicit or {}
    by_key: dict[tuple[str, str, str], list[CatalogueEntry]] = {}
    for entry in new:
        by_key.setdefault(_key(entry), []).append(entry)
    to: dict[uuid.UUID, uuid.UUID] = {}
    unmapped: list[CatalogueEntry] = []
    for entry in previous:
        if entry.id in explicit:
            to[entry.id] = explicit[entry.id]
            continue
        candidates = by_key.get(_key(entry), [])
        if len(candidates) == 1:
            to[entry.id] = candidates[0].id
        else:
            unmapped.append(entry)
    return ActivityMapping(to, unmapped)


def _key(entry: CatalogueEntry) -> tuple[str, str, str]:
    return (entry.type, entry.site.casefold().strip(), base_name(entry.name))


def entries(rows: Iterable[Mapping[str, Any]]) -> list[CatalogueEntry]:
    return [CatalogueEntry(r["id"], r["name"], r["type"], r["site"]) for r in rows]
