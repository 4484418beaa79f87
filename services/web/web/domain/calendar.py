"""A child's month as the portal shows it: the grid of weeks (Monday first, with the days of
the months around it), each day of the booking API in one state of the calendar's legend
(guide 003) with its French words and its colour class, and the months around."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.french import MONTHS


@dataclass(frozen=True)
class Legend:
    """One entry of the legend: the API's state, the guide's words, a short mark for the
    cell (the state in text, never colour alone), the CSS class of its colour."""

    state: str
    label: str
    short: str
    css: str
    icon: str = ""  # a symbol beside the short text (decorative: the text says it all)


# Exactly the legend of guide 003, in its order.
LEGEND: tuple[Legend, ...] = (
    Legend(
        "booked_cancellable",
        "Enfant inscrit, possibilité d'annuler au besoin",
        "Inscrit",
        "day-booked",
    ),
    Legend(
        "booked_locked",
        "Enfant inscrit, annulation impossible",
        "Inscrit, bloqué",
        "day-locked",
    ),
    Legend("bookable", "Vous pouvez réserver", "Libre", "day-bookable"),
    Legend(
        "late",
        "Oups ! Hors délais, l'inscription sera majorée",
        "Hors délais, majoré",
        "day-late",
    ),
    Legend("cancelled", "Inscription annulée, pas de majoration", "Annulé", "day-cancelled"),
    Legend("full", "Inscriptions complètes", "Complet", "day-full"),
    Legend(
        "waiting_list",
        "Inscription sur la liste d'attente de l'activité",
        "Attente",
        "day-waiting",
    ),
    Legend(
        "pending_validation",
        "Inscriptions soumise à validation par un agent de la collectivité",
        "À valider",
        "day-pending",
    ),
)
BY_STATE = {entry.state: entry for entry in LEGEND}
# The states of days that are not offered (no activity, booking deadline passed, not
# eligible): outside the guide 003's legend, shown plainly. A day past its booking deadline
# while the activity runs is the "sens interdit" of guide 002: its own words and symbol.
NOT_OFFERED = {
    "closed": Legend("closed", "Pas de réservation possible ce jour", "Fermé", "day-closed"),
    "deadline_passed": Legend(
        "deadline_passed",
        "Délai de réservation dépassé : l'activité a lieu, mais il n'est plus possible de"
        " réserver ce jour",
        "Délai dépassé",
        "day-past-deadline",
        "⛔",
    ),
    "not_eligible": Legend(
        "not_eligible", "Votre enfant ne peut pas être inscrit ce jour", "Non ouvert", "day-closed"
    ),
}
# The fair opening (issue 18), outside guide 003's legend: listed under it only in a month
# that has such a day. A day an opening window not yet allocated covers is the draw's (not
# bookable, the family sends a request instead); a waiting day with a freed place offered.
FAIR = {
    "window_pending": Legend(
        "window_pending",
        "Attribution par tirage au sort : les places de ce jour sont attribuées à la clôture"
        " des demandes, pas dans l'ordre d'arrivée",
        "Tirage au sort",  # short enough for a phone's cell; the legend says it in full
        "day-draw",
    ),
    "offered": Legend(
        "offered",
        "Place proposée : une place s'est libérée, acceptez-la avant la date limite",
        "Place proposée",
        "day-offered",
    ),
}
# Days the family may put in its basket (a full day: on the waiting list).
CHOOSABLE = frozenset({"bookable", "late", "full", "cancelled"})

# Years 1900-2099, as the API reads them (year 0 is no date, 9999-12 has no next month).
_MONTH = re.compile(r"^((?:19|20)\d{2})-(0[1-9]|1[0-2])$")


def legend_of(state: str) -> Legend:
    """The legend entry of an API state; an unknown one (a newer API) reads as closed."""
    return BY_STATE.get(state) or NOT_OFFERED.get(state) or FAIR.get(state) or NOT_OFFERED["closed"]


def fair_legend(days: list[Day]) -> list[Legend]:
    """The fair opening's entries of the legend for the states the month shows, in order."""
    shown = {d.legend.state for d in days if d.legend is not None}
    return [entry for state, entry in FAIR.items() if state in shown]


def parse_month(text: str | None, today: date) -> date:
    """'2027-01' → the 1st of that month; nothing or nonsense → this month."""
    found = _MONTH.match(text or "")
    if found is None:
        return today.replace(day=1)
    return date(int(found[1]), int(found[2]), 1)


def is_month(text: str | None) -> bool:
    return _MONTH.match(text or "") is not None


def month_key(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_name(month: date) -> str:
    """'janvier 2027'."""
    return f"{MONTHS[month.month - 1]} {month.year}"


def previous_month(month: date) -> date:
    return (month.replace(day=1) - timedelta(days=1)).replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_grid(month: date) -> list[list[date]]:
    """The weeks showing a month, Monday first: the leading days of the month before and
    the trailing days of the month after fill the first and last weeks."""
    first = month.replace(day=1)
    start = first - timedelta(days=first.weekday())
    last = next_month(first) - timedelta(days=1)
    end = last + timedelta(days=6 - last.weekday())
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    return [days[i : i + 7] for i in range(0, len(days), 7)]


@dataclass(frozen=True)
class Day:
    """A cell of the calendar: its date, whether it belongs to the month shown, and for a
    day of the month its state in the legend and what the family may do."""

    date: date
    in_month: bool
    legend: Legend | None = None
    booking_id: str | None = None
    late: bool = False
    held: bool = False
    waiting_position: int | None = None

    @property
    def choosable(self) -> bool:
        return self.legend is not None and self.legend.state in CHOOSABLE

    @property
    def cancellable(self) -> bool:
        return (
            self.legend is not None
            and self.legend.state in ("booked_cancellable", "waiting_list")
            and self.booking_id is not None
        )


def calendar_weeks(month: date, api_days: list[dict[str, Any]]) -> list[list[Day]]:
    """The month's grid with each of its days in the state the booking API gives it (a day
    the API does not list is closed)."""
    by_date = {str(d["date"]): d for d in api_days}
    weeks = []
    for week in month_grid(month):
        row = []
        for day in week:
            if day.month != month.month:
                row.append(Day(day, in_month=False))
                continue
            found = by_date.get(day.isoformat(), {})
            row.append(
                Day(
                    day,
                    in_month=True,
                    legend=legend_of(str(found.get("state", "closed"))),
                    booking_id=found.get("booking_id"),
                    late=bool(found.get("late")),
                    held=bool(found.get("held")),
                    waiting_position=found.get("waiting_position"),
                )
            )
        weeks.append(row)
    return weeks


def states_by_date(api_days: list[dict[str, Any]]) -> dict[str, str]:
    """'2027-01-04' → the day's state (the basket marks its late and full days with it)."""
    return {str(d["date"]): str(d.get("state", "closed")) for d in api_days}
