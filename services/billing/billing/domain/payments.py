"""Payments: money a régie receives for a payer, by card online, at the counter, by direct
debit or from the wallet. Each one gets a receipt number (R-<CODE>-<year>-NNNNNN) and is
spread over the payer's invoices (those chosen, else the oldest unpaid first), never beyond
what each still owes; what exceeds them is the payer's credit (domain/ledger.py).

Counter payments (staff) [000]: cash, cheque (its number and bank), CESU and chèques
vacances (ANCV) titles, transfer. Cheques and the like are then gathered per method on a
remittance slip ("bordereau de remise") handed to the public treasury.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from billing.domain.errors import InvalidPaymentReference

# The contract's methods (shared/events/contract.py PAYMENT_METHODS).
METHODS = ("card", "cash", "cheque", "cesu", "ancv", "transfer", "direct_debit", "wallet")
COUNTER_METHODS = ("cash", "cheque", "cesu", "ancv", "transfer")
# What staff gather on a remittance slip (a transfer is already at the bank).
REMITTABLE = ("cash", "cheque", "cesu", "ancv")

LABELS = {
    "card": "Carte bancaire",
    "cash": "Espèces",
    "cheque": "Chèque",
    "cesu": "CESU",
    "ancv": "Chèques-Vacances (ANCV)",
    "transfer": "Virement",
    "direct_debit": "Prélèvement",
    "wallet": "Porte-monnaie",
}

# Reference fields a method requires, and those it may carry, as staff type them.
REQUIRED: dict[str, tuple[str, ...]] = {"cheque": ("cheque_number", "bank")}
ALLOWED: dict[str, tuple[str, ...]] = {
    "cash": ("note",),
    "cheque": ("cheque_number", "bank", "drawer", "note"),
    "cesu": ("title_numbers", "title_count", "note"),
    "ancv": ("title_numbers", "title_count", "note"),
    "transfer": ("transfer_reference", "note"),
}
FIELD_LABELS = {
    "cheque_number": "numéro du chèque",
    "bank": "banque",
    "drawer": "tireur",
    "note": "remarque",
    "title_numbers": "numéros des titres",
    "title_count": "nombre de titres",
    "transfer_reference": "référence du virement",
}


def counter_reference(method: str, reference: Mapping[str, Any]) -> dict[str, str]:
    """The reference of a counter payment, checked: a cheque names its number and bank;
    fields another method does not carry are refused (422 naming the field)."""
    allowed = ALLOWED[method]
    clean = {k: str(v).strip() for k, v in reference.items() if v is not None}
    for key in clean:
        if key not in allowed:
            raise InvalidPaymentReference(
                f"Le champ « {key} » ne s'applique pas à ce mode de paiement.", field=key
            )
    for key in REQUIRED.get(method, ()):
        if not clean.get(key):
            raise InvalidPaymentReference(
                f"Le {FIELD_LABELS[key]} est obligatoire pour un paiement par chèque.",
                field=key,
            )
    return {k: v for k, v in clean.items() if v}


def reference_text(method: str, reference: Mapping[str, str]) -> str:
    """One line as a slip or a receipt prints it: "Chèque n° 1234567 — Banque Postale"."""
    parts = []
    if reference.get("cheque_number"):
        parts.append(f"n° {reference['cheque_number']}")
    if reference.get("bank"):
        parts.append(reference["bank"])
    if reference.get("drawer"):
        parts.append(f"tireur : {reference['drawer']}")
    if reference.get("title_count"):
        parts.append(f"{reference['title_count']} titre(s)")
    if reference.get("title_numbers"):
        parts.append(f"titres {reference['title_numbers']}")
    if reference.get("transfer_reference"):
        parts.append(f"réf. {reference['transfer_reference']}")
    if reference.get("transaction"):
        parts.append(f"transaction {reference['transaction']}")
    return " — ".join(parts)
