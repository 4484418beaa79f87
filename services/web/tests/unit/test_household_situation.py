"""The household forms of issue 16 turned into the family API's bodies, and the queue's
rows named for staff (no I/O)."""

from __future__ import annotations

from web.domain import household as hh
from web.domain import staff_queue as q
from web.pages.household_forms import permission_fields, situation_fields


def test_a_child_form_sends_each_permission_answered_yes_or_no() -> None:
    form = {
        "first_name": "Léa",
        "last_name": "Roux",
        "autorisation_sorties": "oui",
        "autorisation_transport": "non",
    }
    body = hh.child_body(form, ["sorties", "transport", "image_rights"])
    # Neither « oui » nor « non »: not answered, so not sent (never a refusal by default).
    assert body["permissions"] == {"sorties": True, "transport": False}
    assert "image_rights" not in body
    # Without the town's list: the former image rights box.
    assert hh.child_body({"image_rights": "oui"})["image_rights"] is True


def test_each_permission_is_a_yes_no_question_with_the_date_given() -> None:
    town = [{"code": "sorties", "label": "Sorties"}, {"code": "transport", "label": "Car"}]
    child = {
        "permissions": [
            {"code": "sorties", "granted": True, "given_at": "2026-10-05T08:00:00+00:00"}
        ]
    }
    fields = permission_fields(child, town)
    assert [(f["name"], f["type"], f["label"], f["value"]) for f in fields] == [
        ("autorisation_sorties", "yesno", "Sorties", True),
        ("autorisation_transport", "yesno", "Car", None),
    ]
    assert fields[0]["hint"] == "Réponse donnée le lundi 5 octobre 2026."
    assert fields[1]["hint"] == "Non renseigné : choisissez oui ou non."
    # The form sent back shows the family's choice.
    chosen = permission_fields({"autorisation_sorties": "non", **child}, town)
    assert chosen[0]["value"] is False
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


def test_the_proofs_type_is_that_of_the_first_listed_field_that_changes() -> None:
    types = {"marital_status": "livret_famille", "custody": "autre"}
    current = {"marital_status": "divorced", "custody": None}
    assert hh.situation_proofs({"document_types": {"address": "x", **types}}) == types
    assert hh.situation_proofs(None) == {}
    same = {"marital_status": "divorced", "custody": "alternating"}
    assert hh.proof_type(same, current, types) == "autre"
    assert hh.proof_type({"marital_status": "married"}, current, types) == "livret_famille"
    assert hh.proof_type({"custody": None, "marital_status": "divorced"}, current, types) == (
        "autre"
    )
