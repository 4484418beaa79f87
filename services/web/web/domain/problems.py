"""The services' RFC 9457 problems turned into what a form shows: a message per field and
one for the form as a whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GENERIC = "Une erreur s'est produite ; merci de réessayer."
UNAVAILABLE = "Le service est momentanément indisponible ; merci de réessayer dans un instant."


@dataclass(frozen=True)
class FormErrors:
    """`fields`: field name → message (shown next to the field); `general`: the rest."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def form_errors(problem: dict[str, Any] | None, known_fields: tuple[str, ...]) -> FormErrors:
    """The problem's `errors` naming a field of the form go next to it; the detail, and the
    errors of fields the form does not have, become the general message."""
    if not problem:
        return FormErrors(general=GENERIC)
    found: dict[str, str] = {}
    others: list[str] = []
    for error in problem.get("errors") or []:
        name = str(error.get("field", "")).split(".")[0]
        detail = str(error.get("detail") or "")
        if name in known_fields and detail:
            found.setdefault(name, detail)
        elif detail:
            others.append(detail)
    general = None
    if not found or others:
        general = " ".join([str(problem.get("detail") or GENERIC), *others]).strip()
    return FormErrors(found, general)
