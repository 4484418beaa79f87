"""The basket as the family reads it: its days by child and activity, in date order, each
marked with what validation will make of it (a late day "sera majorée", a full day goes on
the waiting list); and a validation's outcome kept for the page shown after it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What the calendar's state of a day in the basket tells before validation.
FORECASTS = {
    "late": "Hors délais : l'inscription sera majorée",
    "full": "Complet : votre enfant sera inscrit sur la liste d'attente",
    "waiting_list": "Déjà sur la liste d'attente ce jour-là",
    "booked_cancellable": "Déjà inscrit ce jour-là",
    "booked_locked": "Déjà inscrit ce jour-là",
    "closed": "Ce jour n'est pas réservable : il sera refusé",
    "deadline_passed": "Le délai de réservation de ce jour est dépassé : il sera refusé",
    "not_eligible": "Votre enfant ne peut pas être inscrit ce jour : il sera refusé",
    "pending_validation": "L'inscription attend la validation de la mairie : il sera refusé",
}
OUTCOMES = ("confirmed", "waiting_list", "cancelled", "refused")


@dataclass(frozen=True)
class Line:
    id: str
    date: str
    action: str
    forecast: str | None
    late: bool


@dataclass
class Group:
    """The days of one child in one activity."""

    child_id: str
    child_name: str
    activity_id: str
    activity_name: str
    lines: list[Line] = field(default_factory=list)


def group_lines(
    lines: list[dict[str, Any]],
    child_names: dict[str, str],
    activity_names: dict[str, str],
    states: dict[tuple[str, str, str], str],
) -> list[Group]:
    """The basket's lines by child then activity (names sorted), each in date order, with
    the forecast its calendar state gives (`states`: (child, activity, date) → state)."""
    groups: dict[tuple[str, str], Group] = {}
    for raw in lines:
        child, activity = str(raw["child_id"]), str(raw["activity_id"])
        key = (child, activity)
        if key not in groups:
            groups[key] = Group(
                child,
                child_names.get(child, "Votre enfant"),
                activity,
                activity_names.get(activity, "Activité"),
            )
        day = str(raw["date"])
        state = states.get((child, activity, day))
        action = str(raw.get("action", "add"))
        groups[key].lines.append(
            Line(
                id=str(raw["id"]),
                date=day,
                action=action,
                forecast=FORECASTS.get(state or "") if action == "add" else None,
                late=state == "late" and action == "add",
            )
        )
    ordered = sorted(groups.values(), key=lambda g: (g.child_name, g.activity_name))
    for group in ordered:
        group.lines.sort(key=lambda x: x.date)
    return ordered


def outcome_summary(result: dict[str, Any]) -> dict[str, Any]:
    """A validation's answer reduced to what the outcome page shows (kept in the session
    between the POST and the GET): the counts and each line's outcome, reason, lateness."""
    return {
        "counts": {k: int(result.get(k) or 0) for k in OUTCOMES},
        "lines": sorted(
            (
                {
                    "child_id": str(x["child_id"]),
                    "activity_id": str(x["activity_id"]),
                    "date": str(x["date"]),
                    "action": str(x.get("action", "add")),
                    "outcome": str(x["outcome"]),
                    "detail": x.get("detail"),
                    "late": bool(x.get("late")),
                }
                for x in result.get("lines", [])
            ),
            key=lambda x: (x["date"], x["child_id"], x["activity_id"]),
        ),
    }
