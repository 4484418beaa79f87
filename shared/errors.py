"""Domain errors and their RFC 9457 problem+json rendering.

Domain code raises `DomainError` subclasses that say what went wrong in the domain's words
(`kind`: not_found, conflict, ...) and carry a French `detail` a family can read; the HTTP
layer maps the kind to a status once, here. Handlers raise `Problem` for HTTP-only failures.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

PROBLEM_BASE = "https://portail-famille.fr/problems/"

KIND_STATUS = {
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "gone": 410,
    "rate_limited": 429,
    "unavailable": 503,
}


class DomainError(Exception):
    """A rule of the domain refused the operation. Subclasses set `code`, `kind`, `detail`."""

    code: ClassVar[str] = "domain-error"
    kind: ClassVar[str] = "conflict"
    title: ClassVar[str] = "Operation refused"
    detail: str = "L'opération n'est pas possible."

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        if detail is not None:
            self.detail = detail
        self.extra = extra
        super().__init__(self.detail)


class NotFound(DomainError):
    code = "not-found"
    kind = "not_found"
    title = "Not found"
    detail = "Élément introuvable."


class Forbidden(DomainError):
    code = "forbidden"
    kind = "forbidden"
    title = "Forbidden"
    detail = "Vous n'avez pas accès à cette ressource."


class Problem(Exception):
    """An HTTP-level failure rendered as application/problem+json."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}
        self.extra = extra

    @classmethod
    def from_domain(cls, error: DomainError) -> Problem:
        # A refusal that says when to come back (`retry_after` seconds, e.g. too many
        # attempts) also says it in the header clients and proxies read.
        retry_after = error.extra.get("retry_after")
        headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
        return cls(
            KIND_STATUS.get(error.kind, 409),
            error.code,
            error.title,
            error.detail,
            headers=headers,
            **error.extra,
        )

    def body(self, instance: str, request_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if request_id:
            body["request_id"] = request_id
        body.update(self.extra)
        return body


def validation_problem(messages: Any) -> Problem:
    """422 listing each invalid field with a French message."""
    errors = [
        {"field": field, "detail": translate(message)} for field, message in flatten(messages)
    ]
    names = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(
        422,
        "validation-error",
        "Invalid request",
        f"Certaines informations sont manquantes ou incorrectes : {names}.",
        errors=errors,
    )


def flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    """marshmallow's nested error dict → [(dotted.field, message)]."""
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten(value, name or "_schema"))
        return out
    if isinstance(messages, list | tuple):
        if all(isinstance(m, str) for m in messages):
            return [(prefix or "_schema", m) for m in messages]
        return [item for m in messages for item in flatten(m, prefix)]
    return [(prefix or "_schema", str(messages))]


# marshmallow's English messages, as French a family can read. Unknown messages pass through
# (our own validators already speak French).
_TRANSLATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"^Missing data for required field\.$", "Ce champ est obligatoire."),
        (r"^Field may not be null\.$", "Ce champ ne peut pas être vide."),
        (r"^Unknown field\.$", "Ce champ n'est pas attendu."),
        (r"^Not a valid string\.$", "Une chaîne de caractères est attendue."),
        (r"^Not a valid integer\.$", "Un nombre entier est attendu."),
        (r"^Not a valid number\.$", "Un nombre est attendu."),
        (r"^Not a valid boolean\.$", "Oui ou non (true/false) est attendu."),
        (r"^Not a valid email address\.$", "L'adresse e-mail n'est pas valide."),
        (r"^Not a valid UUID\.$", "Identifiant invalide."),
        (r"^Not a valid date\.$", "Date invalide (format attendu : AAAA-MM-JJ)."),
        (r"^Not a valid datetime\.$", "Date et heure invalides."),
        (r"^Not a valid list\.$", "Une liste est attendue."),
        (r"^Not a valid URL\.$", "Adresse web invalide."),
        (r"^Invalid input type\.$", "Un objet JSON est attendu."),
        (r"^Invalid value\.$", "Valeur invalide."),
        (r"^Shorter than minimum length (\d+)\.$", r"Au moins \1 caractères sont attendus."),
        (r"^Longer than maximum length (\d+)\.$", r"Au plus \1 caractères sont acceptés."),
        (
            r"^Length must be between (\d+) and (\d+)\.$",
            r"Entre \1 et \2 caractères sont attendus.",
        ),
        (
            r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$",
            r"La valeur doit être comprise entre \1 et \2.",
        ),
        (r"^Must be greater than or equal to (\S+)\.$", r"La valeur doit être au moins \1."),
        (r"^Must be less than or equal to (\S+)\.$", r"La valeur doit être au plus \1."),
        (r"^Must be one of: (.*)\.$", r"Valeur non reconnue ; valeurs possibles : \1."),
        (r"^String does not match expected pattern\.$", "Le format n'est pas valide."),
    ]
]


def translate(message: str) -> str:
    for pattern, replacement in _TRANSLATIONS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message
