"""The family quotient (QF): a value with a source and validity dates; the history is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SOURCES = ("caf", "msa", "declared", "staff")


@dataclass(frozen=True)
class Quotient:
    value: int
    source: str
    valid_from: date
    valid_until: date | None
    recorded_at_order: int = 0  # later records win over earlier ones for the same day

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def validity_problems(valid_from: date, valid_until: date | None) -> list[str]:
    if valid_until is not None and valid_until < valid_from:
        return ["La fin de validité doit être postérieure au début."]
    return []


def in_force(history: list[Quotient], day: date) -> Quotient | None:
    """The quotient that prices `day`: among those covering it, the latest start, then the
    latest recorded. None: unknown QF (billing applies the maximum price)."""
    covering = [q for q in history if q.covers(day)]
    if not covering:
        return None
    return max(covering, key=lambda q: (q.valid_from, q.recorded_at_order))
