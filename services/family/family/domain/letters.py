"""The subscriber-code letter ("courrier du code abonné"): what the town mails each household
so that a family links its portal account to its file (guide 004: families need "le courrier
contenant votre code abonné")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from family.domain import codes
from shared.french import day_month_year

MAX_BATCH = 500  # households in one printed batch (one PDF, a page each)


@dataclass(frozen=True)
class Letter:
    """One household's letter: who it is addressed to, where, its code and its children."""

    code: str  # as printed: two groups of five
    guardians: list[str]
    address: list[str]  # the lines under the names
    children: list[str]


def letter_of(
    household: dict[str, Any], guardians: list[dict[str, Any]], children: list[dict[str, Any]]
) -> Letter:
    address = household.get("address") or {}
    lines = [address.get("line1", ""), address.get("line2", "")]
    city = " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p)
    return Letter(
        code=codes.display(household["subscriber_code"]),
        guardians=[f"{g['first_name']} {g['last_name']}" for g in guardians],
        address=[line for line in [*lines, city] if line],
        children=[f"{c['first_name']} {c['last_name']}" for c in children],
    )


_TOWN_PREFIXES = ("ville de ", "ville d'", "mairie de ", "mairie d'", "commune de ", "commune d'")


def town_name(given: str, configured: str, tenant: str) -> str:
    """The commune as the letter names it: the name the caller gave (e.g. the portal's
    « Ville de Démo », its prefix dropped: « Démo »), else the configured one, else the
    tenant's slug made readable (``saint-ouen`` → ``Saint-Ouen``)."""
    for name in (given.strip(), configured.strip()):
        if name:
            lowered = name.lower()
            for prefix in _TOWN_PREFIXES:
                if lowered.startswith(prefix) and len(name) > len(prefix):
                    return name[len(prefix) :].strip()
            return name
    return "-".join(part.capitalize() for part in tenant.replace("_", "-").split("-"))


def town_hall(town: str) -> str:
    """``Mairie de Annecy`` reads wrong: ``Mairie d'Annecy``."""
    elided = town[:1].upper() in "AEIOUYÂÉÈÊÎÔÛ"
    return f"Mairie d'{town}" if elided else f"Mairie de {town}"


def file_name(code: str) -> str:
    return f"lettre-code-abonne-{codes.display(code)}.pdf"


BATCH_FILE_NAME = "lettres-code-abonne.pdf"


def french_date(day: date) -> str:
    """``1er décembre 2026``."""
    return day_month_year(day)
