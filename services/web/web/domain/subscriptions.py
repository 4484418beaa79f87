"""The account's subscriptions ("Mes abonnements", guide 004) as the portal shows them: the
households it is linked to, the one it is on, what the family reads after a switch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

# Session keys: how many households the account has, and the current one's name (the
# header's switcher shows when there are two or more).
HOUSEHOLDS = "households"
HOUSEHOLD_LABEL = "household_label"
# What a switch leaves behind: the basket and the calendar feeds are the other household's.
PER_HOUSEHOLD_KEYS = ("basket", "ical")


def current(items: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The household the account is on (family marks it), if listed."""
    return next((item for item in items if item.get("current")), None)


def summary(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the session keeps for the header: the count and the current one's name."""
    on = current(items)
    return {HOUSEHOLDS: len(items) or None, HOUSEHOLD_LABEL: on.get("label") if on else None}


def switched_notice(label: str | None) -> str:
    """« Vous consultez maintenant le foyer Martin – Durand. »"""
    name = (label or "").removeprefix("Foyer").strip()
    return (
        f"Vous consultez maintenant le foyer {name}."
        if name
        else ("Vous consultez maintenant un autre foyer.")
    )
