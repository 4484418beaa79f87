"""The booking form read into one request of the booking API's basket lines: a day, a week,
a range "du … au …", or a rhythm (some weekdays, every week or one week in two or three).

The booking service expands a range or a rhythm itself, on the activity's opening days only
(holidays and closures inside it are skipped), so the portal never guesses the opening days:
it checks the form and says, in French and by field, what is missing or wrong."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

MODES = ("jour", "semaine", "periode", "rythme")
# Every day of the week: some activities run on Saturdays or in the holidays' weekends.
WEEKDAYS = (
    (1, "lundi"),
    (2, "mardi"),
    (3, "mercredi"),
    (4, "jeudi"),
    (5, "vendredi"),
    (6, "samedi"),
    (7, "dimanche"),
)
FREQUENCIES = (
    (1, "Toutes les semaines"),
    (2, "Une semaine sur deux"),
    (3, "Une semaine sur trois"),
)
FIELDS = ("mode", "date", "du", "au", "jours", "frequence")
LONGEST_RANGE = timedelta(days=366)
_FRENCH = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Request:
    """What to add (the body of a basket line for the API) or why not (message by field)."""

    line: dict[str, Any] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _date(text: str | None) -> date | None:
    """'04/01/2027' as families write it (also '4/1/2027', '04-01-2027'), or ISO
    '2027-01-04' (the calendar's checkboxes, a browser's date field)."""
    value = (text or "").strip()
    found = _FRENCH.match(value)
    try:
        if found:
            return date(int(found[3]), int(found[2]), int(found[1]))
        return date.fromisoformat(value) if _ISO.match(value) else None
    except ValueError:
        return None


def week_of(day: date) -> tuple[date, date]:
    """The Monday and the Sunday of the week of `day`."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def chosen_days(values: Sequence[str]) -> tuple[list[date], list[str]]:
    """Days ticked on the calendar ('2027-01-04'), sorted, each once; and the values that
    are not dates (a tampered form)."""
    days, wrong = set(), []
    for value in values:
        found = _date(value)
        if found is None:
            wrong.append(value)
        else:
            days.add(found)
    return sorted(days), wrong


def read_request(
    form: Mapping[str, str],
    weekdays: Sequence[str],
    *,
    child_id: str,
    activity_id: str,
    today: date,
) -> Request:
    """The rhythm form → a basket line (dates, or from/to with weekdays and one week in N).
    `weekdays` are the ticked 'jours' (1 = lundi .. 7 = dimanche)."""
    mode = form.get("mode", "")
    errors: dict[str, str] = {}
    line: dict[str, Any] = {"child_id": child_id, "activity_id": activity_id}
    if mode not in MODES:
        return Request(
            errors={
                "mode": "Choisissez comment réserver : un jour, une semaine, "
                "une période ou un rythme."
            }
        )
    if mode in ("jour", "semaine"):
        day = _date(form.get("date"))
        if day is None:
            errors["date"] = "Indiquez une date valide, par exemple 04/01/2027."
        elif day < today:
            errors["date"] = "Cette date est passée : choisissez aujourd'hui ou plus tard."
        elif mode == "jour":
            line["dates"] = [day.isoformat()]
        else:
            monday, sunday = week_of(day)
            line["from"], line["to"] = max(monday, today).isoformat(), sunday.isoformat()
        return Request(errors=errors) if errors else Request(line=line)
    start, end = _date(form.get("du")), _date(form.get("au"))
    if start is None:
        errors["du"] = "Indiquez la date de début, par exemple 04/01/2027."
    elif start < today:
        errors["du"] = "La date de début est passée : choisissez aujourd'hui ou plus tard."
    if end is None:
        errors["au"] = "Indiquez la date de fin, par exemple 29/01/2027."
    elif start is not None and end < start:
        errors["au"] = "La date de fin précède la date de début."
    elif start is not None and end - start > LONGEST_RANGE:
        errors["au"] = "Une période d'un an au plus."
    if mode == "rythme":
        days: set[int] = set()
        for value in weekdays:
            if value.isdigit() and 1 <= int(value) <= 7:
                days.add(int(value))
        if not days:
            errors["jours"] = "Cochez au moins un jour de la semaine."
        else:
            line["weekdays"] = sorted(days)
        every = form.get("frequence", "1")
        if every not in {str(n) for n, _ in FREQUENCIES}:
            errors["frequence"] = "Choisissez la fréquence du rythme."
        else:
            line["every_n_weeks"] = int(every)
    if errors:
        return Request(errors=errors)
    assert start is not None and end is not None
    line["from"], line["to"] = start.isoformat(), end.isoformat()
    return Request(line=line)


def api_field(name: str) -> str:
    """The form's field an API error names (booking's LineIn: from, to, dates, weekdays;
    inside a new basket's body: lines.0.from)."""
    name = next((part for part in reversed(name.split(".")) if not part.isdigit()), name)
    return {
        "from": "du",
        "to": "au",
        "dates": "date",
        "weekdays": "jours",
        "every_n_weeks": "frequence",
    }.get(name, name)
