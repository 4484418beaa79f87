"""Changes proposed by families: every one waits for staff, who approve or reject it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

ENTITIES = (
    "household",
    "guardian",
    "child",
    "contact",
    "health",
    "quotient",
    "new_household",
    "photo",
)
OPERATIONS = ("create", "update", "delete")
STATUSES = ("pending", "approved", "rejected")

_LABELS = {
    "household": "les coordonnées du foyer",
    "guardian": "un responsable légal",
    "child": "un enfant",
    "contact": "une personne à contacter",
    "health": "la fiche sanitaire",
    "quotient": "le quotient familial",
    "new_household": "un foyer",
    "photo": "la photo",
}
_VERBS = {"create": "Ajout", "update": "Modification", "delete": "Suppression"}


class ChangeNotPending(Exception):
    """The change was already decided: it cannot be decided again."""


@dataclass(frozen=True)
class Change:
    entity: str
    operation: str
    status: str

    def __post_init__(self) -> None:
        if self.entity not in ENTITIES or self.operation not in OPERATIONS:
            raise ValueError(f"unknown change {self.entity}/{self.operation}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status}")


@dataclass(frozen=True)
class Edit:
    """A change to the household file as asked: of what (`entity`), how (`operation`), on
    which row (`entity_id`) or under which child (`parent_id`), with which checked values."""

    entity: str
    operation: str
    entity_id: uuid.UUID | None = None
    parent_id: uuid.UUID | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # A family's approved proposal: its author (who gave a child's permissions).
    submitted_by: uuid.UUID | None = None


def decide(change: Change, decision: str, reason: str | None) -> str:
    """The new status; raises ChangeNotPending, or ValueError for a rejection without reason."""
    if change.status != "pending":
        raise ChangeNotPending()
    if decision == "approved":
        return "approved"
    if decision == "rejected":
        if not (reason or "").strip():
            raise ValueError("a rejection needs a reason")
        return "rejected"
    raise ValueError(f"unknown decision {decision}")


def summary(entity: str, operation: str, label: str | None = None) -> str:
    """A French one-liner for lists and emails: « Modification d'un enfant : Léa Martin »."""
    verb = _VERBS[operation]
    if operation == "create" and entity in ("quotient", "new_household"):
        verb = "Déclaration" if entity == "quotient" else "Création"
    text = f"{verb} de {_LABELS[entity]}"
    for wrong, right in (("de le ", "du "), ("de les ", "des "), ("de un", "d'un")):
        text = text.replace(wrong, right)
    return f"{text} : {label}" if label else text
