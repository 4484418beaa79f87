"""What a document carries besides its lines: dates in Europe/Paris, and copies of the payer
and of the régie as they were when it was issued (a later change does not alter it)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
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
