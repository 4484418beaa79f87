"""What certificates certify: children under 6 on 1 January as the tax administration counts
them, childcare amounts net of credits per régie, present days per régie and activity."""

from __future__ import annotations

import uuid
from datetime import date

from billing.domain.certificates import attendance_by_regie, childcare_by_regie, under_six

PERI, CRECHE = uuid.uuid4(), uuid.uuid4()


def test_under_six_on_the_first_of_january():
    # 2026 expenses: children born in 2020 or later.
    assert under_six(date(2020, 1, 1), 2026)
    assert under_six(date(2025, 12, 31), 2026)
    assert not under_six(date(2019, 12, 31), 2026)


def test_childcare_amounts_per_regie_for_young_children_only():
    lea, tom, max_ = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    children = {
        lea: {"first_name": "Léa", "last_name": "Martin", "birth_date": date(2021, 3, 1)},
        tom: {"first_name": "Tom", "last_name": "Martin", "birth_date": date(2018, 3, 1)},
        max_: {"first_name": "Max", "last_name": "Martin", "birth_date": date(2023, 3, 1)},
    }
    amounts = [
        {"regie_id": PERI, "child_id": lea, "invoiced_cents": 5000, "credited_cents": 380},
        {"regie_id": PERI, "child_id": tom, "invoiced_cents": 9000, "credited_cents": 0},
        {"regie_id": CRECHE, "child_id": max_, "invoiced_cents": 0, "credited_cents": 0},
        {"regie_id": CRECHE, "child_id": lea, "invoiced_cents": 0, "credited_cents": 200},
        {"regie_id": PERI, "child_id": uuid.uuid4(), "invoiced_cents": 100, "credited_cents": 0},
    ]
    out = childcare_by_regie(amounts, children, 2026)
    assert [(a.name, a.net_cents) for a in out[PERI]] == [("Léa Martin", 4620)]
    assert [(a.name, a.net_cents) for a in out[CRECHE]] == [("Léa Martin", -200)]


def test_present_days_per_regie_and_activity():
    rows = [
        {"regie_id": PERI, "activity_name": "Garderie", "day": date(2026, 9, 4)},
        {"regie_id": PERI, "activity_name": "Accueil du soir", "day": date(2026, 9, 3)},
        {"regie_id": PERI, "activity_name": "Garderie", "day": date(2026, 9, 3)},
        {"regie_id": PERI, "activity_name": "Garderie", "day": date(2026, 9, 3)},
        {"regie_id": CRECHE, "activity_name": "Crèche", "day": date(2026, 9, 7)},
    ]
    out = attendance_by_regie(rows)
    assert [(a.activity, a.count, a.days_text) for a in out[PERI]] == [
        ("Accueil du soir", 1, "03/09"),
        ("Garderie", 2, "03/09, 04/09"),
    ]
    assert out[CRECHE][0].count == 1
