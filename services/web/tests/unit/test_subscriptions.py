"""The account's subscriptions as the portal keeps and says them."""

from __future__ import annotations

from web.domain.subscriptions import HOUSEHOLD_LABEL, HOUSEHOLDS, summary, switched_notice

ITEMS = [
    {"id": "a", "label": "Foyer Martin – Durand", "current": False},
    {"id": "b", "label": "Foyer Benali", "current": True},
]


def test_the_session_keeps_the_count_and_the_current_household_s_name() -> None:
    assert summary(ITEMS) == {HOUSEHOLDS: 2, HOUSEHOLD_LABEL: "Foyer Benali"}
    # None forgets the keys: an account without households shows no switcher.
    assert summary([]) == {HOUSEHOLDS: None, HOUSEHOLD_LABEL: None}
    assert summary([{**ITEMS[0]}]) == {HOUSEHOLDS: 1, HOUSEHOLD_LABEL: None}


def test_the_notice_after_a_switch_names_the_household() -> None:
    assert switched_notice("Foyer Martin – Durand") == (
        "Vous consultez maintenant le foyer Martin – Durand."
    )
    assert switched_notice("Foyer") == "Vous consultez maintenant un autre foyer."
    assert switched_notice(None) == "Vous consultez maintenant un autre foyer."
