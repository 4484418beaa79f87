"""The append-only ledger of each payer: every document and allocation is an entry, and
balances and what remains due derive from the entries only.

- `invoice`: + the invoice's total (its lines before any credit is deducted);
- `credit_note`: − the credit note's total;
- `allocation`: a credit note's amount deducted from an invoice (`document_id` the invoice,
  `related_id` the credit note): it settles part of the invoice and uses part of the credit,
  the balance does not move.
- `refund`: + a credit note's available amount given back to the payer (`document_id` the
  refund, `related_id` the credit note): the town owes that much less, and the credit note
  is no longer available to deduct.
Payments (−) follow the same rule.
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
    remaining = 0
    for e in entries:
        if e.document_id != invoice_id:
            continue
        if e.kind == "invoice":
            remaining += e.amount_cents
        elif e.kind in ("allocation", "payment"):
            remaining -= abs(e.amount_cents)
    return remaining


def credit_available(entries: Iterable[Entry], credit_note_id: UUID) -> int:
    available = 0
    for e in entries:
        if e.kind == "credit_note" and e.document_id == credit_note_id:
            available += -e.amount_cents
        elif (e.kind == "allocation" and e.related_id == credit_note_id) or (
            e.kind == "refund" and e.related_id == credit_note_id
        ):
            available -= e.amount_cents
    return available


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
