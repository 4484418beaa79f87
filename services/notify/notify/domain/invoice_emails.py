"""The family-facing emails about the household's bills (billing's events): a new invoice
available on the portal, with what is left to pay and by when; a credit note issued, deducted
from the household's next invoice of the same régie. One function per event type; the
régie's name and the credit note's reason come in the payload, in the town's own words.

Amounts travel in cents and dates as ISO dates in the email's context; the emails and the
notices print them the French way ('70,55 €', '15 janvier 2027').
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify.domain.french import euros, french_date
from notify.domain.plans import Letter, Notice, iso, reason


def to_pay(p: Mapping[str, Any]) -> bool:
    """Whether the invoice leaves something to pay (its credits may cover all of it)."""
    return int(p["amount_due_cents"]) > 0


def invoice_issued(p: Mapping[str, Any]) -> Letter:
    """A new invoice is available: its number, total, the credit deducted from it if any, the
    amount to pay and the due date (nothing to pay when credits cover all of it)."""
    total, credit, due = p["total_cents"], p["credit_cents"], p["amount_due_cents"]
    context = {
        "invoice_id": str(p["invoice_id"]),
        "regie_name": p["regie_name"],
        "number": p["number"],
        "origin": p["origin"],
        "issue_date": iso(p["issue_date"]),
        "due_date": iso(p["due_date"]),
        "total_cents": total,
        "credit_cents": credit,
        "amount_due_cents": due,
        "to_pay": to_pay(p),
    }
    body = f"La facture n° {p['number']} ({p['regie_name']}) de {euros(total)} est disponible"
    if credit:
        body += f", avoir de {euros(credit)} déduit"
    if to_pay(p):
        body += f" : {euros(due)} à payer au plus tard le {french_date(p['due_date'])}."
    else:
        body += " : vos avoirs couvrent la totalité de la facture, vous n'avez rien à payer."
    return Letter(
        "invoice_issued",
        context,
        Notice("invoice_issued", "Nouvelle facture disponible", body),
    )


def credit_note_issued(p: Mapping[str, Any]) -> Letter:
    """A credit note was issued: its number, amount and reason; it is deducted from the next
    invoice of the same régie."""
    why = reason(p.get("reason"))
    context = {
        "credit_note_id": str(p["credit_note_id"]),
        "regie_name": p["regie_name"],
        "number": p["number"],
        "issue_date": iso(p["issue_date"]),
        "total_cents": p["total_cents"],
        "reason": why,
    }
    because = f" Motif : {why.rstrip('.')}." if why else ""
    return Letter(
        "credit_note_issued",
        context,
        Notice(
            "credit_note_issued",
            "Avoir émis",
            f"Un avoir de {euros(p['total_cents'])} (n° {p['number']}, {p['regie_name']}) a"
            f" été émis en votre faveur.{because} Il sera déduit de votre prochaine facture.",
        ),
    )
