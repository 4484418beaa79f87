"""Opening days of an activity, French public holidays and recurrence ("rythme")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache


def easter(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    t = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * t) // 451
    month = (h + t - 7 * m + 114) // 31
    day = (h + t - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The eleven public holidays of metropolitan France ("jours fériés")."""
    e = easter(year)
    return frozenset(
        {
            date(year, 1, 1),
            e + timedelta(days=1),  # lundi de Pâques
            date(year, 5, 1),
            date(year, 5, 8),
            e + timedelta(days=39),  # Ascension
            e + timedelta(days=50),  # lundi de Pentecôte
            date(year, 7, 14),
            date(year, 8, 15),
            date(year, 11, 1),
            date(year, 11, 11),
            date(year, 12, 25),
        }
    )


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


def daterange(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class Opening:
    """When an activity runs: its period, weekdays (1 = Monday .. 7 = Sunday), closures."""

    period_from: date
    period_to: date
    weekdays: frozenset[int]
    closed_dates: frozenset[date] = frozenset()
    skip_public_holidays: bool = True

    def is_open(self, day: date) -> bool:
        return (
            self.period_from <= day <= self.period_to
            and day.isoweekday() in self.weekdays
            and day not in self.closed_dates
            and not (self.skip_public_holidays and is_public_holiday(day))
        )

    def days(self) -> list[date]:
        return [d for d in daterange(self.period_from, self.period_to) if self.is_open(d)]


@dataclass(frozen=True)
class Rhythm:
    """A basket request: explicit dates, or from..to on some weekdays, one week in N."""

    dates: tuple[date, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    weekdays: frozenset[int] | None = None  # None: every opening weekday
    every_n_weeks: int = 1


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def expand(rhythm: Rhythm, opening: Opening) -> list[date]:
    """The days a request names. Explicit dates are kept as asked (a closed one is refused
    later with its reason); a range or rhythm yields only the activity's opening days, so
    holidays and closures inside it are skipped silently."""
    if rhythm.dates:
        return sorted(set(rhythm.dates))
    start = max(rhythm.date_from or opening.period_from, opening.period_from)
    end = min(rhythm.date_to or opening.period_to, opening.period_to)
    anchor = _monday(start)
    out = []
    for day in daterange(start, end):
        if rhythm.weekdays is not None and day.isoweekday() not in rhythm.weekdays:
            continue
        if ((_monday(day) - anchor).days // 7) % rhythm.every_n_weeks:
            continue
        if opening.is_open(day):
            out.append(day)
    return out


def working_days_before(day: date, count: int, extra_closed: Iterable[date] = ()) -> date:
    """The date `count` working days (Monday-Friday, not a public holiday) before `day`."""
    closed = set(extra_closed)
    current = day
    while count > 0:
        current -= timedelta(days=1)
        if current.isoweekday() <= 5 and not is_public_holiday(current) and current not in closed:
            count -= 1
    return current
