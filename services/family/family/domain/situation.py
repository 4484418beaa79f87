"""The household's family situation (guide 001), the town's permissions per child (guide
004) and the proofs a change must carry (guide 004): lists, French labels and rules."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The guardians' marital status (code → French label).
MARITAL_STATUSES: dict[str, str] = {
    "married": "Marié(e)s",
    "civil_union": "Pacsé(e)s",
    "cohabiting": "En concubinage",
    "separated": "Séparé(e)s",
    "divorced": "Divorcé(e)s",
    "single": "Célibataire",
    "widowed": "Veuf / veuve",
}

# Where the children live.
CUSTODY: dict[str, str] = {
    "alternating": "Résidence alternée",
    "one_parent": "Chez un parent",
    "other": "Autre",
}

# The town's permissions, seeded on first use (code, label); `image_rights` is the former
# field of the same name on children.
PERMISSION_TYPES: tuple[tuple[str, str], ...] = (
    ("sortie_seul", "Rentrer seul"),
    ("sorties", "Sorties et activités extérieures"),
    ("transport", "Transport en car ou minibus"),
    ("soins_urgence", "Soins et hospitalisation d'urgence"),
    ("image_rights", "Droit à l'image"),
)
IMAGE_RIGHTS = "image_rights"

# Household fields a town may require a proof for, and the document type each proof is.
PROOF_FIELDS: dict[str, str] = {
    "address": "justificatif_domicile",
    "phones": "autre",
    "marital_status": "livret_famille",
    "custody": "autre",
    "billed_guardian_id": "autre",
}
DEFAULT_PROOF_FIELDS: tuple[str, ...] = ("address",)


def fields_needing_proof(
    required: Iterable[str], before: Mapping[str, Any], proposed: Mapping[str, Any]
) -> list[str]:
    """The fields of a proposed change of the household that the town wants a proof for:
    those among `required` whose value really changes."""
    return [f for f in required if f in proposed and proposed[f] != before.get(f)]


def check_situation(custody: str | None, custody_detail: str | None) -> dict[str, str]:
    """Errors by field: « autre » custody needs its detail."""
    if custody == "other" and not (custody_detail or "").strip():
        return {"custody_detail": "Précisez le mode de garde."}
    return {}


def unknown_permissions(codes: Iterable[str], active: Iterable[str]) -> list[str]:
    """The codes given that are not among the town's active permissions."""
    allowed = set(active)
    return sorted(c for c in codes if c not in allowed)
