from datetime import date

import pytest

from family.domain import changes
from family.domain.quotient import Quotient, in_force, validity_problems


def test_quotient_in_force_is_the_latest_covering_the_day():
    history = [
        Quotient(900, "caf", date(2024, 1, 1), date(2024, 12, 31), 1),
        Quotient(700, "staff", date(2024, 9, 1), None, 2),
        Quotient(650, "declared", date(2024, 9, 1), None, 3),
    ]
    assert in_force(history, date(2024, 6, 1)).value == 900
    assert in_force(history, date(2024, 10, 1)).value == 650
    assert in_force(history, date(2023, 1, 1)) is None  # unknown: maximum price
    assert validity_problems(date(2024, 2, 1), date(2024, 1, 1))
    assert not validity_problems(date(2024, 1, 1), None)


def test_a_change_is_decided_once_and_a_rejection_has_a_reason():
    pending = changes.Change("child", "update", "pending")
    assert changes.decide(pending, "approved", None) == "approved"
    assert changes.decide(pending, "rejected", "Pièce manquante") == "rejected"
    with pytest.raises(ValueError):
        changes.decide(pending, "rejected", "  ")
    with pytest.raises(changes.ChangeNotPending):
        changes.decide(changes.Change("child", "update", "approved"), "approved", None)
    with pytest.raises(ValueError):
        changes.Change("pet", "update", "pending")


def test_summaries_read_as_french():
    assert changes.summary("child", "update", "Léa Martin") == (
        "Modification d'un enfant : Léa Martin"
    )
    assert changes.summary("contact", "create") == "Ajout d'une personne à contacter"
    assert changes.summary("household", "update") == "Modification des coordonnées du foyer"
    assert changes.summary("health", "update") == "Modification de la fiche sanitaire"
    assert changes.summary("quotient", "create") == "Déclaration du quotient familial"
