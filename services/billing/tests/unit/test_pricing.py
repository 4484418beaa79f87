"""Prices by QF bracket, by child rank, by effort rate; maximum when the QF is unknown or
expired; late surcharge; non-resident rate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.errors import InvalidGrid
from billing.domain.pricing import (
    Bracket,
    EffortRate,
    PriceGrid,
    Pricing,
    Quotient,
    Sibling,
    Surcharge,
    check_grid,
    child_rank,
    overlaps,
    quotient_on,
)

BRACKETS = (
    Bracket(0, 450, (120, 100)),
    Bracket(451, 800, (250, 220)),
    Bracket(801, None, (415, 380, 350)),
)


def grid(**extra) -> PriceGrid:
    values = {
        "id": uuid.uuid4(),
        "activity_id": uuid.uuid4(),
        "valid_from": date(2026, 9, 1),
        "valid_to": date(2027, 7, 6),
        "brackets": BRACKETS,
        **extra,
    }
    return PriceGrid(**values)


def test_the_bracket_of_the_qf_gives_the_price_and_is_named():
    price = grid().price(qf=823, rank=1, late=False)
    assert price.unit_cents == 415
    assert price.bracket == "QF ≥ 801, enfant de rang 1"
    assert grid().price(qf=450, rank=1, late=False).unit_cents == 120
    assert grid().price(qf=451, rank=1, late=False).unit_cents == 250


def test_sibling_reductions_by_rank_the_last_amount_for_higher_ranks():
    g = grid()
    assert [g.price(qf=900, rank=r, late=False).unit_cents for r in (1, 2, 3, 4)] == [
        415,
        380,
        350,
        350,
    ]
    assert g.price(qf=100, rank=5, late=False).unit_cents == 100


def test_unknown_qf_pays_the_maximum():
    price = grid().price(qf=None, rank=1, late=False)
    assert price.unit_cents == 415
    assert price.bracket.startswith("QF inconnu : tarif maximum")
    assert grid().price(qf=None, rank=2, late=False).unit_cents == 380


def test_effort_rate_within_min_and_max():
    g = grid(brackets=(), effort=EffortRate(Decimal("0.5"), 150, 600))
    assert g.price(qf=823, rank=1, late=False).unit_cents == 412  # 4,115 € rounded up
    assert g.price(qf=100, rank=1, late=False).unit_cents == 150
    assert g.price(qf=5000, rank=1, late=False).unit_cents == 600
    assert g.price(qf=None, rank=1, late=False).unit_cents == 600
    assert g.price(qf=823, rank=1, late=False).bracket == "Taux d'effort 0,5 % × QF 823"


def test_late_surcharge_percentage_or_amount():
    pct = grid(late=Surcharge("percent", Decimal("10")))
    price = pct.price(qf=823, rank=1, late=True)
    assert (price.unit_cents, price.base_cents, price.surcharge_cents) == (457, 415, 42)
    assert price.bracket.endswith("hors délai +10 %")
    assert pct.price(qf=823, rank=1, late=False).unit_cents == 415
    amount = grid(late=Surcharge("amount", Decimal(150)))
    assert amount.price(qf=823, rank=1, late=True).unit_cents == 565
    assert amount.price(qf=823, rank=1, late=True).bracket.endswith("hors délai +1,50 €")
    assert grid().price(qf=823, rank=1, late=True).unit_cents == 415  # no surcharge set


def test_non_resident_rate():
    g = grid(non_resident_cents=650)
    assert g.price(qf=100, rank=1, late=False, resident=False).unit_cents == 650
    assert g.price(qf=100, rank=1, late=False, resident=False).bracket == "Tarif hors commune"
    assert g.price(qf=100, rank=1, late=False, resident=True).unit_cents == 120
    assert grid().price(qf=100, rank=1, late=False, resident=False).unit_cents == 120


def test_quotient_in_force_unknown_or_expired():
    at = datetime(2026, 1, 1, tzinfo=UTC)
    later = datetime(2026, 2, 1, tzinfo=UTC)
    quotients = [
        Quotient(700, date(2026, 1, 1), date(2026, 12, 31), at),
        Quotient(500, date(2026, 9, 1), date(2026, 12, 31), at),
        Quotient(520, date(2026, 9, 1), date(2026, 12, 31), later),
    ]
    assert quotient_on(quotients, date(2025, 12, 31)) is None
    assert quotient_on(quotients, date(2026, 8, 31)) == 700
    assert quotient_on(quotients, date(2026, 9, 1)) == 520  # the latest recorded wins a tie
    assert quotient_on(quotients, date(2027, 1, 1)) is None  # expired


def test_rank_eldest_first_unknown_child_first():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    siblings = [Sibling(a, date(2018, 1, 1)), Sibling(b, date(2015, 1, 1))]
    assert child_rank(siblings, b) == 1
    assert child_rank(siblings, a) == 2
    assert child_rank(siblings, c) == 1


def test_pricing_gathers_grid_quotient_rank_and_residence():
    kid = uuid.uuid4()
    pricing = Pricing(
        grids=[grid()],
        quotients=[Quotient(300, date(2026, 1, 1), None, datetime(2026, 1, 1, tzinfo=UTC))],
        siblings=[Sibling(kid, date(2018, 1, 1))],
    )
    assert pricing.price(kid, date(2026, 9, 3), late=False).unit_cents == 120
    assert pricing.price(kid, date(2026, 8, 31), late=False) is None  # no grid that day


def b(qf_min, qf_max, *amounts):
    return {"qf_min": qf_min, "qf_max": qf_max, "amounts": list(amounts)}


@pytest.mark.parametrize(
    ("brackets", "effort"),
    [
        ([b(1, None, 100)], None),  # does not start at 0
        ([b(0, 450, 100), b(452, None, 200)], None),  # a gap
        ([b(0, 450, 100), b(400, None, 200)], None),  # an overlap
        ([b(0, 450, 100), b(451, 900, 200)], None),  # last not open
        ([b(0, None, 100), b(1, None, 200)], None),  # open too early
        ([b(0, None)], None),  # no price
        (None, None),  # nothing
        ([b(0, None, 100)], {"rate": 1, "min_cents": 0, "max_cents": 10}),  # both
        (None, {"rate": 1, "min_cents": 20, "max_cents": 10}),  # min above max
    ],
)
def test_invalid_grids_are_refused(brackets, effort):
    with pytest.raises(InvalidGrid):
        check_grid(brackets, effort, date(2026, 9, 1), None)


def test_valid_grids_and_periods():
    check_grid([b(0, 450, 100), b(451, None, 200, 150)], None, date(2026, 9, 1), None)
    check_grid(None, {"rate": 1, "min_cents": 0, "max_cents": 10}, date(2026, 9, 1), None)
    with pytest.raises(InvalidGrid):
        check_grid([b(0, None, 1)], None, date(2026, 9, 1), date(2026, 8, 1))
    d = date
    assert overlaps(d(2026, 9, 1), None, d(2027, 1, 1), d(2027, 2, 1))
    assert not overlaps(d(2026, 9, 1), d(2026, 12, 31), d(2027, 1, 1), None)
    assert overlaps(d(2026, 9, 1), d(2026, 12, 31), d(2026, 12, 31), None)


def test_quantities_in_french():
    from billing.domain.pricing import quantity_text

    assert quantity_text("meal", Decimal(2)) == "2 repas"
    assert quantity_text("hour", Decimal("7.50")) == "7,5 heures"
    assert quantity_text("day", Decimal("1.00")) == "1 journée"
    assert quantity_text("half_day", Decimal(3)) == "3 demi-journées"
