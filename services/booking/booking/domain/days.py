"""Opening days of an activity, French public holidays and recurrence ("rythme")."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

_SCHOOL_DATES = SchoolHolidayDates()


# Activities that follow the school calendar by default: closed in the school holidays.
SCHOOL_TIME_TYPES = frozenset({"PERI", "CANTINE", "MERCREDI", "ETUDE"})


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """The public holidays of metropolitan France ("jours fériés"), from `holidays`."""
    return frozenset(holidays.France(years=year))


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


@lru_cache(maxsize=64)
def _school_holidays(year: int, zone: str) -> frozenset[date]:
    try:
        return frozenset(_SCHOOL_DATES.holidays_for_year_and_zone(year, zone))
    except UnsupportedYearException:
        return frozenset()  # beyond the published calendar: nothing known, nothing closed


@lru_cache(maxsize=256)
def school_holidays(zone: str | None, start: date, end: date) -> frozenset[date]:
    """The days of the school holidays of a zone (A, B or C) between two dates, from the
    ministry's calendar (`vacances-scolaires-france`). No zone: none."""
    if zone is None:
        return frozenset()
    out: set[date] = set()
    for year in range(start.year, end.year + 1):
        out |= {d for d in _school_holidays(year, zone) if start <= d <= end}
    return frozenset(out)


def daterange(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@dataclass(frozen=True)
class Opening:
    """When an activity runs: its period, weekdays (1 = Monday .. 7 = Sunday), minus public
    holidays and (school-time activities) the school holidays of its zone, minus the days
    closed by hand; plus the extra days opened by hand (a closed date wins over an extra)."""

    period_from: date
    period_to: date
    weekdays: frozenset[int]
    closed_dates: frozenset[date] = frozenset()
    skip_public_holidays: bool = True
    school_zone: str | None = None  # set: closed in that zone's school holidays
    extra_dates: frozenset[date] = frozenset()

    @property
    def school_holidays(self) -> frozenset[date]:
        return school_holidays(self.school_zone, self.period_from, self.period_to)

    def is_open(self, day: date) -> bool:
        if not self.period_from <= day <= self.period_to or day in self.closed_dates:
            return False
        if day in self.extra_dates:
            return True
        return (
            day.isoweekday() in self.weekdays
            and not (self.skip_public_holidays and is_public_holiday(day))
            and day not in self.school_holidays
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
