"""The canteen menus and the information pages as the home page shows them."""

from __future__ import annotations

from typing import Any

# notify's dish fields, in the order of a meal, with their French names.
DISHES = (("starter", "Entrée"), ("main", "Plat"), ("dessert", "Dessert"), ("snack", "Goûter"))


def week_menu(body: Any) -> dict[str, Any] | None:
    """The current week's menu from notify's /menus answer (the week asked for first, then
    the next): its days in order, each with its dishes named; None when none is published."""
    weeks = body.get("weeks") if isinstance(body, dict) else None
    if not weeks or not weeks[0].get("published"):
        return None
    week = weeks[0]
    days = []
    for day in sorted(week.get("days") or [], key=lambda d: str(d.get("date"))):
        dishes = [(label, day[name]) for name, label in DISHES if day.get(name)]
        days.append(
            {
                "date": day["date"],
                "dishes": dishes,
                "text": day.get("text"),
                "allergens": day.get("allergens"),
            }
        )
    return {"week_start": week.get("week_start"), "days": days, "remarks": week.get("remarks")}


def paragraphs(text: str | None) -> list[str]:
    """A plain-text body cut into its paragraphs (blank lines), empty ones dropped."""
    return [
        part.strip() for part in (text or "").replace("\r\n", "\n").split("\n\n") if part.strip()
    ]
