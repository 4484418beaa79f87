"""Invoice lines: the priced days (charges) of a document grouped into lines, one per child,
activity, unit price and bracket; each line is rounded once, the total is the sum of the lines.

A credit note credits days of issued lines. Its amounts are rounded cumulatively per
original line (what the line's credited quantity is worth, minus what was already credited),
so that the credits of a line never add up to more than the line, whatever the quantities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from billing.domain.money import line_amount
from billing.domain.pricing import UNIT_LABELS


@dataclass(frozen=True)
class Charge:
    """One booked day, priced: what a family owes for it."""

    booking_id: UUID
    child_id: UUID
    child_name: str
    activity_id: UUID
    activity_name: str
    day: date
    late: bool
    unit: str
    unit_cents: int
    quantity: Decimal
    bracket: str
    qf: int | None = None
    rank: int = 1


@dataclass
class Line:
    child_id: UUID
    child_name: str
    activity_id: UUID
    activity_name: str
    unit: str
    unit_cents: int
    bracket: str
    late: bool
    quantity: Decimal = Decimal(0)
    amount_cents: int = 0
    days: list[date] = field(default_factory=list)
    booking_ids: list[UUID] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.activity_name} — {self.child_name}"

    @property
    def period_from(self) -> date:
        return min(self.days)

    @property
    def period_to(self) -> date:
        return max(self.days)

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS.get(self.unit, self.unit)


def group_lines(charges: Iterable[Charge]) -> list[Line]:
    """Lines in a stable order (child, activity, first day); amounts rounded per line."""
    lines: dict[tuple[object, ...], Line] = {}
    for charge in sorted(charges, key=lambda c: (c.day, str(c.booking_id))):
        key = (
            charge.child_id,
            charge.activity_id,
            charge.unit,
            charge.unit_cents,
            charge.bracket,  # names the surcharge of late days, when there is one
        )
        line = lines.get(key)
        if line is None:
            line = lines[key] = Line(
                charge.child_id,
                charge.child_name,
                charge.activity_id,
                charge.activity_name,
                charge.unit,
                charge.unit_cents,
                charge.bracket,
                charge.late,
            )
        line.late = line.late or charge.late
        line.quantity += charge.quantity
        line.days.append(charge.day)
        line.booking_ids.append(charge.booking_id)
    out = sorted(
        lines.values(),
        key=lambda x: (x.child_name, str(x.child_id), x.activity_name, x.period_from, x.late),
    )
    for line in out:
        line.amount_cents = line_amount(line.unit_cents, line.quantity)
    return out


def total(lines: Iterable[Line]) -> int:
    return sum(line.amount_cents for line in lines)


def credit_amount(unit_cents: int, credited_before: Decimal, quantity: Decimal) -> int:
    """What crediting `quantity` more units of a line is worth when `credited_before` units
    of it were credited already: the line's credits add up to the value of their quantity."""
    return line_amount(unit_cents, credited_before + quantity) - line_amount(
        unit_cents, credited_before
    )
