"""The household forms of issue 16 turned into the family API's bodies, and the queue's
rows named for staff (no I/O)."""

from __future__ import annotations

from web.domain import household as hh
from web.domain import staff_queue as q
from web.pages.household_forms import permission_fields, situation_fields


def test_a_child_form_sends_each_permission_as_yes_or_no() -> None:
    form = {"first_name": "Léa", "last_name": "Roux", "autorisation_sorties": "oui"}
    body = hh.child_body(form, ["sorties", "image_rights"])
    assert body["permissions"] == {"sorties": True, "image_rights": False}
    assert "image_rights" not in body
    # Without the town's list: the former image rights box.
    assert hh.child_body({"image_rights": "oui"})["image_rights"] is True


def test_the_boxes_show_the_answers_given_or_what_the_family_ticked() -> None:
    town = [{"code": "sorties", "label": "Sorties"}, {"code": "transport", "label": "Car"}]
    child = {"permissions": [{"code": "sorties", "granted": True}]}
    fields = permission_fields(child, town)
    assert [(f["name"], f["value"]) for f in fields] == [
        ("autorisation_sorties", True),
        ("autorisation_transport", None),
    ]
    ticked = permission_fields({"autorisation_sorties": False, **child}, town)
    assert ticked[0]["value"] is False
    assert permission_fields({"image_rights": True}, None)[0]["name"] == "image_rights"


def test_the_situation_form_says_blank_as_not_given() -> None:
    body = hh.situation_body(
        {
            "marital_status": "",
            "custody": "one_parent",
            "custody_detail": "x",
            "billed_guardian_id": "",
        }
    )
    assert body == {
        "marital_status": None,
        "custody": "one_parent",
        "custody_detail": None,  # only « autre » keeps its detail
        "billed_guardian_id": None,
    }
    guardians = [{"id": "g1", "first_name": "Ana", "last_name": "Roux"}]
    billed = situation_fields({}, guardians)[-1]
    assert billed["options"] == [("", "Non précisé"), ("g1", "Ana Roux")]


def test_the_queue_names_permissions_and_the_billed_guardian() -> None:
    rows = q.comparison(
        {"permissions": {"sorties": False}, "billed_guardian_id": None},
        {"permissions": {"sorties": True}, "billed_guardian_id": "g1"},
        partial=True,
    )
    named = q.named(rows, {"sorties": "Sorties"}, {"g1": "Ana Roux"})
    shown = {r.label: (r.current, r.proposed) for r in named}
    assert shown["Autorisations (Sorties)"] == ("Non", "Oui")
    assert shown["Responsable facturé"] == ("Non renseigné", "Ana Roux")
    assert q.shown("marital_status", "divorced") == "Divorcé(e)s"
