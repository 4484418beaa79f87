"""Money is integer cents. A fractional amount is rounded half up to the cent once, where it
is printed (a unit price, a line); totals are sums of rounded lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: Decimal | int) -> int:
    """Cents, rounded half away from zero (the rounding a French invoice shows)."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_amount(unit_cents: int, quantity: Decimal | int) -> int:
    """A line's amount: its unit price times its quantity, rounded once (17 × 4,15 € = 70,55 €)."""
    return round_half_up(Decimal(unit_cents) * Decimal(quantity))


def euros(cents: int) -> str:
    """French display: 7055 → "70,55 €", -1200 → "-12,00 €"."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{rest:02d} €"
