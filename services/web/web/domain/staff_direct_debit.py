"""The direct-debit back-office's pure logic: mandates and batches in words, the mandates a
search keeps, a batch's collection date and a rejection read from their forms, the kind of
a bank's rejection file, and the certificates a household may ask for."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from web.domain.staff_billing import Status

# Billing's ISO 20022 reason codes of SEPA rejects (billing's domain/direct_debit.REASONS,
# which its API checks): the codes staff may record by hand, in the order banks list them.
REASONS: dict[str, str] = {
    "AC01": "Coordonnées bancaires incorrectes (IBAN erroné)",
    "AC04": "Compte clôturé",
    "AC06": "Compte bloqué",
    "AC13": "Compte de débiteur non valide (type de compte)",
    "AG01": "Prélèvement interdit sur ce compte",
    "AG02": "Code opération non valide",
    "AM04": "Provision insuffisante",
    "AM05": "Prélèvement en double",
    "BE05": "Créancier non reconnu",
    "CNOR": "Banque du créancier non joignable",
    "DNOR": "Banque du débiteur non joignable",
    "FF01": "Format de fichier non valide",
    "MD01": "Absence de mandat",
    "MD02": "Informations du mandat manquantes ou erronées",
    "MD06": "Remboursement demandé par le débiteur",
    "MD07": "Titulaire du compte décédé",
    "MS02": "Opposition du débiteur (motif non communiqué)",
    "MS03": "Motif non communiqué par la banque",
    "RC01": "Code banque (BIC) incorrect",
    "RR01": "Identification du débiteur manquante (motif réglementaire)",
    "RR02": "Nom ou adresse du débiteur manquant (motif réglementaire)",
    "RR03": "Nom ou adresse du créancier manquant (motif réglementaire)",
    "RR04": "Motif réglementaire",
    "SL01": "Service particulier de la banque du débiteur (opposition, liste blanche ou noire)",
}

MANDATE_STATUSES: dict[str, Status] = {
    "active": Status("Actif", "done"),
    "pending_signature": Status("En attente de signature", "draft"),
    "suspended": Status("Suspendu", "error"),
    "revoked": Status("Révoqué", "cancelled"),
}
# The statuses staff filter on, in the order of the filter's list.
MANDATE_FILTERS: dict[str, str] = {
    "": "Tous",
    "active": "Actifs",
    "suspended": "Suspendus",
    "revoked": "Révoqués",
    "pending_signature": "En attente de signature",
}
ITEM_STATUSES: dict[str, Status] = {
    "collected": Status("Prélevé", "done"),
    "rejected": Status("Rejeté", "error"),
}
# The bank's rejection files billing imports: a pain.002 report or a CSV.
IMPORT_TYPES = {"xml": "application/xml", "csv": "text/csv"}
MAX_IMPORT_BYTES = 5 * 1024 * 1024

# The certificates billing makes, by the word in the back-office's URL.
CERTIFICATES: dict[str, str] = {
    "presence": "attendance",
    "frais-de-garde": "childcare",
    "paiements": "payments",
}
CERTIFICATE_TITLES: dict[str, str] = {
    "presence": "Attestation de présence",
    "frais-de-garde": "Attestation de frais de garde (crédit d'impôt)",
    "paiements": "Attestation de paiement",
}


def mandate_status(status: str) -> Status:
    return MANDATE_STATUSES.get(status, Status(status, "draft"))


def item_status(status: str) -> Status:
    return ITEM_STATUSES.get(status, Status(status, "draft"))


def batch_status(batch: dict[str, Any]) -> Status:
    """A batch is sent to the bank when made; what the bank rejected since is told."""
    rejected, count = batch.get("rejected_count") or 0, batch.get("item_count") or 0
    if not rejected:
        return Status("Transmis à la banque", "done")
    if rejected >= count:
        return Status("Entièrement rejeté", "error")
    return Status(f"{rejected} rejet{'s' if rejected > 1 else ''}", "warning")


def reason_label(code: str | None) -> str:
    if not code:
        return ""
    return REASONS.get(code, f"Motif {code}")


def matching_mandates(
    mandates: list[dict[str, Any]], text: str, household_ids: set[str]
) -> list[dict[str, Any]]:
    """The mandates a search keeps: its holder's name, its reference (RUM) or the masked
    IBAN's visible digits containing the text, or a household the family search found."""
    wanted = text.strip().casefold()
    if not wanted:
        return mandates
    return [
        m
        for m in mandates
        if str(m.get("household_id")) in household_ids
        or any(wanted in str(m.get(k) or "").casefold() for k in ("holder", "rum", "iban_masked"))
    ]


def _uuid(text: Any) -> str | None:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


@dataclass
class BatchForm:
    """The next batch to prepare: its régie and collection date as typed."""

    regie_id: str = ""
    collection_date: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"collection_date": self.collection_date}


def read_batch_form(form: Any, today: date) -> BatchForm:
    read = BatchForm(
        regie_id=_uuid(form.get("regie_id")) or "",
        collection_date=str(form.get("collection_date") or "").strip(),
    )
    if not read.regie_id:
        read.errors["regie_id"] = "Choisissez la régie."
    try:
        day = date.fromisoformat(read.collection_date)
    except ValueError:
        read.errors["collection_date"] = "Indiquez la date d'échéance au format jj/mm/aaaa."
    else:
        if day <= today:
            read.errors["collection_date"] = "La date d'échéance doit être dans le futur."
    return read


@dataclass
class RejectionForm:
    """A bank's rejection typed by hand: the batch's line and the bank's reason."""

    item_id: str = ""
    reason_code: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "reason_code": self.reason_code}


def read_rejection_form(form: Any, item_ids: set[str]) -> RejectionForm:
    read = RejectionForm(
        item_id=_uuid(form.get("item_id")) or "",
        reason_code=str(form.get("reason_code") or "").strip().upper(),
    )
    if read.item_id not in item_ids:
        read.errors["item_id"] = "Choisissez le prélèvement rejeté."
    if read.reason_code not in REASONS:
        read.errors["reason_code"] = "Choisissez le motif du rejet donné par la banque."
    return read


def import_type(filename: str, content: bytes) -> str | None:
    """The content type billing's import expects for the bank's file (its name's extension,
    or an XML prolog), None for a file that is neither."""
    name = filename.lower()
    if name.endswith(".xml") or content.lstrip().startswith(b"<"):
        return IMPORT_TYPES["xml"]
    if name.endswith((".csv", ".txt")):
        return IMPORT_TYPES["csv"]
    return None


def certificate_years(today: date, count: int = 4) -> list[int]:
    """The years a certificate is usually asked for: this one and the previous ones (the
    childcare one is declared in the spring for the past year)."""
    return [today.year - n for n in range(count)]


@dataclass
class CertificateForm:
    kind: str
    year: int | None = None
    child_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def params(self) -> dict[str, str]:
        """Billing's query: a calendar year, and the child for an attendance certificate."""
        assert self.year is not None
        if CERTIFICATES[self.kind] == "childcare":
            return {"year": str(self.year)}
        period = {"from": f"{self.year}-01-01", "to": f"{self.year}-12-31"}
        if CERTIFICATES[self.kind] == "attendance":
            period["child_id"] = self.child_id
        return period


def read_certificate_form(kind: str, query: Any, child_ids: set[str]) -> CertificateForm:
    read = CertificateForm(kind=kind, child_id=_uuid(query.get("enfant")) or "")
    text = str(query.get("annee") or "").strip()
    if text.isdigit() and 2000 <= int(text) <= 2100:
        read.year = int(text)
    else:
        read.errors[f"{kind}-annee"] = "Indiquez l'année (quatre chiffres)."
    if CERTIFICATES[kind] == "attendance" and read.child_id not in child_ids:
        read.errors[f"{kind}-enfant"] = "Choisissez l'enfant."
    return read


def certificate_refusal(status: int, content: bytes) -> str:
    """Why billing made no certificate, in its own words when it gave them (its problem's
    French detail: "Aucune facture n'a été émise sur la période.")."""
    try:
        detail = json.loads(content).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail:
        return detail
    if status == 404:
        return "Rien à attester pour cette année."
    return "L'attestation n'a pas pu être préparée ; vérifiez l'année demandée."
