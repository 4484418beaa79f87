"""The append-only ledger of each payer: every document, payment and allocation is an entry,
and balances, what remains due and the payer's credits derive from the entries only.

- `invoice`: + the invoice's total (its lines before any credit is deducted);
- `credit_note`: − the credit note's total: a credit of the payer (`document_id` it);
- `allocation`: a credit deducted from an invoice (`document_id` the invoice, `related_id`
  the credit: a credit note, or a payment's excess): it settles part of the invoice and uses
  part of the credit, the balance does not move;
- `refund`: + a credit note's available amount given back to the payer (`document_id` the
  refund, `related_id` the credit note): the town owes that much less, and the credit note
  is no longer available to deduct;
- `payment`: − money received (`related_id` the payment). What settles an invoice has
  `document_id` the invoice; what exceeded the invoices it was spread over (an overpayment)
  has `document_id` the payment itself: a credit of the payer, deducted from its next
  invoices of the régie as a credit note is (an `allocation` related to the payment).

Reversing a payment (a bounced cheque, a rejected direct debit) appends the opposite
entries: + on each invoice it settled and on its excess, and a negative `allocation` for
each part of its excess deducted since; the invoices owe again what it had settled, and
nothing is ever updated or deleted. Amounts are signed throughout, so that these opposite
entries cancel out:

    balance = Σ signed entries but allocations = Σ invoices' remaining − Σ credits available
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

SIGNED = ("invoice", "credit_note", "payment", "refund")
KINDS = (*SIGNED, "allocation")


@dataclass(frozen=True)
class Entry:
    kind: str
    document_id: UUID
    amount_cents: int
    related_id: UUID | None = None


def balance(entries: Iterable[Entry]) -> int:
    """What the payer owes (negative: what the town owes the payer)."""
    return sum(e.amount_cents for e in entries if e.kind in SIGNED)


def invoice_remaining(entries: Iterable[Entry], invoice_id: UUID) -> int:
    """What an invoice still owes: its total less the credits deducted and the payments
    (negative) received for it; a reversal's opposite entries give it back."""
    remaining = 0
    for e in entries:
        if e.document_id != invoice_id:
            continue
        if e.kind in ("invoice", "payment"):
            remaining += e.amount_cents
        elif e.kind == "allocation":
            remaining -= e.amount_cents
    return remaining


def credit_available(entries: Iterable[Entry], credit_id: UUID) -> int:
    """What is left of a credit of the payer, a credit note or a payment's excess: its amount
    less what was deducted from invoices or refunded."""
    available = 0
    for e in entries:
        if e.kind in ("credit_note", "payment") and e.document_id == credit_id:
            available += -e.amount_cents
        elif e.kind in ("allocation", "refund") and e.related_id == credit_id:
            available -= e.amount_cents
    return available


def credits(entries: Iterable[Entry]) -> dict[UUID, int]:
    """Every credit of the payer with what is left of it (0 when used up)."""
    entries = list(entries)
    sources = {
        e.document_id
        for e in entries
        if e.kind == "credit_note" or (e.kind == "payment" and e.document_id == e.related_id)
    }
    return {source: credit_available(entries, source) for source in sources}


def spread(
    amount_cents: int, owed: Iterable[tuple[UUID, int]]
) -> tuple[list[tuple[UUID, int]], int]:
    """A payment spread over invoices in the order given, each settled at most up to what it
    still owes: (invoice, amount) for each one it pays, and what is left (the credit)."""
    out: list[tuple[UUID, int]] = []
    left = amount_cents
    for invoice_id, remaining in owed:
        if left <= 0:
            break
        take = min(left, remaining)
        if take > 0:
            out.append((invoice_id, take))
            left -= take
    return out, left


def allocate(available: Iterable[tuple[UUID, int]], due_cents: int) -> list[tuple[UUID, int]]:
    """Credits (oldest first) deducted from an invoice of `due_cents`, never beyond it."""
    out: list[tuple[UUID, int]] = []
    for credit_note_id, cents in available:
        if due_cents <= 0:
            break
        take = min(cents, due_cents)
        if take > 0:
            out.append((credit_note_id, take))
            due_cents -= take
    return out
