"""The accounting export of a régie for a period, for the town's finance software: a CSV
the French way (`;` between fields, amounts with a decimal comma and no thousands
separator, dates dd/mm/yyyy, UTF-8 with a byte order mark so that a spreadsheet reads the
accents, CRLF line ends).

One row per document and activity with the activity's accounting code: an invoice's
revenue (positive), a credit note's reduction (negative). One row per credit deducted from
an invoice (negative, code empty, the credit in `Document lié`): a credit note, or the
excess of an earlier payment ("Trop-perçu déduit"). Payments received (by their receipt
number and date of receipt, `Mode de paiement` saying how): one row per invoice and
activity settled (negative, the invoice in `Document lié`, the activity and its accounting
code: what the payment paid of the invoice's lines of that activity,
domain/payment_lines.py; one row per invoice, code empty, for a payment recorded before
amounts were recorded per line) and one for what exceeded them (the payer's credit); a
reversed payment (a bounced cheque) gives the opposite rows on the day it was reversed
("Paiement annulé", and "Trop-perçu réintégré" for what of its excess had been deducted).
Refunds of credit notes (positive, the credit note in `Document lié`). The invoices' rows
less their deductions and the payments' rows naming them are what remains
due (a credit note's row, or a payment's excess, is the payer's credit until deducted).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from billing.domain.payments import LABELS, reference_text

KINDS = {
    "invoice": "Facture",
    "credit_note": "Avoir",
    "allocation": "Avoir déduit",
    "payment_credit": "Trop-perçu déduit",
    "payment_credit_undone": "Trop-perçu réintégré",
    "payment": "Paiement",
    "reversal": "Paiement annulé",
    "refund": "Remboursement",
}

HEADER = (
    "Type",
    "Numéro",
    "Date",
    "Échéance",
    "Régie",
    "Payeur",
    "Adresse du payeur",
    "Identifiant payeur",
    "Foyer",
    "Code comptable",
    "Activité",
    "Montant",
    "Document lié",
    "Mode de paiement",
)
BOM = "\ufeff"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def amount_text(cents: int) -> str:
    """-415 → "-4,15"; 123456 → "1234,56" (no thousands separator: numbers stay numbers)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole},{rest:02d}"


def text(value: Any) -> str:
    """A text cell: on one line, and never read as a formula by a spreadsheet."""
    out = ", ".join(part.strip() for part in str(value or "").splitlines() if part.strip())
    return f"'{out}" if out.startswith(_FORMULA) else out


def row(regie_code: str, entry: Mapping[str, Any]) -> list[str]:
    payer = entry["payer"] or {}
    return [
        KINDS[entry["kind"]],
        entry["number"],
        f"{entry['issue_date']:%d/%m/%Y}",
        f"{entry['due_date']:%d/%m/%Y}" if entry["due_date"] else "",
        regie_code,
        text(payer.get("name")),
        text(payer.get("address")),
        str(entry["payer_id"]),
        str(entry["household_id"]),
        text(entry["accounting_code"]),
        text(entry["activity"]),
        amount_text(entry["amount_cents"]),
        entry["related"] or "",
        LABELS.get(entry.get("method") or "", entry.get("method") or ""),
    ]


def csv_bytes(regie_code: str, entries: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(row(regie_code, e) for e in entries)
    return (BOM + out.getvalue()).encode("utf-8")


REMITTANCE_HEADER = (
    "Bordereau",
    "Reçu",
    "Date de réception",
    "Payeur",
    "Identifiant payeur",
    "Foyer",
    "Mode",
    "Références",
    "Montant",
)


def remittance_csv(remittance: Mapping[str, Any], payments: Iterable[Mapping[str, Any]]) -> bytes:
    """A remittance slip for the treasury's software or a spreadsheet, the French way (as the
    accounting export: `;`, decimal comma, dd/mm/yyyy, UTF-8 with BOM, CRLF): a row per
    payment, then the total."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(REMITTANCE_HEADER)
    total = 0
    for p in payments:
        total += p["amount_cents"]
        writer.writerow(
            [
                remittance["number"],
                p["number"],
                f"{p['received_on']:%d/%m/%Y}",
                text((p.get("payer") or {}).get("name")),
                str(p["payer_id"]),
                str(p["household_id"]),
                LABELS.get(p["method"], p["method"]),
                text(reference_text(p["method"], p.get("reference") or {})),
                amount_text(p["amount_cents"]),
            ]
        )
    writer.writerow(["Total", "", "", "", "", "", "", "", amount_text(total)])
    return (BOM + out.getvalue()).encode("utf-8")
