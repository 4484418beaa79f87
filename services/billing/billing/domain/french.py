"""Dates and quantities written the French way, as documents print them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from shared.french import day_month_year


def french_date(value: date | None) -> str:
    """'1er septembre 2026', '15 octobre 2026'."""
    return "" if value is None else day_month_year(value)


def short_date(value: date | None) -> str:
    """'01/09/2026'."""
    return "" if value is None else f"{value:%d/%m/%Y}"


def period_text(start: date | None, end: date | None) -> str:
    """'le 03/09/2026', 'du 03/09/2026 au 08/09/2026'."""
    if start is None or end is None:
        return ""
    if start == end:
        return f"le {short_date(start)}"
    return f"du {short_date(start)} au {short_date(end)}"


def decimal_text(value: object) -> str:
    """2.50 → '2,5'; 3.00 → '3' (quantities as a French reader writes them)."""
    number = Decimal(str(value)).normalize()
    return format(number, "f").replace(".", ",")
