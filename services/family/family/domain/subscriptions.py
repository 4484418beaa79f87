"""An account's subscriptions ("Mes abonnements", guide 004): the households it is linked
to, each named for the family choosing between them."""

from __future__ import annotations

from collections.abc import Iterable


def household_label(guardian_last_names: Iterable[str]) -> str:
    """« Foyer Martin – Durand »: the guardians' last names in the file's order, each once
    (two guardians of the same name make one « Foyer Martin »)."""
    names: list[str] = []
    seen: set[str] = set()
    for name in guardian_last_names:
        name = " ".join(name.split())
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return "Foyer " + " – ".join(names) if names else "Foyer"
