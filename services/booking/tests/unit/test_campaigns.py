"""The rules of enrollment campaigns and renewals (issue 16), without I/O."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from booking.domain import campaigns
from booking.domain.campaigns import CatalogueEntry, map_activities
from booking.domain.errors import CampaignNotOpen

OPENS, CLOSES = date(2027, 6, 1), date(2027, 7, 15)


@pytest.mark.parametrize(
    ("today", "archived", "state"),
    [
        (date(2027, 5, 31), False, "upcoming"),
        (OPENS, False, "open"),
        (CLOSES, False, "open"),
        (date(2027, 7, 16), False, "closed"),
        (date(2027, 6, 10), True, "archived"),
    ],
)
def test_the_state_of_a_campaign_on_a_day(today: date, archived: bool, state: str) -> None:
    assert campaigns.state_on(OPENS, CLOSES, archived, today) == state


def test_a_family_outside_the_window_is_told_the_window() -> None:
    row = {
        "id": uuid.uuid4(),
        "name": "Périscolaire 2027-2028",
        "opens_on": OPENS,
        "closes_on": CLOSES,
        "archived_at": None,
    }
    campaigns.require_open(row, date(2027, 6, 1))
    with pytest.raises(CampaignNotOpen) as refused:
        campaigns.require_open(row, date(2027, 5, 1))
    assert refused.value.detail == (
        "Les inscriptions pour « Périscolaire 2027-2028 » sont ouvertes du 1er juin au"
        " 15 juillet 2027."
    )
    assert refused.value.extra["opens_on"] == "2027-06-01"
    with pytest.raises(CampaignNotOpen) as closed:
        campaigns.require_open(row, date(2027, 7, 16))
    assert "étaient ouvertes du 1er juin au 15 juillet 2027" in closed.value.detail
    # Across two years, both years said.
    assert campaigns.window(date(2026, 12, 15), date(2027, 1, 2)) == (
        "du 15 décembre 2026 au 2 janvier 2027"
    )


def test_a_school_year_is_two_consecutive_years() -> None:
    assert campaigns.valid_school_year("2027-2028")
    assert not campaigns.valid_school_year("2027-2029")
    assert not campaigns.valid_school_year("2027/2028")
    assert not campaigns.valid_school_year("27-28")


@pytest.mark.parametrize(
    ("grade", "after"),
    [
        ("TPS", "PS"),
        ("PS", "MS"),
        ("MS", "GS"),
        ("GS", "CP"),
        ("CP", "CE1"),
        ("CE1", "CE2"),
        ("CE2", "CM1"),
        ("CM1", "CM2"),
        ("CM2", "6e"),
        ("6e", None),
        ("Terminale", None),
        (None, None),
        # the household file's free text, as families and agents write it
        ("ce2", "CM1"),
        ("CE 2", "CM1"),
        (" cm2 ", "6e"),
        ("Grande section", "CP"),
        ("petite-section", "MS"),
        ("6ème", None),
        ("", None),
    ],
)
def test_the_next_grade(grade: str | None, after: str | None) -> None:
    assert campaigns.next_grade(grade) == after


def entry(name: str, type: str = "PERI", site: str = "École du Centre") -> CatalogueEntry:
    return CatalogueEntry(uuid.uuid4(), name, type, site)


def test_base_names_drop_the_years() -> None:
    assert campaigns.base_name("Périscolaire 2026-2027 — École du Centre") == (
        campaigns.base_name("Périscolaire 2027-2028 — École du Centre")
    )
    assert campaigns.base_name("Accueil du soir (2026)") == "accueil du soir"
    assert campaigns.base_name("Étude 2026/27") == campaigns.base_name("ÉTUDE 2027")


def test_previous_activities_are_mapped_by_type_site_and_name_without_years() -> None:
    peri = entry("Périscolaire 2026-2027")
    canteen = entry("Cantine 2026-2027", "CANTINE")
    club = entry("Club nature 2026", "MERCREDI")
    other_site = entry("Étude 2026-2027", "ETUDE", "École des Prés")
    new_peri = entry("Périscolaire 2027-2028")
    new_canteen = entry("Cantine 2027-2028", "CANTINE")
    twins = [entry("Club nature 2027", "MERCREDI"), entry("Club nature", "MERCREDI")]
    elsewhere = entry("Étude 2027-2028", "ETUDE", "École du Centre")
    wednesdays = entry("Mercredis au vert", "MERCREDI")
    mapped = map_activities(
        [peri, canteen, club, other_site],
        [new_peri, new_canteen, *twins, elsewhere, wednesdays],
    )
    assert mapped.to == {peri.id: new_peri.id, canteen.id: new_canteen.id}
    # Two candidates alike, or none on the same site: left to staff.
    assert mapped.unmapped == [club, other_site]
    explicit = map_activities([peri, club], [new_peri, wednesdays], {club.id: wednesdays.id})
    assert explicit.to == {peri.id: new_peri.id, club.id: wednesdays.id}
    assert explicit.unmapped == []
