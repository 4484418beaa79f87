"""An onboarding run's plan: which guardians of the households are asked for an invitation,
and why the others are not (no email, an email that cannot be one, the same email as a
guardian before them in the run, invited already by another run)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marshmallow import ValidationError, validate

# The check the event contract applies (an address it accepts is one identity can invite).
_EMAIL = validate.Email()

REASONS: dict[str, str] = {
    "no_email": "Aucune adresse email dans le dossier.",
    "bad_email": "Adresse email invalide.",
    "duplicate_email": "Même adresse email qu'un autre responsable de cette campagne.",
    "already_invited": "Déjà invité par une campagne précédente.",
    "email_taken": "Adresse email déjà utilisée par un autre compte.",
    "household_anonymised": "Foyer anonymisé entre-temps.",
}


def valid_email(email: str) -> bool:
    if len(email) > 254:
        return False
    try:
        _EMAIL(email)
    except ValidationError:
        return False
    return True


def plan(guardians: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each guardian (id, household_id, first_name, last_name, email, already_invited) with
    its state in the run: pending (to invite) or skipped with the reason; emails trimmed and
    lower-cased."""
    planned, seen = [], set()
    for g in guardians:
        email = (g.get("email") or "").strip().lower()
        if g.get("already_invited"):
            reason = "already_invited"
        elif not email:
            reason = "no_email"
        elif not valid_email(email):
            reason = "bad_email"
        elif email in seen:
            reason = "duplicate_email"
        else:
            reason = None
            seen.add(email)
        planned.append(
            {
                "household_id": g["household_id"],
                "guardian_id": g["id"],
                "name": f"{g['first_name']} {g['last_name']}",
                "email": email or None,
                "state": "skipped" if reason else "pending",
                "reason": reason,
            }
        )
    return planned
