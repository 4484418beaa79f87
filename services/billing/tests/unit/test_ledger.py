"""The ledger: balances and what remains due derive from the entries only."""

from __future__ import annotations

import uuid

from billing.domain.ledger import Entry, allocate, balance, credit_available, invoice_remaining


def test_balance_remaining_and_available_credit():
    f1, f2, a1 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    entries = [
        Entry("invoice", f1, 7055),
        Entry("credit_note", a1, -830),
        Entry("invoice", f2, 500),
        Entry("allocation", f2, 500, a1),
    ]
    assert balance(entries) == 7055 - 830 + 500
    assert invoice_remaining(entries, f1) == 7055
    assert invoice_remaining(entries, f2) == 0
    assert credit_available(entries, a1) == 330


def test_allocation_oldest_credit_first_never_beyond_the_invoice():
    a, b = uuid.uuid4(), uuid.uuid4()
    assert allocate([(a, 300), (b, 500)], 600) == [(a, 300), (b, 300)]
    assert allocate([(a, 300), (b, 500)], 0) == []
    assert allocate([(a, 0), (b, 500)], 100) == [(b, 100)]
