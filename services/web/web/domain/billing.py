"""The wallet ("tirelire") and the direct debit as the family reads them: an amount typed in
euros, the masked IBAN, the mandate's status in words, the movements' labels."""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from web.domain.french import euros


class AmountError(ValueError):
    """The typed amount is not one billing would take; the message says why, in French."""


# "12", "12,5", "12,50", "12.50", "1 250,00 €": euros and at most two decimals.
_AMOUNT = re.compile(r"^(\d{1,7})(?:[.,](\d{1,2}))?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


def parse_amount(text: str | None, minimum_cents: int, maximum_cents: int) -> int:
    """The amount in cents of what the family typed in euros, within the top-up limits."""
    cleaned = _SPACES.sub("", (text or "").strip()).removesuffix("€").removesuffix("EUR")
    if not cleaned:
        raise AmountError("Indiquez le montant à ajouter, en euros.")
    found = _AMOUNT.match(cleaned)
    if found is None:
        raise AmountError(
            "Indiquez un montant en euros avec au plus deux décimales, par exemple 12,50."
        )
    whole, decimals = found.group(1), (found.group(2) or "").ljust(2, "0")
    cents = int(whole) * 100 + int(decimals)
    if cents < minimum_cents:
        raise AmountError(f"Le montant minimum est de {euros(minimum_cents)}.")
    if cents > maximum_cents:
        raise AmountError(f"Le montant maximum est de {euros(maximum_cents)}.")
    return cents


def amount_field(cents: int) -> str:
    """Cents as the amount field shows them again: 1250 → '12,50'."""
    return f"{cents // 100},{cents % 100:02d}"


@dataclass(frozen=True)
class MandateStatus:
    label: str  # the status in a word or two, shown as text (never colour alone)
    explanation: str
    css: str  # the badge's class in billing.css


MANDATE_STATUSES: dict[str, MandateStatus] = {
    "pending_signature": MandateStatus(
        "En attente de signature",
        "Le mandat attend votre signature : suivez le lien reçu par courriel.",
        "waiting",
    ),
    "active": MandateStatus(
        "Actif",
        "Vos factures sont prélevées sur ce compte, à partir de la prochaine facture émise "
        "après la signature.",
        "active",
    ),
    "suspended": MandateStatus(
        "Suspendu",
        "Le mandat est suspendu après deux rejets de prélèvement : réglez vos factures par un "
        "autre moyen ou signez un nouveau mandat.",
        "suspended",
    ),
    "revoked": MandateStatus(
        "Révoqué",
        "Ce mandat n'est plus utilisé : plus rien n'est prélevé avec lui.",
        "revoked",
    ),
}


def mandate_status(status: str) -> MandateStatus:
    return MANDATE_STATUSES.get(status, MandateStatus(f"État : {status}", "", "revoked"))


# Which mandate the page shows first: the one in use, else the one to sign, else the
# suspended one; revoked ones are the history.
_PRECEDENCE = {"active": 0, "pending_signature": 1, "suspended": 2}


def current_mandates(mandates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The mandates still alive (active, to sign, suspended), the one in use first."""
    alive = [m for m in mandates if m.get("status") in _PRECEDENCE]
    return sorted(alive, key=lambda m: _PRECEDENCE[m["status"]])


def past_mandates(mandates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in mandates if m.get("status") not in _PRECEDENCE]


def iban_ending(masked: str | None) -> str:
    """The visible end of billing's masked IBAN ('FR76 **** … 189' → '189'), for the
    sentence read to the family ("compte se terminant par 189")."""
    if not masked:
        return ""
    tail = masked.replace(" ", "").rsplit("*", 1)[-1]
    return tail[-4:]


MOVEMENT_KINDS: dict[str, str] = {
    "top_up": "Rechargement par carte",
    "staff": "Crédit par la régie",
    "refund": "Remboursement",
    "debit": "Paiement de réservations",
    "payout": "Solde remboursé par la régie",
}


def movement_kind(kind: str) -> str:
    return MOVEMENT_KINDS.get(kind, "Mouvement")


def movement_direction(amount_cents: int) -> str:
    """Credit or debit in words (the sign and the colour are not enough)."""
    return "Crédit" if amount_cents >= 0 else "Débit"


def access_purpose(access: dict[str, Any]) -> str:
    """Why billing's staff saw the bank details, in words (the family's access log)."""
    if access.get("purpose") == "pain008":
        batch = access.get("batch_number")
        return (
            f"Fichier de prélèvement {batch} envoyé à la banque"
            if batch
            else ("Fichier de prélèvement envoyé à la banque")
        )
    return f"Consultation du mandat {access.get('rum') or ''}".strip()


def token_household(access_token: str | None) -> str | None:
    """The household id the family's access token carries (its `household_id` claim), read
    without checking the signature: the portal only builds billing's URL with it, and
    billing, which checks the token, refuses another household's. None when it has none."""
    try:
        payload = (access_token or "").split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(uuid.UUID(str(claims["household_id"])))
    except (IndexError, KeyError, TypeError, ValueError):
        return None


def debit_state(debit: dict[str, Any], today: date) -> str:
    """A debit in words: to come (pre-notified), collected, or rejected with the bank's
    reason."""
    if debit.get("status") == "rejected":
        reason = debit.get("reason_label") or debit.get("reason_code")
        return f"Rejeté par la banque : {reason}" if reason else "Rejeté par la banque"
    if str(debit.get("collection_date") or "") >= today.isoformat():
        return "À venir"
    return "Prélevé"


def debit_schedule(
    debits: list[dict[str, Any]], today: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The debits to come (soonest first) and the past ones (latest first), each with its
    state in words."""
    shown = [{**d, "state": debit_state(d, today)} for d in debits]
    upcoming = [d for d in shown if d["state"] == "À venir"]
    upcoming.sort(key=lambda d: str(d.get("collection_date")))
    past = [d for d in shown if d["state"] != "À venir"]
    return upcoming, past
