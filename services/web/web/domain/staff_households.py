"""The households' search and file as the back-office shows them: the search form read
safely, the result pages, the French labels of the APIs' codes, the emails merged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

PER_PAGE = 20  # the family API caps a page at its own maximum anyway
QUERY_MAX = 100  # the family API refuses a longer search text

CHANGE_ENTITIES: dict[str, str] = {
    "household": "Foyer",
    "guardian": "Responsable",
    "child": "Enfant",
    "contact": "Contact",
    "health": "Fiche sanitaire",
    "quotient": "Quotient familial",
    "photo": "Photo",
    "new_household": "Création du foyer",
}
CHANGE_OPERATIONS: dict[str, str] = {
    "create": "ajout",
    "update": "modification",
    "delete": "suppression",
}
EMAIL_STATUSES: dict[str, str] = {
    "queued": "En attente d'envoi",
    "sent": "Envoyé",
    "failed": "Échec de l'envoi",
}
ACCOUNT_STATUSES: dict[str, str] = {
    "pending": "En attente d'activation",
    "invited": "Invité, pas encore activé",
    "active": "Actif",
    "disabled": "Désactivé",
}
LINKED_BY: dict[str, str] = {
    "subscriber_code": "La famille (code abonné)",
    "staff": "La mairie",
}
INVOICE_PAYMENT_STATUSES: dict[str, str] = {
    "unpaid": "À payer",
    "partially_paid": "Partiellement payée",
    "paid": "Payée",
}


@dataclass(frozen=True)
class Search:
    """What the agent typed and which page of the results they asked for."""

    text: str
    page: int

    @property
    def params(self) -> dict[str, str]:
        return {"q": self.text, "page": str(self.page), "per_page": str(PER_PAGE)}


def read_search(query: Mapping[str, str]) -> Search:
    """The search form's `q` and `page`, made safe: trimmed and cut to what the API takes, a
    missing or nonsensical page is the first."""
    text = " ".join(str(query.get("q", "")).split())[:QUERY_MAX]
    try:
        page = int(str(query.get("page", "1")))
    except ValueError:
        page = 1
    return Search(text=text, page=min(max(page, 1), 100_000))


@dataclass(frozen=True)
class Pages:
    """Where a page of results sits among all of them (for « Résultats 21 à 40 sur 45 »)."""

    page: int
    last: int
    first_shown: int
    last_shown: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.last else None


def pages(total: int, page: int, per_page: int, shown: int) -> Pages:
    last = max(1, -(-total // per_page))
    first_shown = (page - 1) * per_page + 1 if shown else 0
    return Pages(
        page=page,
        last=last,
        first_shown=first_shown,
        last_shown=first_shown + shown - 1 if shown else 0,
        total=total,
    )


def change_label(change: Mapping[str, Any]) -> str:
    """« Enfant : modification » from the change's entity and operation."""
    if change.get("entity") == "new_household":
        return CHANGE_ENTITIES["new_household"]  # always a creation: said once
    entity = CHANGE_ENTITIES.get(str(change.get("entity")), str(change.get("entity", "")))
    operation = CHANGE_OPERATIONS.get(
        str(change.get("operation")), str(change.get("operation", ""))
    )
    return f"{entity} : {operation}" if operation else entity


def emails_merged(pages_found: Iterable[Mapping[str, Any] | None]) -> list[dict[str, Any]]:
    """The emails of several lookups (by account, by address) once each, newest first."""
    seen: dict[str, dict[str, Any]] = {}
    for found in pages_found:
        for email in (found or {}).get("items", []):
            seen.setdefault(str(email["id"]), dict(email))
    return sorted(seen.values(), key=lambda e: str(e.get("created_at", "")), reverse=True)


def balance_label(cents: int | None) -> str:
    """Says in words who owes whom (colour is never alone)."""
    if cents is None:
        return "Solde inconnu"
    if cents > 0:
        return "Reste à payer"
    if cents < 0:
        return "En crédit"
    return "À jour"


def child_of(household: Mapping[str, Any], child_id: str) -> Mapping[str, Any] | None:
    """The household's child with this id (None: not one of its children)."""
    for child in household.get("children", []):
        if str(child.get("id")) == child_id:
            return child
    return None


def city_of(household: Mapping[str, Any]) -> str:
    address = household.get("address") or {}
    return " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)


def readings_of(log: Mapping[str, Any] | None, child_id: str) -> list[dict[str, Any]] | None:
    """This child's entries of the household's health access log (None: not read)."""
    if log is None:
        return None
    return [dict(e) for e in log.get("items", []) if str(e.get("child_id")) == child_id]
