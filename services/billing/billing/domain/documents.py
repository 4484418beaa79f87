"""What a document carries besides its lines: dates in Europe/Paris, and copies of the payer
and of the régie as they were when it was issued (a later change does not alter it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def local_date(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()


def payer_copy(household: dict[str, Any] | None) -> dict[str, Any]:
    """The payer as printed: the billing contact staff set, else the guardians' names."""
    household = household or {}
    names = [n for n in household.get("guardian_names") or [] if n]
    return {
        "name": household.get("payer_name") or " et ".join(names) or "Foyer",
        "address": household.get("payer_address"),
        "email": household.get("payer_email"),
    }


def named_payer_copy(payer: dict[str, Any]) -> dict[str, Any]:
    """A named payer (a separated parent) as printed: their own name, address and email."""
    return {"name": payer["name"], "address": payer["address"], "email": payer["email"]}


def payer_copies(
    payer_ids: Iterable[UUID],
    households: dict[UUID, dict[str, Any]],
    payers: dict[UUID, dict[str, Any]],
    household_of: dict[UUID, UUID],
) -> dict[UUID, dict[str, Any]]:
    """Each payer as printed: a named payer's own copy, else its household's contact."""
    out = {}
    for payer_id in payer_ids:
        named = payers.get(payer_id)
        out[payer_id] = (
            named_payer_copy(named)
            if named is not None
            else payer_copy(households.get(household_of[payer_id]))
        )
    return out


def regie_copy(regie: dict[str, Any]) -> dict[str, Any]:
    return {
        "code": regie["code"],
        "name": regie["name"],
        "address": regie["address"],
        "email": regie["email"],
        "legal_mentions": regie["legal_mentions"],
    }


def due_date(issue_date: date, delay_days: int) -> date:
    return issue_date + timedelta(days=delay_days)


@dataclass(frozen=True)
class Viewer:
    """A family account reading billing: its household's documents whose payer is the
    household itself (the joint ones) or a payer tied to this account (its own share when
    separated parents each pay theirs), never the other parent's. Staff have no viewer: they
    read the tenant's."""

    household_id: UUID
    payer_ids: frozenset[UUID]

    def sees(self, document: Mapping[str, Any]) -> bool:
        return (
            document["household_id"] == self.household_id and document["payer_id"] in self.payer_ids
        )

    @property
    def own_payers(self) -> list[UUID]:
        """The named payers tied to the account (not the household)."""
        return sorted((p for p in self.payer_ids if p != self.household_id), key=str)
