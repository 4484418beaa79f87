"""What a payment paid per invoice line (domain/payment_lines.py): in the lines' order, each
up to what it still owes (credits deducted covering the first lines), never beyond a line's
total, adding up to the allocation; reversals give the lines back."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.payment_lines import PaidLine, lines_owed, spread_over_lines


def ids(n: int) -> list[uuid.UUID]:
    return [uuid.uuid4() for _ in range(n)]


def test_a_payment_pays_the_lines_in_order_each_up_to_its_total():
    a, b, c = ids(3)
    lines = [PaidLine(a, 1660), PaidLine(b, 760), PaidLine(c, 415)]
    assert spread_over_lines(2000, lines, 2835) == [(a, 1660), (b, 340)]
    assert spread_over_lines(2835, lines, 2835) == [(a, 1660), (b, 760), (c, 415)]
    assert spread_over_lines(100, lines, 2835) == [(a, 100)]


def test_the_rest_goes_to_what_earlier_payments_left():
    a, b, c = ids(3)
    lines = [PaidLine(a, 1660, 1660), PaidLine(b, 760, 340), PaidLine(c, 415)]
    assert lines_owed(lines, 835) == [(a, 0), (b, 420), (c, 415)]
    assert spread_over_lines(835, lines, 835) == [(b, 420), (c, 415)]


def test_credits_deducted_cover_the_first_lines():
    a, b = ids(2)
    # 20,00 € of lines, a credit note of 5,00 € deducted at issue: 15,00 € owed.
    lines = [PaidLine(a, 1000), PaidLine(b, 1000)]
    assert lines_owed(lines, 1500) == [(a, 500), (b, 1000)]
    assert spread_over_lines(700, lines, 1500) == [(a, 500), (b, 200)]
    # The credit still covers the first line once payments are recorded.
    paid = [PaidLine(a, 1000, 500), PaidLine(b, 1000, 200)]
    assert lines_owed(paid, 800) == [(a, 0), (b, 800)]
    # A credit deducted after a partial payment covers the first lines still open.
    lines = [PaidLine(a, 1000, 1000), PaidLine(b, 1000)]
    assert lines_owed(lines, 500) == [(a, 0), (b, 500)]


def test_a_reversal_gives_the_lines_back():
    a, b = ids(2)
    # 10,00 € paid on the first line, then reversed: the recorded amounts cancel out.
    lines = [PaidLine(a, 1000, 1000 - 1000), PaidLine(b, 1000)]
    assert lines_owed(lines, 2000) == [(a, 1000), (b, 1000)]


def test_negative_and_free_lines_are_never_paid():
    a, discount, free, b = ids(4)
    lines = [PaidLine(a, 1000), PaidLine(discount, -300), PaidLine(free, 0), PaidLine(b, 500)]
    # The discount covers the first line, as a credit does: 12,00 € owed.
    assert lines_owed(lines, 1200) == [(a, 700), (discount, 0), (free, 0), (b, 500)]
    assert spread_over_lines(1200, lines, 1200) == [(a, 700), (b, 500)]


def test_an_allocation_is_positive_and_never_beyond_what_the_invoice_owes():
    a = uuid.uuid4()
    with pytest.raises(ValueError):
        spread_over_lines(0, [PaidLine(a, 1000)], 1000)
    with pytest.raises(ValueError):
        spread_over_lines(1001, [PaidLine(a, 1000)], 1000)
    with pytest.raises(ValueError):  # the ledger and the lines disagree
        lines_owed([PaidLine(a, 1000)], 1200)


@st.composite
def histories(draw):
    """Lines (some free or negative), and a sequence of operations on the invoice: payments
    (any amount up to what it owes), reversals of an earlier payment, credits deducted (up
    to what it owes), credits given back (a reversed payment's excess)."""
    amounts = draw(st.lists(st.integers(-500, 5000), min_size=1, max_size=6))
    if sum(amounts) < 0:
        amounts.append(-sum(amounts))
    ops = draw(
        st.lists(
            st.tuples(
                st.sampled_from(["pay", "reverse", "credit", "uncredit"]),
                st.integers(1, 10_000),
                st.integers(0, 100),
            ),
            max_size=12,
        )
    )
    return amounts, ops


@settings(max_examples=300, deadline=None)
@given(histories())
def test_whatever_the_history_lines_are_paid_in_order_within_their_totals(history):
    amounts, ops = history
    line_ids = ids(len(amounts))
    total = sum(amounts)
    paid = dict.fromkeys(line_ids, 0)  # recorded per line, less reversals
    payments: list[list[tuple[uuid.UUID, int]]] = []
    reversed_: set[int] = set()
    credited = 0  # net credits deducted (not recorded per line)
    for op, cents, pick in ops:
        remaining = total - sum(paid.values()) - credited
        lines = [PaidLine(i, a, paid[i]) for i, a in zip(line_ids, amounts, strict=True)]
        owed = lines_owed(lines, remaining)
        assert sum(c for _, c in owed) == remaining
        assert all(0 <= c <= max(0, a - paid[i]) for (i, c), a in zip(owed, amounts, strict=True))
        if op == "pay" and remaining > 0:
            amount = min(cents, remaining)
            out = spread_over_lines(amount, lines, remaining)
            assert sum(c for _, c in out) == amount and all(c > 0 for _, c in out)
            # In order: every line before the last one paid is paid all it owed.
            order = [i for i, _ in out]
            assert order == [i for i in line_ids if i in set(order)]
            last = line_ids.index(order[-1])
            assert all(dict(out).get(i, 0) == c for i, c in owed[:last])
            for i, c in out:
                paid[i] += c
            payments.append(out)
        elif op == "reverse" and len(reversed_) < len(payments):
            index = [k for k in range(len(payments)) if k not in reversed_][
                pick % (len(payments) - len(reversed_))
            ]
            reversed_.add(index)
            for i, c in payments[index]:
                paid[i] -= c  # the opposite amounts, on the same lines
        elif op == "credit" and remaining > 0:
            credited += min(cents, remaining)
        elif op == "uncredit":
            credited -= min(cents, credited)
        # Never beyond a line's total, never below nothing; a negative line is never paid.
        for i, a in zip(line_ids, amounts, strict=True):
            assert 0 <= paid[i] <= max(0, a)
