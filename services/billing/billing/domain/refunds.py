"""Refunds: staff give a credit note's whole available amount back to the payer instead of
deducting it from the next invoice."""

from __future__ import annotations

from billing.domain.errors import NothingToRefund

METHODS = ("transfer", "cheque", "cash")


def refundable(available_cents: int) -> int:
    """The amount a refund of a credit note gives back: all that is left of it."""
    if available_cents <= 0:
        raise NothingToRefund()
    return available_cents
