"""Canteen menus: kept per ISO week (its Monday); families see a week and the next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from notify.domain import calendar


def shown_weeks(day: date) -> list[date]:
    """The Mondays of the week of `day` and of the next."""
    first = calendar.monday(day)
    return [first, first + timedelta(days=7)]


def misplaced_days(week_start: date, days: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The days entered outside the week, or twice (field → French messages)."""
    errors: dict[str, list[str]] = {}
    seen: set[date] = set()
    for index, day in enumerate(days):
        if not week_start <= day["date"] <= week_start + timedelta(days=6):
            errors[f"days.{index}.date"] = [
                f"Ce jour n'est pas dans la semaine du {week_start.strftime('%d/%m/%Y')}."
            ]
        elif day["date"] in seen:
            errors[f"days.{index}.date"] = ["Ce jour est déjà saisi."]
        seen.add(day["date"])
    return errors


def week_view(week_start: date, menu: Mapping[str, Any] | None) -> dict[str, Any]:
    """A week as families see it: published or not, its days in order."""
    days = [
        {**day, "date": date.fromisoformat(day["date"])} for day in (menu or {}).get("days", [])
    ]
    return {
        "week_start": week_start,
        "week": calendar.iso_week(week_start),
        "published": menu is not None,
        "days": days,
        "remarks": (menu or {}).get("remarks"),
        "updated_at": (menu or {}).get("updated_at"),
    }
