"""Split billing: who pays a booked day under each kind of rule, from its start date; a day
shared by percentage is two parts that add up to its price."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from billing.domain.errors import InvalidRule
from billing.domain.split import BillingRule, Share, check_rule, shares_on, split_unit

HOUSEHOLD, MUM, DAD = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def payers_of(rule, *days):
    return [[s.payer_id for s in rule.shares(day)] for day in days]


def test_alternate_weeks_from_the_reference_week():
    # Reference: the week of Wednesday 9 September 2026 is mum's.
    rule = BillingRule(date(2026, 9, 1), "alternate_weeks", MUM, DAD, date(2026, 9, 9))
    days = [date(2026, 9, 7), date(2026, 9, 13), date(2026, 9, 14), date(2026, 9, 21)]
    assert payers_of(rule, *days) == [[MUM], [MUM], [DAD], [MUM]]
    assert payers_of(rule, date(2026, 9, 4), date(2026, 8, 28)) == [[DAD], [MUM]]


def test_fixed_weekdays():
    rule = BillingRule(date(2026, 9, 1), "weekdays", MUM, DAD, weekdays=frozenset({1, 2}))
    monday, tuesday, wednesday = date(2026, 9, 7), date(2026, 9, 8), date(2026, 9, 9)
    assert payers_of(rule, monday, tuesday, wednesday) == [[MUM], [MUM], [DAD]]


def test_a_percentage_splits_each_day_into_parts_adding_up_to_its_price():
    rule = BillingRule(date(2026, 9, 1), "percentage", MUM, DAD, percent_a=Decimal("60"))
    shares = rule.shares(date(2026, 9, 7))
    assert [(s.payer_id, s.part) for s in shares] == [(MUM, 1), (DAD, 2)]
    assert split_unit(415, shares) == [249, 166]
    assert [s.label for s in shares] == [", part de 60 %", ", part de 40 %"]
    third = BillingRule(date(2026, 9, 1), "percentage", MUM, DAD, percent_a=Decimal("33.33"))
    for cents in (1, 99, 415, 1001, 0):
        assert sum(split_unit(cents, third.shares(date(2026, 9, 7)))) == cents
    assert split_unit(415, [Share(MUM)]) == [415]


def test_the_rule_in_force_on_the_day_booked():
    rules = [
        BillingRule(date(2026, 9, 1), "single", MUM),
        BillingRule(date(2026, 10, 1), "single", DAD),
        BillingRule(date(2027, 1, 1), "single", HOUSEHOLD),
    ]
    on = [
        s[0].payer_id
        for s in (
            shares_on(rules, d, HOUSEHOLD)
            for d in (date(2026, 8, 31), date(2026, 9, 30), date(2026, 10, 1), date(2027, 3, 1))
        )
    ]
    assert on == [HOUSEHOLD, MUM, DAD, HOUSEHOLD]


@pytest.mark.parametrize(
    ("kind", "a", "b", "settings", "message"),
    [
        ("single", MUM, DAD, {}, "qu'un payeur"),
        ("alternate_weeks", MUM, MUM, {"reference_week": date(2026, 9, 7)}, "deux payeurs"),
        ("alternate_weeks", MUM, DAD, {}, "semaine de référence"),
        ("weekdays", MUM, DAD, {"weekdays": []}, "jours du payeur A"),
        ("weekdays", MUM, DAD, {"weekdays": list(range(1, 8))}, "jours du payeur A"),
        ("percentage", MUM, DAD, {"percent_a": Decimal(100)}, "pourcentage"),
        ("percentage", MUM, uuid.uuid4(), {"percent_a": Decimal(50)}, "payeurs du foyer"),
    ],
)
def test_invalid_rules(kind, a, b, settings, message):
    options = {"reference_week": None, "weekdays": None, "percent_a": None, **settings}
    with pytest.raises(InvalidRule, match=message):
        check_rule(kind, a, b, payers=[HOUSEHOLD, MUM, DAD], **options)
