"""The back-office's queues, attendance sheet and kitchen counts (pure functions)."""

from __future__ import annotations

from datetime import date

from multidict import MultiDict

from web.domain import staff_attendance as domain

TUESDAY = date(2026, 12, 1)
ANNA = "11111111-1111-4111-8111-111111111111"
BASILE = "22222222-2222-4222-8222-222222222222"


def activity(**overrides: object) -> dict:
    return {
        "id": "aaaaaaaa-0000-4000-8000-000000000001",
        "name": "Cantine",
        "site": "École du Bourg",
        "period_from": "2026-09-01",
        "period_to": "2027-07-03",
        "weekdays": [1, 2, 4, 5],
        "closed_dates": [],
        "extra_dates": [],
        **overrides,
    }


def test_the_day_defaults_to_today_when_absent_or_wrong() -> None:
    assert domain.parse_day("2026-12-03", TUESDAY) == date(2026, 12, 3)
    assert domain.parse_day(None, TUESDAY) == TUESDAY
    assert domain.parse_day("demain", TUESDAY) == TUESDAY


def test_the_queue_is_oldest_first_and_opens_the_chosen_item_while_it_waits() -> None:
    items = [
        {"id": "b", "requested_at": "2026-11-30T10:00:00+00:00"},
        {"id": "a", "requested_at": "2026-11-29T10:00:00+00:00"},
        {"id": "c", "requested_at": "2026-11-30T10:00:00+00:00"},
    ]
    queue = domain.oldest_first(items)
    assert [i["id"] for i in queue] == ["a", "b", "c"]
    opened, rest = domain.current_and_rest(queue, None)
    assert opened is queue[0] and [i["id"] for i in rest] == ["b", "c"]
    opened, rest = domain.current_and_rest(queue, "c")
    assert opened is not None and opened["id"] == "c" and [i["id"] for i in rest] == ["a", "b"]
    assert domain.current_and_rest(queue, "decided-meanwhile")[0] is queue[0]
    assert domain.current_and_rest([], "a") == (None, [])


def test_an_activity_runs_on_its_weekdays_in_its_period_except_closed_days() -> None:
    assert domain.open_on(activity(), TUESDAY)
    assert not domain.open_on(activity(), date(2026, 12, 2))  # a Wednesday
    assert not domain.open_on(activity(closed_dates=["2026-12-01"]), TUESDAY)
    assert domain.open_on(activity(extra_dates=["2026-12-02"]), date(2026, 12, 2))
    assert not domain.open_on(activity(period_from="2027-01-04"), TUESDAY)


def test_the_sites_and_the_days_activities_for_the_chosen_site() -> None:
    listed = [
        activity(id="1", name="Périscolaire du soir", site="École du Bourg"),
        activity(id="2", name="Cantine", site="école des Prés"),
        activity(id="3", name="Cantine", site="École du Bourg"),
        activity(id="4", name="Mercredis", site="École du Bourg", weekdays=[3]),
    ]
    assert domain.sites_of(listed) == ["école des Prés", "École du Bourg"]  # accents aside
    running = domain.activities_on(listed, "École du Bourg", TUESDAY)
    assert [a["id"] for a in running] == ["3", "1"]
    assert len(domain.activities_on(listed, None, TUESDAY)) == 3


def roll() -> dict:
    return {
        "children": [
            {
                "child_id": BASILE,
                "first_name": "Basile",
                "last_name": "Roux",
                "grade": "CE1",
                "diet": "standard",
                "attendance": "present",
                "absence_status": None,
            },
            {
                "child_id": ANNA,
                "first_name": "Anna",
                "last_name": "Martin",
                "grade": None,
                "diet": "no_pork",
                "attendance": None,
                "absence_status": "pending",
            },
        ]
    }


def test_the_roll_shows_allergies_diets_and_marks_in_words() -> None:
    health = {ANNA: {"allergies": ["arachide", ""], "pai": True}, BASILE: None}
    anna, basile = domain.roll_lines(roll(), health)
    assert anna.name == "Anna Martin" and anna.allergies == ("arachide",) and anna.care_plan
    assert anna.diet_label == "Sans porc" and anna.special_diet and anna.watch
    assert anna.mark_label == "Non pointé"
    assert anna.absence == "Absence déclarée par la famille, à justifier"
    assert basile.allergies == () and not basile.watch and basile.mark_label == "Présent"
    assert domain.totals([anna, basile]) == domain.Totals(2, 1, 0, 1)


def test_the_kitchen_counts_per_site_diets_in_the_kitchens_order() -> None:
    meals = {
        "days": [
            {
                "date": "2026-12-01",
                "site": "École du Bourg",
                "meals": 5,
                "expected": 4,
                "diets": {"vegetarian": 1, "standard": 3, "halal": 1},
                "expected_diets": {"vegetarian": 1, "standard": 2, "halal": 1},
            },
            {"date": "2026-12-02", "site": "École du Bourg", "meals": 9, "diets": {}},
        ]
    }
    (site,) = domain.kitchen(meals, TUESDAY)
    assert (site.site, site.meals, site.expected) == ("École du Bourg", 5, 4)
    assert site.diets == [("Standard", 3, 2), ("Végétarien", 1, 1), ("halal", 1, 1)]
    assert domain.kitchen({}, TUESDAY) == []
    assert domain.diet_counts({"no_pork": 2, "standard": 0}) == [("Sans porc", 2)]


def test_a_tap_is_one_mark_and_a_decision_is_passed_to_the_api() -> None:
    body, error = domain.marks_body(MultiDict(enfant=ANNA, statut="present"))
    assert body == {"marks": [{"child_id": ANNA, "status": "present"}]} and error is None
    assert domain.marks_body(MultiDict(enfant=ANNA, statut="late"))[0] is None
    assert domain.marks_body(MultiDict(statut="absent"))[0] is None
    assert domain.decision_body(MultiDict(decision="rejected", reason="  Complet ")) == {
        "decision": "rejected",
        "reason": "Complet",
    }
    assert domain.decision_body(MultiDict(decision="approved", reason="")) == {
        "decision": "approved"
    }


def test_an_unexpected_child_is_flagged_and_an_unreadable_record_said() -> None:
    roll = {
        "children": [
            {"child_id": ANNA, "first_name": "Anna", "last_name": "Martin", "unexpected": True},
            {"child_id": BASILE, "first_name": "Basile", "last_name": "Roux"},
        ]
    }
    anna, basile = domain.roll_lines(roll, {ANNA: None, BASILE: None}, frozenset({BASILE}))
    assert (anna.unexpected, anna.health_unknown) == (True, False)
    assert (basile.unexpected, basile.health_unknown) == (False, True)
    assert not anna.watch  # being unexpected is no health alert


def test_the_search_matches_say_who_they_are_and_whether_already_on_the_sheet() -> None:
    (anna,) = domain.roll_lines({"children": [{"child_id": ANNA, "first_name": "Anna"}]}, {})
    found = {
        "items": [
            {
                "id": BASILE,
                "first_name": "Basile",
                "last_name": "Roux",
                "birth_date": "2018-05-03",
                "grade": "CE2",
                "school": "École du Bourg",
            },
            {"id": ANNA, "first_name": "Anna", "last_name": "Martin", "birth_date": None},
        ]
    }
    basile, on_sheet = domain.matches(found, [anna])
    assert basile.name == "Basile Roux" and not basile.on_sheet
    assert basile.details == "né(e) le 03/05/2018 · CE2 · École du Bourg"
    assert on_sheet.on_sheet and on_sheet.details == ""
    assert domain.matches({}, []) == []
