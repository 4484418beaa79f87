"""Calendar days written the French way, one rule for every service: « 1er septembre 2026 »,
« lundi 5 octobre 2026 ». (Each service adds its own formats beside it: amounts, periods.)"""

from __future__ import annotations

from datetime import date

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def day_month_year(day: date) -> str:
    """« 1er septembre 2026 », « 15 octobre 2026 »."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS[day.month - 1]} {day.year}"


def weekday_day_month_year(day: date) -> str:
    """« lundi 5 octobre 2026 »."""
    return f"{DAYS[day.weekday()]} {day_month_year(day)}"
