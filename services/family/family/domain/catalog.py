"""Per-tenant lists: document types and request topics, seeded with defaults on first use;
the validity of a validated document; the status of a request to the town."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

DOCUMENT_TYPES: tuple[tuple[str, str], ...] = (
    ("livret_famille", "Livret de famille"),
    ("avis_imposition", "Avis d'imposition"),
    ("attestation_caf", "Attestation CAF"),
    ("certificat_medical", "Certificat médical"),
    ("justificatif_domicile", "Justificatif de domicile"),
    ("autre", "Autre document"),
)

REQUEST_TOPICS: tuple[tuple[str, str], ...] = (
    ("justificatif_absence", "Justificatif d'absence"),
    ("changement_rib", "Changement de coordonnées bancaires"),
    ("changement_medical", "Changement médical"),
    ("autre", "Autre demande"),
)

# Document types holding health data: a staff download is written in the health access log,
# as a read of a health record is, and the family sees it.
HEALTH_DOCUMENT_TYPES = frozenset({"certificat_medical"})


def is_health_document(document_type: str) -> bool:
    return document_type in HEALTH_DOCUMENT_TYPES


DEFAULTS = {"document_types": DOCUMENT_TYPES, "request_topics": REQUEST_TOPICS}

# A list entry's code: what documents, requests and other services' rules refer to.
CODE = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")


def slug(label: str) -> str:
    """« Attestation d'assurance » → ``attestation_d_assurance`` (a code for a new entry)."""
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii")
    code = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40].rstrip("_")
    return code or "type"


def end_of_school_year(today: date) -> date:
    """The default end of validity of a document: 31 August ending the current school year."""
    end = date(today.year, 8, 31)
    return end if today <= end else date(today.year + 1, 8, 31)


# Requests to the town (open, answered, closed): who wrote last decides the status; closed
# is final.


class RequestClosed(Exception):
    """A closed request takes no more messages."""


def status_after_message(status: str, side: str, *, close: bool = False) -> str:
    """The request's status once `side` ('family' or 'staff') has written."""
    if status == "closed":
        raise RequestClosed()
    if side not in ("family", "staff"):
        raise ValueError(f"unknown side {side}")
    if close:
        return "closed"
    return "answered" if side == "staff" else "open"
