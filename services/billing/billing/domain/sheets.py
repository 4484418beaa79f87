"""What a printed document shows, as plain data for its template: an invoice's or a credit
note's lines in a section per child, its totals (what was deducted, already paid, what
remains) and what the payer reads at the bottom. Amounts stay integer cents; the template
writes them the French way."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from billing.domain.french import french_date, period_text
from billing.domain.pricing import quantity_text


@dataclass(frozen=True)
class SheetLine:
    activity: str
    detail: str
    period: str
    quantity: str
    unit_cents: int
    amount_cents: int


@dataclass
class ChildSection:
    name: str
    lines: list[SheetLine] = field(default_factory=list)

    @property
    def subtotal_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


def _names(line: Mapping[str, Any]) -> tuple[str, str]:
    """(activity, child) as printed: the names kept on the line, else read from its label
    ("Cantine — Léa")."""
    activity, _, child = str(line["label"]).rpartition(" — ")
    return (line.get("activity_name") or activity or line["label"], line.get("child_name") or child)


def child_sections(lines: Sequence[Mapping[str, Any]]) -> list[ChildSection]:
    """Charged lines in a section per child, in the lines' order."""
    sections: dict[UUID | str, ChildSection] = {}
    for line in lines:
        activity, child = _names(line)
        key = line.get("child_id") or child
        section = sections.setdefault(key, ChildSection(child or "Enfant"))
        unit = line.get("unit")
        section.lines.append(
            SheetLine(
                activity=activity,
                detail=line["detail"],
                period=period_text(line.get("period_from"), line.get("period_to")),
                quantity=quantity_text(unit, line["quantity"]) if unit else "",
                unit_cents=line["unit_cents"],
                amount_cents=line["amount_cents"],
            )
        )
    return list(sections.values())


def invoice_sheet(invoice: Mapping[str, Any], lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """An issued invoice as printed: its lines per child, the credits deducted (lines of
    their own), what was already paid and what remains to pay by the due date."""
    charges = [x for x in lines if x["kind"] == "charge"]
    credits = [
        {"label": x["label"], "detail": x["detail"], "amount_cents": x["amount_cents"]}
        for x in lines
        if x["kind"] == "credit"
    ]
    total = invoice["total_cents"]
    credit = invoice["credit_cents"]
    paid = invoice.get("paid_cents") or 0
    remaining = invoice["remaining_cents"]
    due: date | None = invoice.get("due_date")
    if remaining <= 0 and credit and not paid:
        status = "Les avoirs déduits couvrent cette facture : rien à payer."
    elif remaining <= 0:
        status = "Facture acquittée : rien à payer."
    else:
        status = f"Montant à régler au plus tard le {french_date(due)}."
    return {
        "title": "Facture",
        "number": invoice["number"],
        "issue_date": invoice["issue_date"],
        "due_date": due,
        "origin": (
            "Réservations réglées à la validation du panier"
            if invoice["origin"] == "basket"
            else "Facturation mensuelle des prestations"
        ),
        "payer": invoice["payer"] or {},
        "regie": invoice["regie"] or {},
        "sections": child_sections(charges),
        "credits": credits,
        "total_cents": total,
        "credit_cents": credit,
        "paid_cents": paid,
        "remaining_cents": remaining,
        "status": status,
    }


def credit_note_sheet(
    note: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    allocations: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """A credit note as printed: the days it credits per child, and the invoices it was
    deducted from so far."""
    return {
        "title": "Avoir",
        "number": note["number"],
        "issue_date": note["issue_date"],
        "reason": note["reason"],
        "payer": note["payer"] or {},
        "regie": note["regie"] or {},
        "sections": child_sections(lines),
        "total_cents": note["total_cents"],
        "allocations": [
            {"number": a["number"], "amount_cents": a["amount_cents"]} for a in allocations
        ],
        "available_cents": note["available_cents"],
        "status": (
            "Cet avoir sera déduit automatiquement de votre prochaine facture de la régie."
            if note["available_cents"] > 0
            else "Cet avoir a été entièrement déduit."
        ),
    }
