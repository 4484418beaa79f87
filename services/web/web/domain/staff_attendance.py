"""The back-office's enrollments, absences and attendance sheet as staff read them: the
queues oldest first, the activities open on a day per site, the day's roll with each child's
allergies, the marks' and diets' French labels, the kitchen's counts. Plain functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.domain.household import DIETS

# booking's ATTENDANCE marks, as the animator taps them (text, never colour alone).
MARKS: dict[str, str] = {
    "present": "Présent",
    "absent": "Absent",
    "absent_justified": "Absence justifiée",
}
# The diets in the kitchen's order: the usual menu first, the adapted ones after.
DIET_ORDER: tuple[str, ...] = tuple(DIETS)
QUEUE_FIELDS = ("decision", "reason")


def parse_day(text: str | None, default: date) -> date:
    """The day the sheet shows (?jour=YYYY-MM-DD), `default` (today) when absent or wrong."""
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        return default


def oldest_first(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """A queue in the order requests came (`requested_at`, the id breaking ties)."""
    return sorted(items, key=lambda i: (str(i.get("requested_at") or ""), str(i.get("id"))))


def current_and_rest(
    queue: list[dict[str, Any]], chosen: str | None
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The item opened (the chosen one while it is still waiting, else the oldest) and the
    others in their order."""
    if not queue:
        return None, []
    opened = next((i for i in queue if str(i.get("id")) == chosen), queue[0])
    return opened, [i for i in queue if i is not opened]


def _day(value: Any) -> date | None:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def open_on(activity: dict[str, Any], day: date) -> bool:
    """Whether the activity runs on `day` by its own calendar (its period, weekdays, closed
    and extra days); the school holidays and public holidays booking also knows are not
    re-derived here: such a day simply has nobody booked."""
    text = day.isoformat()
    if text in {str(d) for d in activity.get("extra_dates") or []}:
        return True
    start, end = _day(activity.get("period_from")), _day(activity.get("period_to"))
    if start is None or end is None or not start <= day <= end:
        return False
    if text in {str(d) for d in activity.get("closed_dates") or []}:
        return False
    return day.isoweekday() in (activity.get("weekdays") or [])


def sites_of(activities: Iterable[dict[str, Any]]) -> list[str]:
    """The sites, in alphabetical order, without repeats."""
    return sorted({str(a["site"]) for a in activities if a.get("site")}, key=str.casefold)


def activities_on(activities: Iterable[dict[str, Any]], site: str | None, day: date) -> list[dict]:
    """The site's activities running on `day`, by name (every site's when none is chosen)."""
    found = [a for a in activities if (not site or a.get("site") == site) and open_on(a, day)]
    return sorted(found, key=lambda a: (str(a.get("site")), str(a.get("name")).casefold()))


@dataclass(frozen=True)
class RollLine:
    """A child on the day's sheet."""

    child_id: str
    name: str
    grade: str
    diet: str  # the code
    diet_label: str
    allergies: tuple[str, ...]
    care_plan: bool  # a PAI: the animator must know before the meal
    mark: str | None
    mark_label: str
    absence: str  # a declared absence, in words, or ""
    unexpected: bool = False  # came without a booking, added on the day
    health_unknown: bool = False  # the health record could not be read: say so, never "none"

    @property
    def special_diet(self) -> bool:
        return self.diet != "standard"

    @property
    def watch(self) -> bool:
        """Shown prominently: an allergy, a care plan or a diet other than the usual."""
        return bool(self.allergies) or self.care_plan or self.special_diet


def roll_lines(
    roll: dict[str, Any],
    health: dict[str, dict[str, Any] | None],
    unreadable: frozenset[str] = frozenset(),
) -> list[RollLine]:
    """The roll's children by last then first name, each with its allergies and PAI from
    its health record (`health`: child id → record, None when it has none; `unreadable`:
    the children whose record could not be read)."""
    lines = []
    for child in roll.get("children") or []:
        record = health.get(str(child["child_id"])) or {}
        mark = child.get("attendance")
        absence = ""
        if child.get("absence_status") == "accepted":
            absence = "Absence justifiée par la mairie"
        elif child.get("absence_status") == "pending":
            absence = "Absence déclarée par la famille, à justifier"
        lines.append(
            RollLine(
                child_id=str(child["child_id"]),
                name=f"{child.get('first_name', '')} {child.get('last_name', '')}".strip(),
                grade=str(child.get("grade") or ""),
                diet=str(child.get("diet") or "standard"),
                diet_label=DIETS.get(str(child.get("diet")), str(child.get("diet") or "")),
                allergies=tuple(a for a in record.get("allergies") or [] if a),
                care_plan=bool(record.get("pai")),
                mark=mark,
                mark_label=MARKS.get(mark, "Non pointé") if mark else "Non pointé",
                absence=absence,
                unexpected=bool(child.get("unexpected")),
                health_unknown=str(child["child_id"]) in unreadable,
            )
        )
    return sorted(lines, key=lambda line: line.name.split(" ")[-1].casefold() + line.name)


@dataclass(frozen=True)
class Totals:
    booked: int
    present: int
    absent: int
    unmarked: int


def totals(lines: list[RollLine]) -> Totals:
    """The sheet's counts: booked, present, absent (justified or not), not yet marked."""
    present = sum(1 for line in lines if line.mark == "present")
    absent = sum(1 for line in lines if line.mark in ("absent", "absent_justified"))
    return Totals(len(lines), present, absent, len(lines) - present - absent)


def diet_counts(counts: dict[str, int]) -> list[tuple[str, int]]:
    """A diet → count mapping as the kitchen reads it: known diets in their order (those
    with nobody left out), then any other code as it came."""
    known = [(DIETS[d], counts[d]) for d in DIET_ORDER if counts.get(d)]
    others = [(code, n) for code, n in sorted(counts.items()) if code not in DIETS and n]
    return known + others


@dataclass(frozen=True)
class KitchenSite:
    site: str
    meals: int
    expected: int
    diets: list[tuple[str, int, int]]  # label, booked, expected


def kitchen(meals: dict[str, Any], day: date) -> list[KitchenSite]:
    """booking's /meals for one day, per site: meals booked and expected (without the
    children known absent), by diet."""
    found = []
    for row in (meals or {}).get("days") or []:
        if str(row.get("date")) != day.isoformat():
            continue
        booked = row.get("diets") or {}
        expected = row.get("expected_diets") or {}
        codes = [d for d in DIET_ORDER if booked.get(d) or expected.get(d)]
        codes += sorted(c for c in {*booked, *expected} if c not in DIETS)
        found.append(
            KitchenSite(
                site=str(row.get("site") or ""),
                meals=int(row.get("meals") or 0),
                expected=int(row.get("expected") or 0),
                diets=[
                    (DIETS.get(c, c), int(booked.get(c) or 0), int(expected.get(c) or 0))
                    for c in codes
                ],
            )
        )
    return sorted(found, key=lambda k: k.site.casefold())


def marks_body(form: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The tap's form (enfant, statut) as booking's AttendanceIn; (None, French reason)
    for a form that is not one."""
    child_id = str(form.get("enfant") or "").strip()
    status = str(form.get("statut") or "")
    if not child_id:
        return None, "Choisissez l'enfant à pointer."
    if status not in MARKS:
        return None, "Choisissez présent ou absent."
    return {"marks": [{"child_id": child_id, "status": status}]}, None


def decision_body(form: Any) -> dict[str, Any]:
    """A staff decision's form (decision, reason) as booking's DecisionIn or
    AbsenceDecisionIn; what the form holds is passed as is, the API refusing a wrong one
    with its French message (shown next to the field)."""
    decision = str(form.get("decision") or "")
    reason = str(form.get("reason") or "").strip()
    body: dict[str, Any] = {"decision": decision}
    if reason:
        body["reason"] = reason
    return body


# Why a child was not added present without a booking (booking's answer → the code that
# travels in the redirect → the sentence shown in the form).
UNEXPECTED_REFUSALS = {
    "deja-inscrit": "Cet enfant est déjà inscrit ce jour-là : pointez-le sur la feuille.",
    "inconnu": "Cet enfant n'est pas connu du service : vérifiez le nom ou appelez la mairie.",
    "trop-tot": "Ce jour n'a pas encore commencé : l'ajout se fait le jour même.",
    "erreur": "L'enfant n'a pas été ajouté ; merci de réessayer.",
}


@dataclass(frozen=True)
class Match:
    """A child found by the search of the sheet's « sans réservation » form."""

    child_id: str
    name: str
    details: str  # birth date, grade, school: enough to tell two namesakes apart
    on_sheet: bool  # already on the day's sheet: marked there, not added


def _birth(value: Any) -> str:
    born = _day(value)
    return f"né(e) le {born.day:02d}/{born.month:02d}/{born.year}" if born else ""


def matches(found: dict[str, Any], lines: Iterable[RollLine]) -> list[Match]:
    """booking's children search, in its order, each said as staff read it."""
    on_sheet = {line.child_id for line in lines}
    result = []
    for child in (found or {}).get("items") or []:
        parts = [_birth(child.get("birth_date")), child.get("grade"), child.get("school")]
        result.append(
            Match(
                child_id=str(child["id"]),
                name=f"{child.get('first_name', '')} {child.get('last_name', '')}".strip(),
                details=" · ".join(str(p) for p in parts if p),
                on_sheet=str(child["id"]) in on_sheet,
            )
        )
    return result
