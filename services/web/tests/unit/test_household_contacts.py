"""A child's contact changed by the family (issue 16, who may pick the child up): the change
form is the add form's fields filled with the contact on file, its yes/no answers become the
API's booleans, and a change still waiting for the town is found and told in words."""

from __future__ import annotations

from web.domain import household as hh
from web.pages.household_forms import contact_fields, names

PAUL = {
    "id": "44444444-4444-4444-8444-444444444444",
    "child_id": "11111111-1111-4111-8111-111111111111",
    "first_name": "Paul",
    "last_name": "Roux",
    "phone": "06 11 22 33 44",
    "relationship": "grand-père",
    "can_pick_up": True,
    "can_pick_up_given_at": "2026-09-02T22:30:00+00:00",  # the 3rd in Paris
    "emergency": False,
    "emergency_given_at": None,
}


def by_name(fields: list[dict]) -> dict[str, dict]:
    return {f["name"]: f for f in fields}


def test_the_change_form_is_the_add_form_filled_with_the_contact_on_file():
    added, changed = contact_fields({}), contact_fields(PAUL, PAUL)
    assert (
        names(added)
        == names(changed)
        == (
            "first_name",
            "last_name",
            "relationship",
            "phone",
            "can_pick_up",
            "emergency",
        )
    )
    fields = by_name(changed)
    assert fields["phone"]["value"] == "06 11 22 33 44" and fields["phone"]["required"]
    assert fields["relationship"]["value"] == "grand-père"
    # The permissions: yes/no answers (a fieldset with its legend), the file's answer chosen.
    assert fields["can_pick_up"]["type"] == fields["emergency"]["type"] == "yesno"
    assert fields["can_pick_up"]["value"] is True and fields["emergency"]["value"] is False
    # The hint recalls the answer on file with its day, and says whose date the new one takes.
    assert fields["can_pick_up"]["hint"] == (
        "Actuellement : Autorisé depuis le jeudi 3 septembre 2026. Si vous changez la "
        "réponse, la date retenue sera celle de la validation par la mairie."
    )
    assert fields["emergency"]["hint"].startswith("Actuellement : Non (date non renseignée).")
    # A new contact: « non » until the family says yes.
    new = by_name(added)
    assert new["can_pick_up"]["value"] is False and new["emergency"]["value"] is False
    assert (
        new["can_pick_up"]["hint"] == "La date retenue sera celle de la validation par la mairie."
    )


def test_the_form_sent_back_keeps_the_family_s_answers():
    fields = by_name(contact_fields({"can_pick_up": "non", "emergency": "oui"}, PAUL))
    assert fields["can_pick_up"]["value"] is False and fields["emergency"]["value"] is True


def test_a_changed_phone_and_a_withdrawn_pick_up_become_the_api_s_contact():
    form = {
        "first_name": "Paul",
        "last_name": "Roux",
        "relationship": "grand-père",
        "phone": " 06 99 88 77 66 ",
        "can_pick_up": "non",
        "emergency": "oui",
    }
    assert hh.contact_body(form) == {
        "first_name": "Paul",
        "last_name": "Roux",
        "phone": "06 99 88 77 66",
        "relationship": "grand-père",
        "can_pick_up": False,
        "emergency": True,
    }


def test_pending_contact_changes_are_found_by_contact_and_additions_by_child():
    child = PAUL["child_id"]
    changes = [
        {"id": "a", "entity": "contact", "operation": "update", "entity_id": PAUL["id"]},
        {"id": "b", "entity": "contact", "operation": "create", "parent_id": child},
        {"id": "c", "entity": "contact", "operation": "create", "parent_id": "another child"},
        {"id": "d", "entity": "child", "operation": "update", "entity_id": child},
    ]
    for change in changes:
        change["status"] = "pending"
    changes.append({**changes[0], "id": "e", "status": "approved"})  # decided: not pending
    by_contact, added = hh.pending_contact_changes(changes, child)
    assert {k: [c["id"] for c in v] for k, v in by_contact.items()} == {PAUL["id"]: ["a"]}
    assert [c["id"] for c in added] == ["b"]


def test_a_pending_change_says_what_it_changes():
    proposed = {**hh.contact_body({**PAUL, "phone": "06 99 88 77 66", "can_pick_up": "non"})}
    assert hh.contact_change_lines(PAUL, proposed) == [
        "Téléphone : 06 99 88 77 66",
        "Peut venir chercher l'enfant : non",
    ]
    assert hh.contact_change_lines(PAUL, None) == []
