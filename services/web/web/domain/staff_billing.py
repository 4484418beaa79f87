"""The billing back-office's pure logic: campaigns and their issues in words, a campaign's
period read from the form, a counter payment read from the form into billing's body, billing's
problems placed next to the form's fields, the overdue households oldest first."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from web.domain.billing import AmountError, parse_amount
from web.domain.problems import GENERIC, FormErrors

# Billing's counter methods (CounterPaymentIn.method), in the order the counter meets them.
METHODS: dict[str, str] = {
    "cheque": "Chèque",
    "cash": "Espèces",
    "cesu": "CESU",
    "ancv": "Chèques-Vacances (ANCV)",
    "transfer": "Virement",
}
ALL_METHODS: dict[str, str] = {
    **METHODS,
    "card": "Carte bancaire",
    "direct_debit": "Prélèvement",
    "wallet": "Tirelire",
}
# What a remittance slip gathers (a transfer is at the bank already).
REMITTABLE = ("cheque", "cash", "cesu", "ancv")
# A counter payment's amount: billing takes 1 cent to 1 000 000 €.
MAX_PAYMENT_CENTS = 100_000_000


@dataclass(frozen=True)
class Status:
    label: str  # shown as text: never the colour alone
    css: str  # the badge's class in staff_billing.css


CAMPAIGN_STATUSES: dict[str, Status] = {
    "draft": Status("Brouillon", "draft"),
    "finalised": Status("Finalisée", "done"),
    "cancelled": Status("Annulée", "cancelled"),
}
SEVERITIES: dict[str, Status] = {
    "error": Status("Erreur : non facturé", "error"),
    "warning": Status("À vérifier", "warning"),
}


def campaign_status(status: str) -> Status:
    return CAMPAIGN_STATUSES.get(status, Status(status, "draft"))


def severity(value: str) -> Status:
    return SEVERITIES.get(value, SEVERITIES["warning"])


def method_label(method: str) -> str:
    return ALL_METHODS.get(method, method)


def issues_by_severity(issues: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors (days not billed) before warnings, then by day and child, as staff review them."""
    return sorted(
        issues,
        key=lambda i: (
            i.get("severity") != "error",
            i.get("day") or "",
            i.get("child_name") or "",
        ),
    )


def household_name(household: dict[str, Any]) -> str:
    """A household as staff call it: its guardians' names (family's file)."""
    names = [
        f"{g.get('first_name', '')} {g.get('last_name', '')}".strip()
        for g in household.get("guardians") or []
    ]
    return ", ".join(n for n in names if n) or "Foyer sans responsable"


def invoice_holder(invoice: dict[str, Any], households: dict[str, str]) -> str:
    """Who an invoice is for: its payer as printed once issued; a draft has no printed payer
    yet, so its household's name (`households`: id → name)."""
    payer = invoice.get("payer") or {}
    if payer.get("name"):
        return str(payer["name"])
    return households.get(str(invoice.get("household_id")), "Foyer")


def reminder_label(level: int | None) -> str:
    if not level:
        return "Aucune relance"
    return "1re relance" if level == 1 else f"{level}e relance"


def oldest_first(households: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Billing lists the most owed first; the counter works on the oldest debts first."""
    return sorted(
        households,
        key=lambda h: (h.get("oldest_due_date") or "9999", -(h.get("amount_due_cents") or 0)),
    )


def _uuid(text: Any) -> str | None:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None


def _date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text or "").strip())
    except ValueError:
        return None


@dataclass
class CampaignForm:
    """A campaign to draft: its régie and period as typed, and what is wrong with them."""

    regie_id: str = ""
    period_from: str = ""
    period_to: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "regie_id": self.regie_id,
            "period_from": self.period_from,
            "period_to": self.period_to,
        }


def read_campaign_form(form: Any) -> CampaignForm:
    read = CampaignForm(
        regie_id=str(form.get("regie_id", "")).strip(),
        period_from=str(form.get("period_from", "")).strip(),
        period_to=str(form.get("period_to", "")).strip(),
    )
    if _uuid(read.regie_id) is None:
        read.errors["regie_id"] = "Choisissez la régie."
    start, end = _date(read.period_from), _date(read.period_to)
    if start is None:
        read.errors["period_from"] = "Indiquez le premier jour de la période (jj/mm/aaaa)."
    if end is None:
        read.errors["period_to"] = "Indiquez le dernier jour de la période (jj/mm/aaaa)."
    if start and end and end < start:
        read.errors["period_to"] = "La fin de la période précède son début."
    return read


@dataclass
class PaymentForm:
    """A counter payment as typed at the counter; `body()` is billing's CounterPaymentIn."""

    household_id: str = ""
    regie_id: str = ""
    method: str = "cheque"
    amount: str = ""
    amount_cents: int = 0
    invoice_ids: list[str] = field(default_factory=list)
    cheque_number: str = ""
    bank: str = ""
    drawer: str = ""
    title_numbers: str = ""
    transfer_reference: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def reference(self) -> dict[str, str]:
        """Only the references billing allows for the method (it refuses the others)."""
        allowed = {
            "cheque": ("cheque_number", "bank", "drawer"),
            "cesu": ("title_numbers",),
            "ancv": ("title_numbers",),
            "transfer": ("transfer_reference",),
        }.get(self.method, ())
        return {name: getattr(self, name) for name in allowed if getattr(self, name)}

    def body(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "regie_id": self.regie_id,
            "household_id": self.household_id,
            "method": self.method,
            "amount_cents": self.amount_cents,
            "reference": self.reference(),
        }
        if self.invoice_ids:
            found["invoice_ids"] = self.invoice_ids
        return found


def read_payment_form(form: Any) -> PaymentForm:
    """The form's fields, checked as far as the counter can before billing: a known method,
    an amount in euros, a cheque's number and bank."""

    def text(name: str) -> str:
        return str(form.get(name, "")).strip()

    read = PaymentForm(
        household_id=text("household_id"),
        regie_id=text("regie_id"),
        method=text("method"),
        amount=text("amount"),
        invoice_ids=[i for i in (_uuid(v) for v in form.getall("invoice_ids", [])) if i],
        cheque_number=text("cheque_number"),
        bank=text("bank"),
        drawer=text("drawer"),
        title_numbers=text("title_numbers"),
        transfer_reference=text("transfer_reference"),
    )
    if _uuid(read.household_id) is None:
        read.errors["household_id"] = "Choisissez le foyer qui paie."
    if _uuid(read.regie_id) is None:
        read.errors["regie_id"] = "Choisissez la régie qui encaisse."
    if read.method not in METHODS:
        read.errors["method"] = "Choisissez le mode de paiement."
    try:
        read.amount_cents = parse_amount(read.amount, 1, MAX_PAYMENT_CENTS)
    except AmountError as exc:
        read.errors["amount"] = (
            "Indiquez le montant reçu, en euros." if not read.amount else str(exc)
        )
    if read.method == "cheque":
        if not read.cheque_number:
            read.errors["cheque_number"] = "Indiquez le numéro du chèque."
        if not read.bank:
            read.errors["bank"] = "Indiquez la banque du chèque."
    return read


# Billing's field names (CounterPaymentIn, its reference) → the form's.
_PAYMENT_FIELDS = {
    "amount_cents": "amount",
    "invoice_ids": "invoice_ids",
    "regie_id": "regie_id",
    "household_id": "household_id",
    "method": "method",
    "cheque_number": "cheque_number",
    "bank": "bank",
    "drawer": "drawer",
    "title_numbers": "title_numbers",
    "transfer_reference": "transfer_reference",
}


def payment_errors(problem: dict[str, Any] | None) -> FormErrors:
    """Billing's refusal of a counter payment, each message by the field it names: a
    validation's `errors` (`reference.bank` is the form's `bank`), a domain error's `field`
    (a cheque without its number), an invoice of another payer by the invoices."""
    if not problem:
        return FormErrors(general=GENERIC)
    found: dict[str, str] = {}
    others: list[str] = []
    named = [
        (str(e.get("field", "")), str(e.get("detail") or "")) for e in problem.get("errors") or []
    ]
    if problem.get("field"):
        named.append((str(problem["field"]), str(problem.get("detail") or "")))
    elif problem.get("invoice_id"):
        named.append(("invoice_ids", str(problem.get("detail") or "")))
    for name, detail in named:
        target = _PAYMENT_FIELDS.get(name.split(".")[-1]) or _PAYMENT_FIELDS.get(name.split(".")[0])
        if target and detail:
            found.setdefault(target, detail)
        elif detail:
            others.append(detail)
    general = None
    if not found or others:
        general = " ".join([str(problem.get("detail") or GENERIC), *others]).strip()
    return FormErrors(found, general)
