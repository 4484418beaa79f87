"""Charges grouped into lines (one per child, activity and price), rounded per line; credits
of a line never add up to more than the line."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal

from billing.domain.lines import Charge, credit_amount, group_lines, total


def charges(child, activity, days, unit_cents=415, *, late=False, qty=Decimal(1), name="Léa"):
    return [
        Charge(
            booking_id=uuid.uuid4(),
            child_id=child,
            child_name=name,
            activity_id=activity,
            activity_name="Cantine",
            day=day,
            late=late,
            unit="meal",
            unit_cents=unit_cents,
            quantity=qty,
            bracket="QF ≥ 801",
        )
        for day in days
    ]


def test_seventeen_meals_are_one_line_of_70_55():
    kid, canteen = uuid.uuid4(), uuid.uuid4()
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(17)]
    (line,) = group_lines(charges(kid, canteen, days))
    assert (line.quantity, line.unit_cents, line.amount_cents) == (17, 415, 7055)
    assert (line.period_from, line.period_to) == (days[0], days[-1])
    assert line.label == "Cantine — Léa" and line.unit_label == "repas"


def test_a_line_per_child_activity_and_price():
    lea, tom, canteen = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    d = date(2026, 9, 1)
    items = [
        *charges(lea, canteen, [d, d + timedelta(1)]),
        *charges(lea, canteen, [d + timedelta(2)], 457, late=True),
        *charges(tom, canteen, [d], 380, name="Tom"),
    ]
    lines = group_lines(items)
    assert [(x.child_name, x.unit_cents, x.quantity) for x in lines] == [
        ("Léa", 415, 2),
        ("Léa", 457, 1),
        ("Tom", 380, 1),
    ]
    assert total(lines) == 830 + 457 + 380


def test_fractional_quantities_round_once_per_line():
    kid, creche = uuid.uuid4(), uuid.uuid4()
    days = [date(2026, 9, 1) + timedelta(days=i) for i in range(3)]
    (line,) = group_lines(charges(kid, creche, days, 123, qty=Decimal("2.5")))
    assert line.quantity == Decimal("7.5") and line.amount_cents == 923


def test_credits_of_a_line_add_up_to_its_credited_quantity():
    # A line of 3 × 2,5 h at 1,23 € = 9,23 €, credited day by day: 3,08 + 3,07 + 3,08.
    credited, amounts = Decimal(0), []
    for _ in range(3):
        amounts.append(credit_amount(123, credited, Decimal("2.5")))
        credited += Decimal("2.5")
    assert sum(amounts) == 923
    assert credit_amount(415, Decimal(3), Decimal(2)) == 830
