"""Prices: a grid per activity and period gives the price of one unit (a day, a half-day, a
meal, an hour) from the household's family quotient (QF).

A grid is either QF brackets (each with an amount per unit, possibly one per child rank for
sibling reductions) or an effort rate (a percentage of the QF per unit) kept between a
minimum and a maximum. The maximum price applies when the QF is unknown or expired [003]; a
non-resident household pays the grid's non-resident rate when it has one; a day booked late
costs more by the grid's surcharge (a percentage or an amount) [003]. The bracket used is
described on every priced line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing.domain.errors import InvalidGrid
from billing.domain.money import euros, round_half_up

UNITS = ("day", "half_day", "meal", "hour")
UNIT_LABELS = {"day": "journée", "half_day": "demi-journée", "meal": "repas", "hour": "heure"}
UNIT_PLURALS = {"day": "journées", "half_day": "demi-journées", "meal": "repas", "hour": "heures"}
MAX_BRACKETS = 50


@dataclass(frozen=True)
class Bracket:
    """QF from `qf_min` to `qf_max` inclusive (None: no upper bound); `amounts[r-1]` is the
    unit price of the child of rank r, the last one for every higher rank."""

    qf_min: int
    qf_max: int | None
    amounts: tuple[int, ...]

    def contains(self, qf: int) -> bool:
        return self.qf_min <= qf and (self.qf_max is None or qf <= self.qf_max)

    def amount(self, rank: int) -> int:
        return self.amounts[min(max(rank, 1), len(self.amounts)) - 1]

    @property
    def label(self) -> str:
        if self.qf_max is None:
            return f"QF ≥ {self.qf_min}"
        return f"QF {self.qf_min} à {self.qf_max}"


@dataclass(frozen=True)
class EffortRate:
    """Unit price = QF × `rate` % (in euros), i.e. QF × rate cents, within [min, max]."""

    rate: Decimal
    min_cents: int
    max_cents: int

    def amount(self, qf: int) -> int:
        return min(max(round_half_up(Decimal(qf) * self.rate), self.min_cents), self.max_cents)


@dataclass(frozen=True)
class Surcharge:
    """The late-booking surcharge: `percent` of the unit price, or an `amount` in cents."""

    kind: str  # "percent" | "amount"
    value: Decimal

    def apply(self, base_cents: int) -> int:
        if self.kind == "percent":
            return base_cents + round_half_up(Decimal(base_cents) * self.value / 100)
        return base_cents + int(self.value)

    @property
    def label(self) -> str:
        if self.kind == "percent":
            return f"hors délai +{format(self.value.normalize(), 'f').replace('.', ',')} %"
        return f"hors délai +{euros(int(self.value))}"


@dataclass(frozen=True)
class Price:
    """The price of one unit for one child on one day, and how it was found."""

    unit_cents: int
    base_cents: int  # before the late surcharge
    bracket: str  # what a family reads on the line: "QF 451 à 800", "QF inconnu : tarif maximum"
    qf: int | None
    rank: int
    late: bool
    grid_id: UUID | None = None

    @property
    def surcharge_cents(self) -> int:
        return self.unit_cents - self.base_cents


@dataclass(frozen=True)
class PriceGrid:
    id: UUID
    activity_id: UUID
    valid_from: date
    valid_to: date | None
    brackets: tuple[Bracket, ...] = ()
    effort: EffortRate | None = None
    late: Surcharge | None = None
    non_resident_cents: int | None = None
    label: str = ""

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def maximum(self, rank: int) -> int:
        """The price of a household whose QF is unknown or expired."""
        if self.effort is not None:
            return self.effort.max_cents
        return max(b.amount(rank) for b in self.brackets)

    def price(self, *, qf: int | None, rank: int, late: bool, resident: bool = True) -> Price:
        by_rank = any(len(b.amounts) > 1 for b in self.brackets)
        if not resident and self.non_resident_cents is not None:
            base, label, by_rank = self.non_resident_cents, "Tarif hors commune", False
        elif qf is None:
            base, label = self.maximum(rank), "QF inconnu : tarif maximum"
        elif self.effort is not None:
            base = self.effort.amount(qf)
            rate = format(self.effort.rate.normalize(), "f").replace(".", ",")
            label = f"Taux d'effort {rate} % × QF {qf}"
        else:
            bracket = next(b for b in self.brackets if b.contains(qf))
            base, label = bracket.amount(rank), bracket.label
        if by_rank:
            label = f"{label}, enfant de rang {rank}"
        unit = base
        if late and self.late is not None:
            unit = self.late.apply(base)
            label = f"{label}, {self.late.label}"
        return Price(unit, base, label, qf, rank, late, self.id)

    @classmethod
    def from_row(cls, row: Any) -> PriceGrid:
        brackets = tuple(
            Bracket(b["qf_min"], b.get("qf_max"), tuple(b["amounts"]))
            for b in (row["brackets"] or [])
        )
        effort = row["effort"]
        late = row["late_surcharge"]
        return cls(
            id=row["id"],
            activity_id=row["activity_id"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            brackets=brackets,
            effort=EffortRate(
                Decimal(str(effort["rate"])), effort["min_cents"], effort["max_cents"]
            )
            if effort
            else None,
            late=Surcharge(late["kind"], Decimal(str(late["value"]))) if late else None,
            non_resident_cents=row["non_resident_cents"],
            label=row["label"] or "",
        )


def check_grid(
    brackets: Sequence[dict[str, Any]] | None,
    effort: dict[str, Any] | None,
    valid_from: date,
    valid_to: date | None,
) -> None:
    """A grid is brackets or an effort rate, never both; brackets start at QF 0, follow each
    other without gap nor overlap and end open; amounts are never negative."""
    if valid_to is not None and valid_to < valid_from:
        raise InvalidGrid("La fin de validité de la grille précède son début.")
    if bool(brackets) == bool(effort):
        raise InvalidGrid("Une grille a soit des tranches de QF, soit un taux d'effort.")
    if effort:
        if effort["min_cents"] > effort["max_cents"]:
            raise InvalidGrid("Le prix minimum du taux d'effort dépasse son maximum.")
        return
    assert brackets
    if len(brackets) > MAX_BRACKETS:
        raise InvalidGrid(f"Au plus {MAX_BRACKETS} tranches de QF.")
    expected = 0
    for index, bracket in enumerate(brackets):
        if bracket["qf_min"] != expected:
            raise InvalidGrid(
                f"Les tranches de QF doivent se suivre sans trou ni chevauchement à partir de 0 "
                f"(la tranche {index + 1} devrait commencer à {expected})."
            )
        if not bracket["amounts"]:
            raise InvalidGrid(f"La tranche {index + 1} n'a pas de prix.")
        qf_max = bracket.get("qf_max")
        last = index == len(brackets) - 1
        if last and qf_max is not None:
            raise InvalidGrid("La dernière tranche de QF doit rester ouverte (sans maximum).")
        if not last:
            if qf_max is None or qf_max < bracket["qf_min"]:
                raise InvalidGrid(f"La tranche {index + 1} doit avoir un QF maximum valide.")
            expected = qf_max + 1


def overlaps(
    valid_from: date, valid_to: date | None, other_from: date, other_to: date | None
) -> bool:
    """Whether two validity periods share a day (None: open-ended)."""
    return (other_to is None or valid_from <= other_to) and (
        valid_to is None or other_from <= valid_to
    )


def grid_on(grids: Iterable[PriceGrid], day: date) -> PriceGrid | None:
    return next((g for g in grids if g.covers(day)), None)


@dataclass(frozen=True)
class Quotient:
    value: int
    valid_from: date
    valid_until: date | None
    recorded_at: datetime


def quotient_on(quotients: Iterable[Quotient], day: date) -> int | None:
    """The household's QF in force on `day`: the one starting latest among those valid that
    day (ties: the latest recorded); None when unknown or expired (→ maximum price)."""
    valid = [
        q
        for q in quotients
        if q.valid_from <= day and (q.valid_until is None or day <= q.valid_until)
    ]
    if not valid:
        return None
    return max(valid, key=lambda q: (q.valid_from, q.recorded_at)).value


@dataclass(frozen=True)
class Sibling:
    child_id: UUID
    birth_date: date


def child_rank(siblings: Iterable[Sibling], child_id: UUID) -> int:
    """Rank of a child among the household's children, eldest first (1); a child billing
    does not know yet counts as the first."""
    ordered = sorted(siblings, key=lambda s: (s.birth_date, str(s.child_id)))
    for index, sibling in enumerate(ordered):
        if sibling.child_id == child_id:
            return index + 1
    return 1


@dataclass
class Pricing:
    """What pricing a household's days needs, gathered once: the activity's grids, the
    household's quotients, its children and whether it lives in the town."""

    grids: list[PriceGrid] = field(default_factory=list)
    quotients: list[Quotient] = field(default_factory=list)
    siblings: list[Sibling] = field(default_factory=list)
    resident: bool = True

    def price(self, child_id: UUID, day: date, *, late: bool) -> Price | None:
        """None when no grid covers the day (the line cannot be priced: an error)."""
        grid = grid_on(self.grids, day)
        if grid is None:
            return None
        return grid.price(
            qf=quotient_on(self.quotients, day),
            rank=child_rank(self.siblings, child_id),
            late=late,
            resident=self.resident,
        )


def quantity_text(unit: str, quantity: Decimal) -> str:
    """ "2 repas", "7,5 heures", "1 journée"."""
    number = format(quantity.normalize(), "f").replace(".", ",")
    label = UNIT_LABELS if quantity <= 1 else UNIT_PLURALS
    return f"{number} {label.get(unit, unit)}"
