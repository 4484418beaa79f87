"""Dates, amounts and lists written the French way, as emails and notifications show them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from shared.french import day_month_year, weekday_day_month_year


def parse_moment(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def french_datetime(value: Any, timezone: str = "Europe/Paris") -> str:
    """'mardi 25 novembre 2025 à 14 h 30' in the town's time zone."""
    moment = parse_moment(value)
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(timezone))
    return f"{weekday_day_month_year(moment.date())} à {moment.hour} h {moment.minute:02d}"


def french_date(value: Any) -> str:
    """'31 août 2026' (a date, or the day of an ISO date or datetime)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return day_month_year(value)


def french_day(value: Any) -> str:
    """'lundi 5 janvier 2026': a calendar day (booking's days are already the town's days,
    Europe/Paris; an ISO datetime is taken at its own date)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return weekday_day_month_year(value)


def join_fr(values: Any) -> str:
    """['Léa', 'Hugo', 'Inès'] → 'Léa, Hugo et Inès'."""
    items = [str(value) for value in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def euros(cents: int) -> str:
    """An amount in cents as French invoices print it: 7055 → '70,55 €', 123456 →
    '1 234,56 €' (thin no-break space between thousands), -1200 → '-12,00 €'."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d} €"
