"""The work queue's pure logic: the before/after table, the next item, the refusal's
reason, the validity date, the queue's filter."""

from __future__ import annotations

from web.domain import staff_queue as q


def test_a_child_change_lists_every_field_current_and_proposed_in_french() -> None:
    before = {
        "id": "c1",
        "first_name": "Léa",
        "birth_date": "2018-04-02",
        "diet": "standard",
        "image_rights": True,
        "contacts": [],
        "updated_at": "2026-10-01T10:00:00+00:00",
    }
    proposed = {
        "first_name": "Léa",
        "birth_date": "2018-04-02",
        "diet": "vegetarian",
        "image_rights": False,
    }
    rows = q.comparison(before, proposed)
    assert [(r.label, r.current, r.proposed, r.changed) for r in rows] == [
        ("Régime alimentaire", "Standard", "Végétarien", True),
        ("Droit à l'image", "Oui", "Non", True),
        ("Prénom", "Léa", "Léa", False),
        ("Date de naissance", "lundi 2 avril 2018", "lundi 2 avril 2018", False),
    ]


def test_an_update_names_only_what_changed_the_rest_keeps_its_value() -> None:
    before = {"first_name": "Sami", "diet": "standard", "school": None, "grade": ""}
    rows = q.comparison(before, {"diet": "vegetarian"}, partial=True)
    assert [(r.label, r.current, r.proposed) for r in rows] == [
        ("Régime alimentaire", "Standard", "Végétarien"),
        ("Prénom", "Sami", "Sami"),
    ]


def test_an_address_is_opened_field_by_field() -> None:
    before = {"address": {"line1": "3 place de la Mairie", "city": "Epagny"}, "phones": []}
    proposed = {"address": {"line1": "5 rue Neuve", "city": "Epagny"}, "phones": ["06 12"]}
    rows = {r.label: (r.current, r.proposed) for r in q.comparison(before, proposed)}
    assert rows["Adresse (adresse)"] == ("3 place de la Mairie", "5 rue Neuve")
    assert rows["Adresse (commune)"] == ("Epagny", "Epagny")
    assert rows["Téléphones"] == (q.NOTHING, "06 12")


def test_a_creation_has_no_current_values_and_a_deletion_no_proposed_ones() -> None:
    created = q.comparison(None, {"first_name": "Paul", "can_pick_up": True})
    assert [(r.current, r.proposed) for r in created] == [(q.NOTHING, "Paul"), (q.NOTHING, "Oui")]
    deleted = q.comparison({"first_name": "Paul", "relationship": "father"}, None)
    assert [(r.current, r.proposed) for r in deleted] == [
        ("Paul", q.NOTHING),
        ("Père", q.NOTHING),
    ]


def test_a_list_of_people_is_read_as_text() -> None:
    proposed = {"children": [{"first_name": "Léa", "last_name": "Roux", "id": None}]}
    (row,) = q.comparison(None, proposed)
    assert row.label == "Enfants"
    assert row.proposed == "Prénom : Léa ; Nom : Roux"


def test_oldest_first_and_the_next_item_skips_the_one_decided() -> None:
    items = [
        {"id": "b", "updated_at": "2026-10-02T08:00:00+00:00"},
        {"id": "a", "updated_at": "2026-10-01T08:00:00+00:00"},
    ]
    assert [i["id"] for i in q.oldest_first(items, "updated_at")] == ["a", "b"]
    assert q.next_item(items, "b") == "a"
    assert q.next_item([{"id": "b"}], "b") is None
    assert q.next_item([], "b") is None


def test_a_refusal_needs_a_reason() -> None:
    reason, errors = q.rejection_reason({"reason": "   "})
    assert reason == "" and "reason" in errors.fields
    reason, errors = q.rejection_reason({"reason": " Illisible "})
    assert reason == "Illisible" and not errors


def test_the_validity_date_is_sent_only_when_given() -> None:
    assert q.validity({"valid_until": ""}) == {}
    assert q.validity({"valid_until": "2027-08-31"}) == {"valid_until": "2027-08-31"}


def test_the_queue_filter_and_the_helpers() -> None:
    assert q.kind_of({"type": "documents"}) == "documents"
    assert q.kind_of({"type": "nimporte"}) is None
    assert q.is_image("image/png") and not q.is_image("application/pdf")
    household = {"guardians": [{"first_name": "Ana", "last_name": "Roux"}]}
    assert q.household_name(household) == "Foyer Roux (Ana Roux)"
    assert q.household_name(None) == "Foyer"


def test_a_section_counts_its_list_or_says_its_service_did_not_answer() -> None:
    assert q.section({"items": [{"id": "a"}], "total": 7}) == (7, [{"id": "a"}])
    assert q.section({"items": [{"id": "a"}, {"id": "b"}]}, counted=True) == (2, [])
    assert q.section(None) == (None, [])
