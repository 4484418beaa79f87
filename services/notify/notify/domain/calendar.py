"""Dates of news and menus: publication windows and ISO weeks, in the tenant's time zone
(Europe/Paris). A date given for `publish_from` starts at local midnight; a date given for
`publish_until` includes that whole day (the window ends at the next local midnight)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from notify.domain.errors import InvalidWindow


def start_of(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def instant(value: date | datetime, tz: str, *, end: bool = False) -> datetime:
    """A boundary given as a local date or a timestamp (local time when naive), in UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(tz))
        return value.astimezone(UTC)
    return start_of(value + timedelta(days=1) if end else value, tz)


def window(
    publish_from: date | datetime | None,
    publish_until: date | datetime | None,
    tz: str,
    now: datetime,
) -> tuple[datetime, datetime | None]:
    """The publication window in UTC: from now when no start is given, open-ended when no end."""
    start = instant(publish_from, tz) if publish_from is not None else now
    until = instant(publish_until, tz, end=True) if publish_until is not None else None
    if until is not None and until <= start:
        raise InvalidWindow()
    return start, until


def changed_window(
    start: datetime,
    until: datetime | None,
    changes: dict[str, Any],
    tz: str,
    now: datetime,
) -> tuple[datetime, datetime | None]:
    """The window after a change of either boundary (None: from now, or open-ended)."""
    if "publish_from" in changes:
        value = changes["publish_from"]
        start = now if value is None else instant(value, tz)
    if "publish_until" in changes:
        value = changes["publish_until"]
        until = None if value is None else instant(value, tz, end=True)
    if until is not None and until <= start:
        raise InvalidWindow()
    return start, until


def local_today(tz: str, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tz)).date()


def monday(day: date) -> date:
    """The Monday of the ISO week of `day`."""
    return day - timedelta(days=day.weekday())


def iso_week(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"
