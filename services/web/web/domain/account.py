"""The family's account as the portal shows it: the step a login leaves pending (new terms,
a password to change), the outcome of an emailed link, the password rules, where each
notification leads, a form's errors from identity's problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web.domain.problems import GENERIC, FormErrors

# The session key of the step every page leads to until it is done, and the page of each.
PENDING = "pending_step"
PASSWORD_STEP = "password"
TERMS_STEP = "terms"
STEP_PAGES: dict[str, str] = {
    PASSWORD_STEP: "/compte/mot-de-passe",
    TERMS_STEP: "/conditions",
}


def pending_step(tokens: dict[str, Any]) -> str | None:
    """What the family must do before any other page, after identity issued `tokens`
    (a login, a changed password): change a temporary password first, then accept terms."""
    if tokens.get("password_change_required") or not tokens.get("refresh_token"):
        return PASSWORD_STEP
    if (tokens.get("terms") or {}).get("must_accept"):
        return TERMS_STEP
    return None


def step_redirect(step: str | None, path: str) -> str | None:
    """The page a request for `path` is sent to while `step` is pending (None: it may go)."""
    if not step:
        return None
    target = STEP_PAGES.get(step)
    if target is None or path == target:
        return None
    return target


def password_rules(min_length: int | None) -> list[str]:
    """identity's password policy, said before the family types (PasswordPolicy)."""
    return [
        f"au moins {min_length or 8} caractères ;",
        "au moins une lettre majuscule et un chiffre ;",
        "ni votre nom ni votre adresse e-mail ;",
        "pas un mot de passe courant (comme « Motdepasse1 »).",
    ]


def field_errors(
    problem: dict[str, Any] | None,
    known_fields: tuple[str, ...],
    *,
    renamed: dict[str, str] | None = None,
) -> FormErrors:
    """The problem's errors next to the fields they name (every message of a field, e.g. all
    the password rules broken); `renamed` maps the API's field names to the form's. The rest,
    and a problem without field errors, is the form's general message."""
    if not problem:
        return FormErrors(general=GENERIC)
    renamed = renamed or {}
    found: dict[str, list[str]] = {}
    others: list[str] = []
    for error in problem.get("errors") or []:
        name = str(error.get("field", "")).split(".")[0]
        name = renamed.get(name, name)
        detail = str(error.get("detail") or "")
        if name in known_fields and detail:
            if detail not in found.setdefault(name, []):
                found[name].append(detail)
        elif detail:
            others.append(detail)
    general = None
    if not found:
        general = " ".join([str(problem.get("detail") or GENERIC), *others]).strip()
    elif others:
        general = " ".join(others)
    return FormErrors({k: " ".join(v) for k, v in found.items()}, general)


def confirmation_errors(password: str, confirmation: str, field: str) -> dict[str, str]:
    """The confirmation must repeat the new password (checked here: identity never sees it)."""
    if password and password != confirmation:
        return {field: "Les deux mots de passe saisis sont différents."}
    return {}


@dataclass(frozen=True)
class LinkOutcome:
    """What an emailed link that cannot be used says, and the next step offered."""

    title: str
    message: str
    resend: bool  # a new link can be asked for (activation: resend; reset: forgot again)


def link_outcome(status: int, problem: dict[str, Any] | None) -> LinkOutcome:
    """identity's refusal of a link (404 unknown, 409 used, 410 expired or replaced)."""
    kind = str((problem or {}).get("type", "")).rsplit("/", 1)[-1]
    if status == 409 and kind == "email-already-used":
        return LinkOutcome(
            "Adresse déjà utilisée",
            "Cette adresse e-mail est désormais utilisée par un autre compte : elle ne peut pas"
            " devenir la vôtre.",
            False,
        )
    if status == 409:
        return LinkOutcome(
            "Lien déjà utilisé",
            "Ce lien a déjà été utilisé : l'opération est faite. Vous pouvez vous connecter.",
            False,
        )
    if status == 410 and kind == "link-superseded":
        return LinkOutcome(
            "Lien remplacé",
            "Ce lien n'est plus valable : un lien plus récent vous a été envoyé. Utilisez le"
            " dernier message reçu, ou demandez un nouveau lien.",
            True,
        )
    if status == 410:
        return LinkOutcome(
            "Lien expiré",
            "Ce lien a expiré. Demandez un nouveau lien : il vous sera envoyé par e-mail.",
            True,
        )
    return LinkOutcome(
        "Lien non valable",
        "Ce lien n'est pas valable : vérifiez que l'adresse a été copiée en entier, ou"
        " demandez un nouveau lien.",
        True,
    )


# Where a notification leads, by the first word of its kind (notify's Notice kinds).
_TARGETS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("account", "password", "email"), "/compte", "Voir mon compte"),
    (("change", "document", "household"), "/foyer", "Voir mon foyer"),
    (("request",), "/demandes", "Voir mes demandes"),
    (("enrollment",), "/inscriptions", "Voir mes inscriptions"),
    (
        ("reservation", "waiting", "booking", "absence"),
        "/reservations",
        "Voir mes réservations",
    ),
    (
        ("invoice", "payment", "wallet", "credit", "mandate", "direct"),
        "/factures",
        "Voir mes factures",
    ),
)


def notification_target(kind: str) -> tuple[str, str]:
    """The portal's page a notification is about, and the link's text."""
    first = kind.split("_", 1)[0]
    for prefixes, href, label in _TARGETS:
        if first in prefixes:
            return href, label
    return "/", "Voir l'accueil"


def unread_first(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Unread notifications first, each group newest first (as notify sorts them)."""
    return [n for n in items if not n.get("read_at")] + [n for n in items if n.get("read_at")]
