"""Split billing for separated parents: a rule per child maps each booked day to the payer
who pays it, from the rule's start date (the day booked counts, not the day of booking).

- `single`: every day to one payer (e.g. back to the household after a split);
- `alternate_weeks`: payer A the weeks of the reference week's parity, payer B the others;
- `weekdays`: payer A on the given days of the week (1 = Monday … 7 = Sunday), B the others;
- `percentage`: every day shared, payer A pays `percent_a` % of its price and B the rest.

A payer is the household itself (its id is the household's: its billing contact) or one of
its named payers (a guardian with their own name, address, email and account). A day shared
by percentage is charged in two parts: payer A's unit price is rounded half up and B pays
exactly the rest, so the two parts always add up to the day's price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from billing.domain.errors import InvalidRule
from billing.domain.french import decimal_text
from billing.domain.money import round_half_up

KINDS = ("single", "alternate_weeks", "weekdays", "percentage")


@dataclass(frozen=True)
class Share:
    """Who pays a day (or a part of it): `percent` None is the whole day."""

    payer_id: UUID
    part: int = 1
    percent: Decimal | None = None

    def unit_cents(self, day_cents: int, other: Share | None = None) -> int:
        """This part's unit price: A's rounded share, B the rest of the day's price."""
        if self.percent is None:
            return day_cents
        if self.part == 1:
            return round_half_up(Decimal(day_cents) * self.percent / 100)
        assert other is not None
        return day_cents - other.unit_cents(day_cents)

    @property
    def label(self) -> str:
        """Written after the bracket on the line: ", part de 60 %"."""
        return "" if self.percent is None else f", part de {decimal_text(self.percent)} %"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class BillingRule:
    effective_from: date
    kind: str
    payer_a: UUID
    payer_b: UUID | None = None
    reference_week: date | None = None
    weekdays: frozenset[int] = frozenset()
    percent_a: Decimal | None = None

    @classmethod
    def from_row(cls, row: Any) -> BillingRule:
        return cls(
            effective_from=row["effective_from"],
            kind=row["kind"],
            payer_a=row["payer_a"],
            payer_b=row["payer_b"],
            reference_week=row["reference_week"],
            weekdays=frozenset(row["weekdays"] or ()),
            percent_a=Decimal(row["percent_a"]) if row["percent_a"] is not None else None,
        )

    def shares(self, day: date) -> list[Share]:
        a, b = self.payer_a, self.payer_b
        if self.kind == "single" or b is None:
            return [Share(a)]
        if self.kind == "alternate_weeks":
            assert self.reference_week is not None
            weeks = (monday(day) - monday(self.reference_week)).days // 7
            return [Share(a if weeks % 2 == 0 else b)]
        if self.kind == "weekdays":
            return [Share(a if day.isoweekday() in self.weekdays else b)]
        assert self.percent_a is not None
        return [Share(a, 1, self.percent_a), Share(b, 2, 100 - self.percent_a)]


def rule_on(rules: Iterable[BillingRule], day: date) -> BillingRule | None:
    """The rule in force on a day: the one that started last, on or before it."""
    started = [r for r in rules if r.effective_from <= day]
    return max(started, key=lambda r: r.effective_from) if started else None


def shares_on(rules: Iterable[BillingRule], day: date, household_id: UUID) -> list[Share]:
    """Who pays a booked day: the child's rule in force, else the household."""
    rule = rule_on(rules, day)
    return rule.shares(day) if rule is not None else [Share(household_id)]


def split_unit(day_cents: int, shares: list[Share]) -> list[int]:
    """Each share's unit price; they add up to `day_cents`."""
    if len(shares) == 1:
        return [shares[0].unit_cents(day_cents)]
    first, second = shares
    return [first.unit_cents(day_cents), second.unit_cents(day_cents, first)]


def check_rule(
    kind: str,
    payer_a: UUID,
    payer_b: UUID | None,
    *,
    reference_week: date | None,
    weekdays: Iterable[int] | None,
    percent_a: Decimal | None,
    payers: Iterable[UUID],
) -> None:
    """A rule names payers of the household, two different ones unless `single`, and the
    setting its kind needs."""
    known = set(payers)
    if payer_a not in known or (payer_b is not None and payer_b not in known):
        raise InvalidRule("Les payeurs d'une règle doivent être des payeurs du foyer.")
    if kind == "single":
        if payer_b is not None:
            raise InvalidRule("Une règle « single » n'a qu'un payeur.")
        return
    if payer_b is None or payer_b == payer_a:
        raise InvalidRule("Une règle de partage nomme deux payeurs différents.")
    if kind == "alternate_weeks" and reference_week is None:
        raise InvalidRule("Indiquez la semaine de référence (une semaine du payeur A).")
    if kind == "weekdays":
        days = set(weekdays or ())
        if not days or not days < set(range(1, 8)):
            raise InvalidRule(
                "Indiquez les jours du payeur A (1 = lundi … 7 = dimanche), pas tous."
            )
    if kind == "percentage" and (percent_a is None or not 0 < percent_a < 100):
        raise InvalidRule("La part du payeur A est un pourcentage entre 0 et 100 exclus.")
