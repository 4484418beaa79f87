"""The family-facing emails about SEPA direct debit (billing's mandate and debit events): the
mandate to sign, then active, suspended after two rejections [000] or revoked; the
pre-notification of each debit; a rejected debit. One function per event type.

Bank details never appear in clear: events carry the masked IBAN only, and `masked_iban`
masks again whatever would still show more than the country, the check digits and the last
three characters (an email is kept in the database and in mailboxes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from notify.domain.french import euros, french_date, french_datetime
from notify.domain.plans import Letter, Notice, iso

# billing suspends a mandate at its second rejection [000]; the family is warned at the first.
REJECTIONS_BEFORE_SUSPENSION = 2
_SHOWN_AT_START, _SHOWN_AT_END = 4, 3


def masked_iban(value: str) -> str:
    """The IBAN as the family may see it: 'FR76 **** **** **** **** **** 189'. A value
    already masked by billing is kept; anything showing more is masked here."""
    compact = re.sub(r"\s+", "", str(value))
    visible = sum(1 for char in compact if char != "*")
    if "*" in compact and visible <= _SHOWN_AT_START + _SHOWN_AT_END:
        return str(value).strip()
    if len(compact) <= _SHOWN_AT_START + _SHOWN_AT_END:
        return "*" * len(compact)
    middle = len(compact) - _SHOWN_AT_START - _SHOWN_AT_END
    hidden = compact[:_SHOWN_AT_START] + "*" * middle + compact[-_SHOWN_AT_END:]
    return " ".join(hidden[i : i + 4] for i in range(0, len(hidden), 4))


def _mandate(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "mandate_id": str(p["mandate_id"]),
        "regie_name": p["regie_name"],
        "rum": p["rum"],
        "holder": p["holder"],
        "iban_masked": masked_iban(p["iban_masked"]),
    }


def mandate_requested(p: Mapping[str, Any], timezone: str) -> Letter:
    """The mandate a guardian registered online, to sign (`signature_url`) before
    `expires_at` [000]."""
    context = {
        **_mandate(p),
        "signature_url": p["signature_url"],
        "expires_at": iso(p["expires_at"]),
    }
    return Letter(
        "mandate_requested",
        context,
        Notice(
            "mandate_requested",
            "Mandat de prélèvement à signer",
            f"Votre mandat de prélèvement SEPA (référence {p['rum']}, {p['regie_name']})"
            " vous a été envoyé par e-mail pour signature ; le lien est valable jusqu'au"
            f" {french_datetime(p['expires_at'], timezone)}.",
        ),
    )


def mandate_activated(p: Mapping[str, Any]) -> Letter:
    """The mandate is signed: it applies from the next invoice [000]."""
    context = {
        **_mandate(p),
        "signed_on": iso(p["signed_on"]),
        "recorded_by": p["recorded_by"],
    }
    return Letter(
        "mandate_activated",
        context,
        Notice(
            "mandate_activated",
            "Prélèvement automatique activé",
            f"Votre mandat de prélèvement SEPA (référence {p['rum']}, {p['regie_name']}),"
            f" signé le {french_date(p['signed_on'])}, est actif : il s'applique à partir de"
            " votre prochaine facture.",
        ),
    )


def mandate_suspended(p: Mapping[str, Any]) -> Letter:
    """Suspended after its second rejection [000]: the family pays otherwise."""
    rejections = int(p["rejections"])
    context = {**_mandate(p), "rejections": rejections}
    return Letter(
        "mandate_suspended",
        context,
        Notice(
            "mandate_suspended",
            "Prélèvement automatique suspendu",
            f"Après {rejections} rejets de prélèvement, votre mandat (référence {p['rum']},"
            f" {p['regie_name']}) est suspendu : vos factures ne seront plus prélevées. Réglez-"
            "les en ligne par carte bancaire ou auprès de la régie.",
        ),
    )


def mandate_revoked(p: Mapping[str, Any]) -> Letter:
    by_family = p["revoked_by"] == "family"
    context = {**_mandate(p), "revoked_by": p["revoked_by"]}
    who = "à votre demande" if by_family else "par la régie"
    return Letter(
        "mandate_revoked",
        context,
        Notice(
            "mandate_revoked",
            "Mandat de prélèvement révoqué",
            f"Votre mandat de prélèvement SEPA (référence {p['rum']}, {p['regie_name']}) a été"
            f" révoqué {who} : vos prochaines factures ne seront plus prélevées.",
        ),
    )


def _debit(p: Mapping[str, Any]) -> dict[str, Any]:
    return {
        **_mandate(p),
        "invoice_id": str(p["invoice_id"]),
        "invoice_number": p["invoice_number"],
        "amount_cents": int(p["amount_cents"]),
        "collection_date": iso(p["collection_date"]),
    }


def direct_debit_announced(p: Mapping[str, Any]) -> Letter:
    """The pre-notification: which invoice, how much, on which day, on which account."""
    return Letter(
        "direct_debit_announced",
        _debit(p),
        Notice(
            "direct_debit_announced",
            "Avis de prélèvement",
            f"La facture n° {p['invoice_number']} ({p['regie_name']}) sera prélevée le"
            f" {french_date(p['collection_date'])} : {euros(p['amount_cents'])} sur le compte"
            f" {masked_iban(p['iban_masked'])}.",
        ),
    )


def direct_debit_rejected(p: Mapping[str, Any]) -> Letter:
    """The bank rejected a debit (its reason in French): the invoice is to pay again. The
    first rejection warns that a second one suspends the mandate (its own email then)."""
    rejections = int(p["rejections"])
    context = {
        **_debit(p),
        "reason_code": p["reason_code"],
        "reason_label": str(p["reason_label"]).strip() or p["reason_code"],
        "rejections": rejections,
        "suspension_ahead": rejections < REJECTIONS_BEFORE_SUSPENSION,
    }
    body = (
        f"Le prélèvement de {euros(p['amount_cents'])} pour la facture n°"
        f" {p['invoice_number']} ({p['regie_name']}) a été rejeté par votre banque"
        f" (motif : {context['reason_label']}). La facture est de nouveau à payer."
    )
    return Letter(
        "direct_debit_rejected",
        context,
        Notice("direct_debit_rejected", "Prélèvement rejeté", body),
    )
