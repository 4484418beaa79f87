"""The family-facing emails about paying the household's bills (billing's payment events): the
receipt of a payment, a card payment that did not go through, money added to the wallet
("tirelire"), and the reminders of an unpaid invoice. One function per event type; each
returns the letter, or None when the family is not emailed about it (a payment from the
wallet, an abandoned card payment: see each function).

Amounts travel in cents and dates as ISO dates in the email's context; the emails and the
notices print them the French way ('70,55 €', '15 janvier 2027').
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notify.domain.french import euros, french_date
from notify.domain.plans import Letter, Notice, iso

# How a payment was made (contract PAYMENT_METHODS), as the receipt names it.
PAYMENT_METHODS = {
    "card": "Carte bancaire",
    "cash": "Espèces",
    "cheque": "Chèque",
    "cesu": "CESU (chèque emploi service universel)",
    "ancv": "Chèques-Vacances (ANCV)",
    "transfer": "Virement",
    "direct_debit": "Prélèvement automatique",
    "wallet": "Tirelire (compte famille)",
}


def payment_method(code: str) -> str:
    return PAYMENT_METHODS.get(code, code)


def reminder_rank(level: int) -> str:
    """'1re', '2e', '3e' (French ordinal abbreviations, as in '1re relance')."""
    return "1re" if level == 1 else f"{level}e"


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def payment_received(p: Mapping[str, Any]) -> Letter | None:
    """The receipt: number, date, method, amount, each invoice paid and what it still owes,
    and the credit kept when the payment exceeds them. None for a payment from the wallet:
    the family paid nothing new (the wallet was debited when the basket was validated, and
    the portal shows every wallet movement); a receipt would only repeat it. None for a
    direct debit either: billing records it when the batch is made, before the bank collects;
    the pre-notification already told the amount and date, and a rejection is emailed."""
    if p["method"] in ("wallet", "direct_debit"):
        return None
    allocations = [
        {
            "invoice_id": str(a["invoice_id"]),
            "invoice_number": a["invoice_number"],
            "amount_cents": int(a["amount_cents"]),
            "remaining_cents": int(a["remaining_cents"]),
        }
        for a in p["allocations"]
    ]
    context = {
        "payment_id": str(p["payment_id"]),
        "regie_name": p["regie_name"],
        "number": p["number"],
        "method": p["method"],
        "method_label": payment_method(p["method"]),
        "amount_cents": int(p["amount_cents"]),
        "received_on": iso(p["received_on"]),
        "allocations": allocations,
        "credit_cents": int(p["credit_cents"]),
    }
    body = (
        f"Paiement de {euros(p['amount_cents'])} reçu le {french_date(p['received_on'])}"
        f" ({p['regie_name']}) : reçu n° {p['number']}, mode de paiement :"
        f" {context['method_label']}."
    )
    settled = [a["invoice_number"] for a in allocations if a["remaining_cents"] == 0]
    if settled:
        body += f" {_count(len(settled), 'facture réglée', 'factures réglées')} :"
        body += f" {', '.join(settled)}."
    if context["credit_cents"]:
        body += f" {euros(context['credit_cents'])} conservés à votre crédit."
    return Letter("payment_received", context, Notice("payment_received", "Paiement reçu", body))


def payment_refused(p: Mapping[str, Any]) -> Letter | None:
    """A card payment the bank refused: nothing was debited; the invoices stay to pay (or,
    for a basket paid at booking, its held days are released: booking's own email tells
    which). None when the family abandoned the payment (`cancelled`) or never finished it in
    time (`expired`): they left the payment page themselves and know it did not go through;
    what follows from it reaches them anyway (the basket's released days, the invoice's due
    date and reminders), so a message of its own would only add noise."""
    if p["outcome"] != "refused":
        return None
    invoices, baskets = len(p["invoice_ids"]), len(p["basket_ids"])
    context = {
        "transaction_id": str(p["transaction_id"]),
        "amount_cents": int(p["amount_cents"]),
        "invoice_count": invoices,
        "for_basket": baskets > 0,
    }
    body = f"Votre paiement par carte bancaire de {euros(p['amount_cents'])} a été refusé :"
    body += " aucune somme n'a été débitée."
    if baskets:
        body += " Les jours réservés en attente de ce paiement sont libérés."
    elif invoices:
        body += (
            " La facture reste à payer."
            if invoices == 1
            else f" Les {invoices} factures restent à payer."
        )
    return Letter(
        "payment_refused",
        context,
        Notice("payment_refused", "Paiement refusé", body),
    )


# Why money was added to the wallet (contract WalletCredited.reason).
WALLET_CREDITS = {
    "top_up": "Rechargement par carte bancaire",
    "refund": "Remboursement de jours annulés",
    "staff": "Crédit enregistré par la régie",
}


def wallet_credited(p: Mapping[str, Any]) -> Letter:
    """Money added to the wallet, with the new balance: a card top-up confirmed, a refund of
    cancelled days, or a credit staff recorded (money handed in at the régie's desk, a
    correction). The family is told of the last one too: their balance changed without
    them, and the town's staff act on their account."""
    amount, balance = int(p["amount_cents"]), int(p["balance_cents"])
    context = {
        "movement_id": str(p["movement_id"]),
        "reason": p["reason"],
        "reason_label": WALLET_CREDITS.get(p["reason"], p["reason"]),
        "amount_cents": amount,
        "balance_cents": balance,
    }
    sentence = {
        "top_up": f"Votre rechargement de {euros(amount)} a bien été reçu.",
        "refund": f"Les jours annulés vous sont remboursés sur votre tirelire : {euros(amount)}.",
        "staff": f"La régie a crédité votre tirelire de {euros(amount)}.",
    }.get(p["reason"], f"Votre tirelire a été créditée de {euros(amount)}.")
    title = {
        "top_up": "Tirelire rechargée",
        "refund": "Remboursement sur votre tirelire",
    }.get(p["reason"], "Tirelire créditée")
    return Letter(
        "wallet_credited",
        context,
        Notice("wallet_credited", title, f"{sentence} Nouveau solde : {euros(balance)}."),
    )


def invoice_reminded(p: Mapping[str, Any]) -> Letter:
    """Reminder number `level` of an unpaid invoice past its due date; the `last` one says
    that the invoice will then be sent to the Trésor public for recovery."""
    level, last = int(p["level"]), bool(p["last"])
    context = {
        "invoice_id": str(p["invoice_id"]),
        "regie_name": p["regie_name"],
        "number": p["number"],
        "issue_date": iso(p["issue_date"]),
        "due_date": iso(p["due_date"]),
        "total_cents": int(p["total_cents"]),
        "amount_due_cents": int(p["amount_due_cents"]),
        "level": level,
        "rank": reminder_rank(level),
        "last": last,
    }
    body = (
        f"La facture n° {p['number']} ({p['regie_name']}) n'est pas réglée : il reste"
        f" {euros(p['amount_due_cents'])} à payer, la date limite était le"
        f" {french_date(p['due_date'])}."
    )
    if last:
        title = "Dernière relance avant transmission au Trésor public"
        body += " Sans règlement, elle sera transmise au Trésor public pour recouvrement."
    else:
        title = f"{reminder_rank(level)} relance : facture impayée"
    return Letter("invoice_reminded", context, Notice("invoice_reminded", title, body))
