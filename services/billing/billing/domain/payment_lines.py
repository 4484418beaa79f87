"""What a payment paid per invoice line (issue 12): French public accounting imputes receipts
per product, so each allocation of a payment to an invoice (domain/ledger.py `spread`) is
spread over the invoice's lines, and the régie knows which activity, and which child, each
euro paid. The amounts are recorded, append-only (`payment_lines`); a reversal records the
opposite of the payment's amounts, on the same lines.

The rule (`spread_over_lines`): the amount paid on an invoice goes to its lines in their
order (position), each up to what the line still owes, never beyond its total, and the
amounts add up to the allocation. What a line still owes:

- its total less what payments recorded on it (less their reversals);
- less its part of what covers the invoice without being recorded per line — the credits
  deducted from it (credit notes, an earlier payment's excess, at issue or later, less what
  a reversal gave back), and payments made before amounts were recorded per line. The
  ledger says how much that is (the invoice's lines less their payments, less what the
  invoice still owes); it is taken to cover the lines in the same order, first line first,
  over what payments have not covered. At issue, before any payment, that is "credits first,
  from the first line on"; a credit deducted after a partial payment covers the first lines
  still open. Being derived, a credit's part may move to an earlier line when a payment of
  it is reversed; what each line owes always adds up to what the invoice owes.
- A negative line (a discount: charges are never negative today, a credit deducted is shown
  as a `credit` line, which is not a product and never paid) owes nothing and is paid
  nothing: it lowers what the invoice owes, so it covers the lines in order, as the
  credits do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class PaidLine:
    """An invoice line (a product: a child's activity) as a payment sees it."""

    id: UUID
    amount_cents: int  # the line's total
    paid_cents: int = 0  # what payments recorded on it, less their reversals


def lines_owed(lines: Sequence[PaidLine], remaining_cents: int) -> list[tuple[UUID, int]]:
    """What each line still owes, in order (0 for a negative line): what payments have not
    covered of it, less its part, in line order, of what else covers the invoice (credits,
    discounts, payments not recorded per line). Adds up to `remaining_cents` when the ledger
    and the lines agree (they always do: ValueError otherwise)."""
    open_ = [(line.id, max(0, line.amount_cents - line.paid_cents)) for line in lines]
    covered = sum(cents for _, cents in open_) - remaining_cents
    if covered < 0 or remaining_cents < 0:
        raise ValueError("the invoice owes more than its lines, or less than nothing")
    owed = []
    for line_id, cents in open_:
        take = min(cents, covered)
        covered -= take
        owed.append((line_id, cents - take))
    return owed


def spread_over_lines(
    amount_cents: int, lines: Sequence[PaidLine], remaining_cents: int
) -> list[tuple[UUID, int]]:
    """An allocation of `amount_cents` to an invoice that still owes `remaining_cents`, spread
    over its lines in order, each up to what it still owes (`lines_owed`): (line, amount)
    for each line it pays, adding up to `amount_cents`."""
    if not 0 < amount_cents <= remaining_cents:
        raise ValueError("an allocation is positive and never beyond what the invoice owes")
    out = []
    left = amount_cents
    for line_id, owed in lines_owed(lines, remaining_cents):
        if left == 0:
            break
        take = min(left, owed)
        if take > 0:
            out.append((line_id, take))
            left -= take
    assert left == 0  # Σ owed = remaining ≥ amount
    return out
