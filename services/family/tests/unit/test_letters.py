"""The subscriber-code letter's words: who it is addressed to, the town's name, the file."""

from __future__ import annotations

from datetime import date

from family.domain import letters


def test_a_letter_is_addressed_to_the_guardians_at_the_households_address() -> None:
    letter = letters.letter_of(
        {
            "subscriber_code": "K7QX9M2HTA",
            "address": {
                "line1": "3 place de la Mairie",
                "line2": "",
                "postal_code": "74330",
                "city": "Epagny",
            },
        },
        [
            {"first_name": "Claire", "last_name": "Martin"},
            {"first_name": "Paul", "last_name": "Durand"},
        ],
        [{"first_name": "Léa", "last_name": "Martin"}],
    )
    assert letter.code == "K7QX9-M2HTA"
    assert letter.guardians == ["Claire Martin", "Paul Durand"]
    assert letter.address == ["3 place de la Mairie", "74330 Epagny"]  # no empty line
    assert letter.children == ["Léa Martin"]
    anonymised = letters.letter_of({"subscriber_code": "K7QX9M2HTA", "address": {}}, [], [])
    assert anonymised.address == []


def test_the_towns_name_and_its_town_hall() -> None:
    assert letters.town_name("", "  Ville d'Épagny ", "epagny") == "Épagny"
    assert letters.town_name("Ville de Démo", "Annecy", "demo") == "Démo"  # given first
    assert letters.town_name("Saint-Ouen", "", "x") == "Saint-Ouen"
    assert letters.town_name("Ville de", "", "x") == "Ville de"  # nothing after the prefix
    assert letters.town_name("", "", "saint-ouen") == "Saint-Ouen"
    assert letters.town_name("", "", "demo") == "Demo"
    assert letters.town_hall("Annecy") == "Mairie d'Annecy"
    assert letters.town_hall("Évian") == "Mairie d'Évian"
    assert letters.town_hall("Saint-Ouen") == "Mairie de Saint-Ouen"
    assert letters.town_hall("Hauteville") == "Mairie de Hauteville"


def test_file_names_and_dates() -> None:
    assert letters.file_name("K7QX9M2HTA") == "lettre-code-abonne-K7QX9-M2HTA.pdf"
    assert letters.file_name("K7QX9-M2HTA") == "lettre-code-abonne-K7QX9-M2HTA.pdf"
    assert letters.french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert letters.french_date(date(2026, 8, 15)) == "15 août 2026"
