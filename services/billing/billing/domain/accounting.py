"""The accounting export of a régie for a period, for the town's finance software: a CSV
the French way (`;` between fields, amounts with a decimal comma and no thousands
separator, dates dd/mm/yyyy, UTF-8 with a byte order mark so that a spreadsheet reads the
accents, CRLF line ends).

One row per document and activity with the activity's accounting code: an invoice's
revenue (positive), a credit note's reduction (negative). One row per credit note deducted
from an invoice (negative, code empty, the credit note in `Document lié`): it settles part
of the invoice, as a payment will (payments are not recorded yet). The invoices' rows less
their deductions are what remains due.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

KINDS = {"invoice": "Facture", "credit_note": "Avoir", "allocation": "Avoir déduit"}
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
    ]


def csv_bytes(regie_code: str, entries: Iterable[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(row(regie_code, e) for e in entries)
    return (BOM + out.getvalue()).encode("utf-8")
