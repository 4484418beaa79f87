"""The name of a household in an account's subscriptions."""

from __future__ import annotations

from family.domain.subscriptions import household_label


def test_a_household_is_named_by_its_guardians_last_names_in_order() -> None:
    assert household_label(["Martin", "Durand"]) == "Foyer Martin – Durand"
    assert household_label(["Durand", "Martin"]) == "Foyer Durand – Martin"


def test_a_name_shared_by_two_guardians_is_said_once() -> None:
    assert household_label(["Martin", "martin ", "Benali"]) == "Foyer Martin – Benali"


def test_a_household_without_guardians_is_still_named() -> None:
    assert household_label([]) == "Foyer"
    assert household_label(["  "]) == "Foyer"
