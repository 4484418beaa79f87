"""The fair opening's back-office forms (pure functions): moments typed in Paris time read
at the offset of their day, the priority rules ordered by their numbers, the edit's
changes, the levels and days as the tables say them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from multidict import MultiDict

from web.domain import staff_windows as domain

PARIS = ZoneInfo("Europe/Paris")
ACTIVITY = "aaaaaaaa-0000-4000-8000-000000000001"


def a_form(**changes: str) -> MultiDict[str]:
    fields = {
        "activity_id": ACTIVITY,
        "name": "Été 2027",
        "opens_at": "2027-05-03T08:00",
        "closes_at": "2027-05-17T23:59",
        **changes,
    }
    return MultiDict((k, v) for k, v in fields.items())


def test_moments_take_the_paris_offset_of_their_day() -> None:
    assert domain.parse_moment("2027-01-15T08:00", PARIS).isoformat() == (
        "2027-01-15T08:00:00+01:00"
    )
    assert domain.parse_moment("15/07/2027 8h30", PARIS).isoformat() == (
        "2027-07-15T08:30:00+02:00"
    )
    # an aware moment is kept as the same instant
    assert domain.parse_moment("2027-07-15T06:30:00+00:00", PARIS).isoformat() == (
        "2027-07-15T08:30:00+02:00"
    )
    assert domain.local_input("2027-03-20T07:00:00+00:00", PARIS) == "2027-03-20T08:00"
    with pytest.raises(ValueError):
        domain.parse_moment("demain matin", PARIS)


def test_rules_are_ordered_by_their_numbers_then_as_listed() -> None:
    form = a_form(
        **{
            "regle-resident": "oui",
            "ordre-resident": "3",
            "regle-sibling_enrolled": "oui",
            "regle-disability_plan": "oui",
            "ordre-disability_plan": "1",
            "autre-0-code": "quotient_bas",
            "autre-0-label": "Quotient bas",
            "autre-0-ordre": "2",
            "autre-1-code": "fratrie_3",
            "autre-1-label": "Trois enfants ou plus",
        }
    )
    _, read = domain.read_window_form(form, PARIS)
    assert not read.errors
    assert [r["code"] for r in read.body["priority_rules"]] == [
        "disability_plan",
        "quotient_bas",
        "resident",
        "sibling_enrolled",
        "fratrie_3",
    ]
    assert read.body["first_come_after"] is False
    assert "date_from" not in read.body and "date_to" not in read.body


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"activity_id": ""}, "activity_id", "Choisissez l'activité"),
        ({"closes_at": "2027-05-03T08:00"}, "closes_at", "doit suivre"),
        ({"opens_at": "bientôt"}, "opens_at", "date et l'heure d'ouverture"),
        ({"date_from": "2027-07-10", "date_to": "2027-07-01"}, "date_to", "précéder"),
        ({"autre-0-code": "x", "autre-0-label": "X"}, "priority_rules", "2 à 40"),
        ({"autre-0-code": "resident", "autre-0-label": "X"}, "priority_rules", "cochez-le"),
        ({"autre-0-code": "sans_label"}, "priority_rules", "Indiquez l'intitulé"),
        ({"regle-resident": "oui", "ordre-resident": "premier"}, "priority_rules", "entre 1"),
    ],
)
def test_what_is_refused_is_named(changes: dict[str, str], field: str, says: str) -> None:
    _, read = domain.read_window_form(a_form(**changes), PARIS)
    assert says in read.errors.fields[field]
    assert read.body == {}


def test_an_edit_sends_only_what_changed() -> None:
    window = {
        "activity_id": ACTIVITY,
        "name": "Été 2027",
        "opens_at": "2027-05-03T06:00:00+00:00",
        "closes_at": "2027-05-17T21:59:00+00:00",
        "date_from": "2027-07-06",
        "date_to": None,
        "priority_rules": [{"code": "resident", "label": "Résident de la commune"}],
        "first_come_after": False,
    }
    form = a_form(**{"date_from": "06/07/2027", "regle-resident": "oui"})
    _, read = domain.read_window_form(form, PARIS)
    assert domain.window_changes(read.body, window) == {}
    # the form shown again from the window gives the same form
    shown = domain.window_form_of(window, PARIS)
    assert shown.get("opens_at") == "2027-05-03T08:00" and shown.ticked == {"resident"}
    _, read = domain.read_window_form(a_form(name="Été", **{"date_to": "2027-07-31"}), PARIS)
    assert domain.window_changes(read.body, window) == {
        "name": "Été",
        "date_from": None,
        "date_to": "2027-07-31",
        "priority_rules": [],
    }


def test_levels_criteria_and_days_in_words() -> None:
    rules = [{"code": "resident", "label": "Résident"}, {"code": "x_y", "label": "Autre"}]
    assert domain.level_label(1, rules) == "1 – Résident"
    assert domain.level_label(3, rules) == "3 – Autres demandes"
    assert domain.level_label(None, rules) == "—"
    assert domain.criteria_labels(["x_y", "both_parents_working"], rules) == [
        "Autre",
        "Les deux parents travaillent",
    ]
    assert domain.day_text("2027-07-06") == "06/07/2027"
    assert domain.day_text({"date": "2027-07-06", "outcome": "booked"}) == (
        "06/07/2027 : place réservée"
    )
    waiting = {"date": "2027-07-06", "outcome": "waiting", "waiting_position": 2}
    assert domain.day_text(waiting) == "06/07/2027 : en liste d'attente (n° 2)"
    assert domain.items_of([{"id": 1}]) == [{"id": 1}]
    assert domain.items_of({"items": [{"id": 2}]}) == [{"id": 2}]
    assert domain.items_of(None) == []


def test_the_draw_summed_up_and_its_days_in_words() -> None:
    """booking's DrawOut (no names: counts per entry and day) → the launch's notice and the
    results table."""
    draw = {
        "entries": [
            {
                "children": 2,
                "asks": [{"date": "2027-04-12", "children": 2, "booked": 2, "waiting": 0}],
            },
            {
                "children": 1,
                "asks": [{"date": "2027-04-12", "children": 1, "booked": 0, "waiting": 1}],
            },
        ]
    }
    assert domain.draw_counts(draw) == {"entries": 2, "booked": 2, "waiting": 1}
    assert domain.draw_counts({"entries": 2}) == {}  # not a draw: nothing said
    asks = [e["asks"][0] for e in draw["entries"]]
    assert domain.ask_text(asks[0]) == "12/04/2027 : 2 enfants, 2 places réservées"
    assert domain.ask_text(asks[1]) == "12/04/2027 : 1 enfant, 1 en liste d'attente"
