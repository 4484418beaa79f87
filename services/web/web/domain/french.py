"""Dates and amounts as the portal shows them: "lundi 5 octobre 2026", "41,40 €"."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.french import weekday_day_month_year


def _day(value: Any, timezone: str) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if len(value) > 10 else date.fromisoformat(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(ZoneInfo(timezone))
        return value.date()
    return value


def long_date(value: Any, timezone: str = "Europe/Paris") -> str:
    """'lundi 5 octobre 2026', '1er' for the first day; a datetime is taken in the town's
    time zone; '' for nothing."""
    day = _day(value, timezone)
    if day is None:
        return ""
    return weekday_day_month_year(day)


def long_datetime(value: Any, timezone: str = "Europe/Paris") -> str:
    """'lundi 5 octobre 2026 à 14 h 05' in the town's time zone."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return f"{long_date(moment, timezone)} à {moment.hour} h {moment.minute:02d}"


def euros(cents: int | None) -> str:
    """7055 → '70,55 €', 123456 → '1 234,56 €' (no-break spaces: never cut), -1200 →
    '-12,00 €'."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d}\u00a0€"


_ELIDED = frozenset("aeiouyhàâäéèêëîïôöùûüÿæœAEIOUYHÀÂÄÉÈÊËÎÏÔÖÙÛÜŸÆŒ")


def de(name: str) -> str:
    """« de » before a name, elided before a vowel or a mute h: « de Léa », « d'Inès »."""
    return f"d'{name}" if name[:1] in _ELIDED else f"de {name}"
