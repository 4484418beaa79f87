"""Document numbers: gapless per régie, per year and per kind (invoice F, credit note A,
payment R, refund V, remittance slip B, direct-debit batch P), given only when a document
is finalised. The sequence comes from a counter row locked by the finalising transaction
(store/catalog.py, take_numbers): a rolled-back finalisation gives its number back, two concurrent
ones wait for each other."""

from __future__ import annotations

PREFIXES = {
    "invoice": "F",
    "credit_note": "A",
    "payment": "R",
    "refund": "V",
    "remittance": "B",  # a remittance slip ("bordereau de remise")
    "direct_debit_batch": "P",  # a batch of SEPA direct debits ("prélèvements")
}


def document_number(kind: str, regie_code: str, year: int, seq: int) -> str:
    """e.g. F-CANTINE-2026-000017."""
    return f"{PREFIXES[kind]}-{regie_code}-{year}-{seq:06d}"
