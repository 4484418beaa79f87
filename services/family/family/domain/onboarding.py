"""An onboarding run's plan: which guardians of the households are asked for an invitation,
and why the others are not (no email, an email that cannot be one, invited already by
another run). Two guardians with one email are one person, guardian of two households
(parents apart): both are asked for, identity makes one account with both households and
sends one invitation. And the pace at which the
pending ones are asked (each request is an email: a town's thousands of families must not
reach the mail server at once)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from marshmallow import ValidationError, validate

# The check the event contract applies (an address it accepts is one identity can invite).
_EMAIL = validate.Email()

REASONS: dict[str, str] = {
    "no_email": "Aucune adresse email dans le dossier.",
    "bad_email": "Adresse email invalide.",
    # Runs before a guardian's email meant one person (kept for their reports).
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
    # The contract also takes "x@localhost" and "x@[10.0.0.1]": no family's mailbox, so an
    # invitation there would be lost, not reported.
    domain = email.rpartition("@")[2]
    return "." in domain and not domain.startswith("[")


@dataclasses.dataclass(frozen=True)
class Pace:
    """At most `per_minute` invitations asked over any minute, released every `tick`."""

    per_minute: int
    tick: timedelta

    def __post_init__(self) -> None:
        if self.per_minute < 1 or self.tick <= timedelta(0):
            raise ValueError("a pace needs at least one invitation a minute and a tick")

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=1)

    def releasable(self, asked_in_window: int) -> int:
        """How many may be asked now, `asked_in_window` asked over the last minute: what the
        minute has left, spread over its ticks (no burst of the whole minute at once)."""
        per_tick = math.ceil(self.per_minute * self.tick / self.window)
        return max(0, min(per_tick, self.per_minute - asked_in_window))


def plan(guardians: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each guardian (id, household_id, first_name, last_name, email, already_invited) with
    its state in the run: pending (to invite) or skipped with the reason; emails trimmed and
    lower-cased."""
    planned = []
    for g in guardians:
        email = (g.get("email") or "").strip().lower()
        if g.get("already_invited"):
            reason = "already_invited"
        elif not email:
            reason = "no_email"
        elif not valid_email(email):
            reason = "bad_email"
        else:
            reason = None
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
