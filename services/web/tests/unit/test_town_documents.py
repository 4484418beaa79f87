"""The town's documents as the portal shows them and the staff form sent to notify."""

from __future__ import annotations

from multidict import MultiDict

from web.domain import town_documents as domain


def test_kind_and_size_say_what_a_family_opens():
    pdf = {"content_type": "application/pdf", "size": 120 * 1024}
    assert domain.kind_and_size(pdf) == "PDF, 120 Ko"
    png = {"content_type": "image/png", "size": 3 * 1024 * 1024}
    assert domain.kind_and_size(png) == "image PNG, 3,0 Mo"


def test_documents_are_grouped_in_the_town_s_order_of_categories():
    items = [
        {"id": "1", "category": "tariffs", "content_type": "application/pdf", "size": 10},
        {"id": "2", "category": "rules", "content_type": "application/pdf", "size": 10},
        {"id": "3", "category": "rules", "content_type": "image/jpeg", "size": 10},
    ]
    groups = domain.by_category(items)
    assert [(code, [d["id"] for d in docs]) for code, _, docs in groups] == [
        ("rules", ["2", "3"]),
        ("tariffs", ["1"]),
    ]
    assert groups[0][1] == "Règlements intérieurs"
    assert groups[0][2][1]["category_label"] == "Règlement intérieur"


def test_the_staff_form_becomes_notify_s_fields():
    form = MultiDict(
        [
            ("title", " Règlement "),
            ("category", "rules"),
            ("description", ""),
            ("valid_from", "2026-09-01"),
            ("position", "x"),
            ("activity_ids", "a1"),
            ("activity_ids", "a2"),
            ("page_slugs", "cantine"),
        ]
    )
    values = domain.read_form(form)
    assert not values.published  # the box unticked
    assert values.multipart_fields() == {
        "title": "Règlement",
        "category": "rules",
        "valid_from": "2026-09-01",
        "published": "false",
        "position": "x",
        "activity_ids": "a1,a2",
        "page_slugs": "cantine",
    }
    assert values.patch() == {
        "title": "Règlement",
        "category": "rules",
        "description": None,
        "valid_from": "2026-09-01",
        "valid_until": None,
        "published": False,
        "position": "x",  # as typed: notify names the field
        "activity_ids": ["a1", "a2"],
        "page_slugs": ["cantine"],
    }
    stored = {**values.patch(), "position": 3, "published": True, "activity_ids": ["a1"]}
    again = domain.form_of(stored)
    assert again.position == "3" and again.published and again.activity_ids == ["a1"]


def test_a_campaign_s_documents_each_listed_once_by_the_activities_they_concern():
    activities = [
        {"id": "a", "name": "Cantine"},
        {"id": "b", "name": "Étude"},
        {"id": "c", "name": "Club"},
    ]
    rules = {"id": "1", "category": "rules", "title": "Règlement"}
    form = {"id": "2", "category": "form", "title": "Fiche"}
    both = {"id": "3", "category": "other", "title": "Charte"}
    found = [[rules, form, both], [rules, both], [rules]]
    groups = domain.by_activities(activities, found)
    assert [(g.heading, [d["id"] for d in g.documents]) for g in groups] == [
        ("Toutes les activités de la campagne", ["1"]),
        ("« Cantine »", ["2"]),
        ("« Cantine » et « Étude »", ["3"]),
    ]
    # one activity: its name, not « toutes les activités »; none found: no group
    assert [g.heading for g in domain.by_activities(activities[:1], [[rules]])] == ["« Cantine »"]
    assert domain.by_activities(activities, [[], [], []]) == []
