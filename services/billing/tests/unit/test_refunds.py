"""What a refund gives back, and how the ledger counts it."""

from __future__ import annotations

import uuid

import pytest

from billing.domain.errors import NothingToRefund
from billing.domain.ledger import Entry, balance, credit_available
from billing.domain.refunds import refundable


def test_a_refund_gives_back_all_that_is_left():
    assert refundable(415) == 415
    for nothing in (0, -1):
        with pytest.raises(NothingToRefund):
            refundable(nothing)


def test_a_refund_uses_the_credit_and_moves_the_balance():
    invoice, note, refund = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [
        Entry("invoice", invoice, 1660),
        Entry("credit_note", note, -830),
        Entry("refund", refund, 830, note),
    ]
    assert credit_available(entries, note) == 0
    assert balance(entries) == 1660
