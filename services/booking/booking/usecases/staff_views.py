"""What staff and the kitchen read: occupancy per day and site, meal counts by diet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from booking import store


async def site_occupancy(
    conn: store.Conn,
    tenant: str,
    start: date,
    end: date,
    site: str | None,
    may_see_site: Callable[[str], bool] = lambda _: True,
) -> list[dict[str, Any]]:
    """Per day and site: capacity, booked and waiting across the site's activities (only
    the sites `may_see_site`: an animator's own)."""
    days: dict[tuple[date, str], dict[str, Any]] = {}
    for r in await store.site_occupancy(conn, tenant, start, end, site):
        if not may_see_site(r["site"]):
            continue
        entry = days.setdefault(
            (r["day"], r["site"]),
            {
                "date": r["day"],
                "site": r["site"],
                "capacity": 0,
                "booked": 0,
                "waiting": 0,
                "activities": [],
            },
        )
        for k in ("capacity", "booked", "waiting"):
            entry[k] += r[k]
        entry["activities"].append(r)
    return list(days.values())


async def meal_counts(
    conn: store.Conn,
    tenant: str,
    start: date,
    end: date,
    site: str | None,
    types: list[str],
) -> list[dict[str, Any]]:
    """Per day and site: the children booked in meal activities by diet, and those expected
    (not known absent)."""
    days: dict[tuple[date, str], dict[str, Any]] = {}
    for r in await store.meal_counts(conn, tenant, start, end, site, types):
        entry = days.setdefault(
            (r["day"], r["site"]),
            {
                "date": r["day"],
                "site": r["site"],
                "meals": 0,
                "expected": 0,
                "diets": {},
                "expected_diets": {},
            },
        )
        entry["meals"] += r["booked"]
        entry["expected"] += r["expected"]
        entry["diets"][r["diet"]] = r["booked"]
        if r["expected"]:
            entry["expected_diets"][r["diet"]] = r["expected"]
    return list(days.values())
