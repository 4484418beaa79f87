"""The family situation, permissions and proofs rules (issue 16), without I/O."""

from __future__ import annotations

from family.domain import situation


def test_a_proof_is_needed_only_for_a_listed_field_that_really_changes() -> None:
    before = {"address": {"line1": "3 place"}, "phones": ["06"]}
    assert situation.fields_needing_proof(
        ["address"], before, {"address": {"line1": "4 rue"}, "phones": []}
    ) == ["address"]
    assert (
        situation.fields_needing_proof(["address"], before, {"address": {"line1": "3 place"}}) == []
    )
    assert situation.fields_needing_proof(["address"], before, {"phones": []}) == []
    assert situation.fields_needing_proof(
        ["address", "marital_status"], {"marital_status": None}, {"marital_status": "married"}
    ) == ["marital_status"]


def test_other_custody_needs_its_detail() -> None:
    assert situation.check_situation("other", "  ") == {
        "custody_detail": "Précisez le mode de garde."
    }
    assert situation.check_situation("other", "Chez les grands-parents") == {}
    assert situation.check_situation("alternating", None) == {}


def test_unknown_permissions_are_named_in_order() -> None:
    assert situation.unknown_permissions(["b", "image_rights", "a"], ["image_rights"]) == ["a", "b"]
    assert situation.unknown_permissions([], ["x"]) == []


def test_the_address_proof_is_a_proof_of_address() -> None:
    assert situation.PROOF_FIELDS["address"] == "justificatif_domicile"
    assert situation.DEFAULT_PROOF_FIELDS == ("address",)
    assert situation.IMAGE_RIGHTS in dict(situation.PERMISSION_TYPES)
