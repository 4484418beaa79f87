"""Money: integer cents, rounded once per line, totals as sums of lines."""

from __future__ import annotations

from decimal import Decimal

from billing.domain.money import euros, line_amount, round_half_up
from billing.domain.numbering import document_number


def test_seventeen_days_at_4_15_make_70_55():
    assert line_amount(415, 17) == 7055
    assert euros(line_amount(415, 17)) == "70,55 €"


def test_rounding_is_half_up_once_per_line():
    assert round_half_up(Decimal("307.5")) == 308
    assert round_half_up(Decimal("-307.5")) == -308
    assert line_amount(123, Decimal("2.5")) == 308
    # Three lines of 2,5 h: each rounded; one line of 7,5 h: rounded once.
    assert 3 * line_amount(123, Decimal("2.5")) == 924
    assert line_amount(123, Decimal("7.5")) == 923


def test_french_display():
    assert euros(0) == "0,00 €"
    assert euros(-1200) == "-12,00 €"
    assert euros(123456) == "1\u202f234,56 €"


def test_numbers_are_per_kind_regie_and_year():
    assert document_number("invoice", "CANTINE", 2026, 17) == "F-CANTINE-2026-000017"
    assert document_number("credit_note", "CRECHE", 2027, 1) == "A-CRECHE-2027-000001"
