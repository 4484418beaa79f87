"""Issue 16 (guides 001, 004): permissions per child set by the town, the household's family
situation, and the proof a change of address must carry (validated with the change)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"
T = "/tenants/epagny"
NEW_ADDRESS = {"line1": "3 chemin du Lac", "postal_code": "74330", "city": "Epagny"}


async def _problem(town: Town, method: str, path: str, headers: Any, body: Any, status: int):
    r = await town.client.request(method, path, json=body, headers=headers)
    assert r.status == status, await r.text()
    assert r.content_type == "application/problem+json"
    return await r.json()


def _answers(child: dict[str, Any]) -> dict[str, Any]:
    return {p["code"]: p["granted"] for p in child["permissions"]}


async def test_the_town_keeps_its_list_of_permissions(town: Town) -> None:
    staff = town.staff()
    listed = await town.call("GET", f"{T}/permission-types", staff)
    codes = [p["code"] for p in listed["items"]]
    assert codes == ["sortie_seul", "sorties", "transport", "soins_urgence", "image_rights"]
    added = await town.call(
        "POST", f"{T}/permission-types", staff, {"label": "Piscine"}, status=201
    )
    assert added["items"][-1] == {
        "code": "piscine",
        "label": "Piscine",
        "position": 6,
        "active": True,
    }
    problem = await _problem(
        town, "POST", f"{T}/permission-types", staff, {"label": "Piscine"}, 409
    )
    assert problem["errors"][0]["field"] == "code"
    changed = await town.call(
        "PATCH",
        f"{T}/permission-types/transport",
        staff,
        {"label": "Transport en car", "active": False, "position": 0},
    )
    first = changed["items"][0]
    assert first == {
        "code": "transport",
        "label": "Transport en car",
        "position": 0,
        "active": False,
    }
    await _problem(town, "PATCH", f"{T}/permission-types/nope", staff, {"active": True}, 404)
    # Families read it; they cannot change it.
    h = await town.household()
    family = await town.linked_family(h)
    await town.call("GET", f"{T}/permission-types", family)
    r = await town.client.post(f"{T}/permission-types", json={"label": "X"}, headers=family)
    assert r.status == 403


async def test_a_childs_permissions_change_through_staff_with_date_and_author(town: Town) -> None:
    h = await town.household()
    child = h["children"][0]
    # The former image_rights field is the permission of the same code.
    assert _answers(child) == {
        "sortie_seul": None,
        "sorties": None,
        "transport": None,
        "soins_urgence": None,
        "image_rights": True,
    }
    family = await town.linked_family(h)
    change = await town.call(
        "PATCH",
        f"{ME}/children/{child['id']}",
        family,
        {"permissions": {"sortie_seul": True, "image_rights": False}},
        status=202,
    )
    assert change["proposed"] == {"permissions": {"sortie_seul": True, "image_rights": False}}
    mine = await town.call("GET", ME, family)
    assert _answers(mine["children"][0])["sortie_seul"] is None  # waiting for staff
    staff = town.staff()
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    mine = await town.call("GET", ME, family)
    given = {p["code"]: p for p in mine["children"][0]["permissions"]}
    assert given["sortie_seul"]["granted"] is True and given["sortie_seul"]["given_at"]
    assert given["image_rights"]["granted"] is False
    assert mine["children"][0]["image_rights"] is False  # kept equal, for compatibility
    assert given["sortie_seul"]["given_by"] == change["submitted_by"]  # the family gave it
    (updated,) = await town.events("family.ChildUpdated")
    assert updated["payload"]["image_rights"] is False

    # Staff change it at once; an unknown or inactive code is refused by its name.
    await town.call(
        "PATCH",
        f"{T}/households/{h['id']}/children/{child['id']}",
        staff,
        {"permissions": {"sorties": True}},
    )
    problem = await _problem(
        town,
        "PATCH",
        f"{T}/households/{h['id']}/children/{child['id']}",
        staff,
        {"permissions": {"equitation": True}},
        422,
    )
    assert problem["errors"] == [
        {
            "field": "permissions.equitation",
            "detail": "Cette autorisation n'est pas demandée par la commune.",
        }
    ]
    await town.call("PATCH", f"{T}/permission-types/sorties", staff, {"active": False})
    file = await town.call("GET", f"{T}/households/{h['id']}", staff)
    assert "sorties" not in _answers(file["children"][0])
    assert _answers(file["children"][0])["image_rights"] is False
    # The family cannot propose an answer to a permission the town no longer asks.
    problem = await _problem(
        town,
        "POST",
        f"{ME}/children",
        family,
        town.child("Noé", permissions={"sorties": True}),
        422,
    )
    assert problem["errors"][0]["field"] == "permissions.sorties"


async def test_the_family_situation_changes_like_the_rest(town: Town) -> None:
    h = await town.household(guardians=[town.guardian(), town.guardian("Paul", "Martin")])
    assert h["marital_status"] is None and h["billed_guardian_id"] is None
    paul = h["guardians"][1]["id"]
    family = await town.linked_family(h)
    problem = await _problem(town, "PATCH", ME, family, {"custody": "other"}, 422)
    assert problem["errors"] == [
        {"field": "custody_detail", "detail": "Précisez le mode de garde."}
    ]
    problem = await _problem(town, "PATCH", ME, family, {"marital_status": "complicated"}, 422)
    assert problem["errors"][0]["field"] == "marital_status"
    change = await town.call(
        "PATCH",
        ME,
        family,
        {"marital_status": "divorced", "custody": "alternating", "billed_guardian_id": paul},
        status=202,
    )
    assert change["before"]["marital_status"] is None
    assert change["proposed"]["billed_guardian_id"] == paul
    assert change["proof_document_id"] is None  # the situation needs no proof by default
    staff = town.staff()
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    mine = await town.call("GET", ME, family)
    assert (mine["marital_status"], mine["custody"], mine["billed_guardian_id"]) == (
        "divorced",
        "alternating",
        paul,
    )
    (billed,) = await town.events("family.BilledGuardianChanged")
    assert billed["payload"] == {
        "household_id": h["id"],
        "guardian_id": paul,
        "name": "Paul Martin",
        "email": "paul.martin@example.fr",
        "address": "12 rue des Tilleuls, 74330 Epagny",
    }
    # The billed guardian is one of the household's: another household's is refused.
    other = await town.household(guardians=[town.guardian("Luc", "Durand")])
    problem = await _problem(
        town,
        "PATCH",
        f"{T}/households/{h['id']}",
        staff,
        {"billed_guardian_id": other["guardians"][0]["id"]},
        422,
    )
    assert problem["errors"][0]["field"] == "billed_guardian_id"
    # Removing the billed guardian leaves nobody billed rather than a dangling reference.
    await town.call("DELETE", f"{T}/households/{h['id']}/guardians/{paul}", staff, status=204)
    file = await town.call("GET", f"{T}/households/{h['id']}", staff)
    assert file["billed_guardian_id"] is None


async def test_a_change_of_address_carries_its_proof_validated_with_it(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    problem = await _problem(town, "PATCH", ME, family, {"address": NEW_ADDRESS}, 422)
    assert problem["errors"] == [
        {
            "field": "proof_document_id",
            "detail": "Joignez un justificatif de domicile à cette modification.",
        }
    ]
    # The same address again is no change: no proof needed.
    await town.call("PATCH", ME, family, {"address": town.ADDRESS}, status=202)
    # A document of another type is not a proof of address.
    other = await town.upload(f"{ME}/documents", family, document_type="avis_imposition")
    problem = await _problem(
        town, "PATCH", ME, family, {"address": NEW_ADDRESS, "proof_document_id": other["id"]}, 422
    )
    assert problem["errors"][0]["field"] == "proof_document_id"
    proof = await town.upload(f"{ME}/documents", family, document_type="justificatif_domicile")
    change = await town.call(
        "PATCH",
        ME,
        family,
        {"address": NEW_ADDRESS, "proof_document_id": proof["id"]},
        status=202,
    )
    assert change["proof_document_id"] == proof["id"]
    assert "proof_document_id" not in change["proposed"]
    staff = town.staff()
    seen = await town.call("GET", f"{T}/changes/{change['id']}", staff)
    assert seen["proof_document_id"] == proof["id"]
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    document = await town.call("GET", f"{T}/documents/{proof['id']}", staff)
    assert document["status"] == "validated" and document["valid_until"]
    (validated,) = await town.events("family.DocumentValidated")
    assert validated["payload"]["document_id"] == proof["id"]
    mine = await town.call("GET", ME, family)
    assert mine["address"]["line1"] == "3 chemin du Lac"
    # A proof already examined cannot serve again.
    problem = await _problem(
        town,
        "PATCH",
        ME,
        family,
        {"address": town.ADDRESS, "proof_document_id": proof["id"]},
        422,
    )
    assert problem["errors"][0]["field"] == "proof_document_id"


async def test_a_rejected_change_rejects_its_proof_and_towns_list_more_fields(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    staff = town.staff()
    settings = await town.call("GET", f"{T}/proof-settings", family)
    assert settings == {
        "proof_fields": ["address"],
        "document_types": {"address": "justificatif_domicile"},
    }
    # The address always stays; the town adds the marital status.
    settings = await town.call(
        "PUT", f"{T}/proof-settings", staff, {"proof_fields": ["marital_status"]}
    )
    assert settings["proof_fields"] == ["address", "marital_status"]
    r = await town.client.put(
        f"{T}/proof-settings", json={"proof_fields": ["address"]}, headers=family
    )
    assert r.status == 403
    problem = await _problem(town, "PATCH", ME, family, {"marital_status": "married"}, 422)
    assert problem["errors"][0]["field"] == "proof_document_id"
    proof = await town.upload(f"{ME}/documents", family, document_type="livret_famille")
    change = await town.call(
        "PATCH",
        ME,
        family,
        {"marital_status": "married", "proof_document_id": proof["id"]},
        status=202,
    )
    await town.call(
        "POST", f"{T}/changes/{change['id']}/reject", staff, {"reason": "Document illisible."}
    )
    document = await town.call("GET", f"{T}/documents/{proof['id']}", staff)
    assert document["status"] == "rejected" and document["reason"] == "Document illisible."
    mine = await town.call("GET", ME, family)
    assert mine["marital_status"] is None
    # Another household's document is not a proof of this one.
    other = await town.household()
    other_family = await town.linked_family(other)
    foreign = await town.upload(
        f"{ME}/documents", other_family, document_type="justificatif_domicile"
    )
    problem = await _problem(
        town,
        "PATCH",
        ME,
        family,
        {"address": NEW_ADDRESS, "proof_document_id": foreign["id"]},
        422,
    )
    assert problem["errors"][0]["detail"] == "Ce justificatif n'est pas un document du foyer."


async def _send_with_proof(town: Town, family: Any, change: Any, **extra: Any) -> Any:
    return await town.upload(
        f"{ME}/proved-changes", family, change=json.dumps(change), status=None, **extra
    )


async def test_the_proof_sent_in_the_same_form_is_stored_with_the_change_or_not_at_all(
    town: Town,
) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    # A refused change leaves no document behind.
    r = await _send_with_proof(town, family, {"address": {**NEW_ADDRESS, "postal_code": "7"}})
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "address.postal_code"
    r = await _send_with_proof(town, family, {"address": NEW_ADDRESS}, document_type="nope")
    assert r.status == 422
    mine = await town.call("GET", f"{ME}/documents", family)
    assert mine["items"] == []
    r = await _send_with_proof(town, family, {"address": NEW_ADDRESS})
    assert r.status == 202, await r.text()
    change = await r.json()
    mine = await town.call("GET", f"{ME}/documents", family)
    (document,) = mine["items"]
    assert document["document_type"] == "justificatif_domicile"
    assert change["proof_document_id"] == document["id"]
    staff = town.staff()
    await town.call("POST", f"{T}/changes/{change['id']}/approve", staff, None)
    document = await town.call("GET", f"{T}/documents/{document['id']}", staff)
    assert document["status"] == "validated"


async def test_a_hostile_change_in_the_form_is_refused_naming_it(town: Town) -> None:
    """The change travels as JSON in a form field: the JSON bodies' rules apply to it."""
    h = await town.household()
    family = await town.linked_family(h)
    # A NUL (which Postgres refuses in text) is named by its path, not a 500.
    r = await _send_with_proof(town, family, {"address": {**NEW_ADDRESS, "line1": "3 r\x00ue"}})
    assert r.status == 422, await r.text()
    assert (await r.json())["errors"] == [
        {
            "field": "change.address.line1",
            "detail": "Ce champ contient un caractère interdit (caractère nul).",
        }
    ]
    # Nested past any parser's recursion: unreadable, not a RecursionError.
    r = await town.upload(f"{ME}/proved-changes", family, change="[" * 60_000, status=None)
    assert r.status == 422, await r.text()
    assert (await r.json())["errors"][0]["field"] == "change"
    assert (await town.call("GET", f"{ME}/documents", family))["items"] == []


async def test_a_change_whose_proof_staff_refused_cannot_be_approved(town: Town) -> None:
    """The proof also sits in the documents' queue: refused there, it refuses the change's
    approval (the file never changes on a refused proof); rejecting the change stays open."""
    h = await town.household()
    family = await town.linked_family(h)
    staff = town.staff()
    proof = await town.upload(f"{ME}/documents", family, document_type="justificatif_domicile")
    change = await town.call(
        "PATCH",
        ME,
        family,
        {"address": NEW_ADDRESS, "proof_document_id": proof["id"]},
        status=202,
    )
    await town.call(
        "POST", f"{T}/documents/{proof['id']}/reject", staff, {"reason": "Facture trop ancienne."}
    )
    problem = await _problem(town, "POST", f"{T}/changes/{change['id']}/approve", staff, None, 409)
    assert problem["detail"] == (
        "Le justificatif joint à cette modification a été refusé ; rejetez-la."
    )
    mine = await town.call("GET", ME, family)
    assert mine["address"]["line1"] != NEW_ADDRESS["line1"]
    assert (await town.call("GET", f"{T}/changes/{change['id']}", staff))["status"] == "pending"
    await town.call(
        "POST", f"{T}/changes/{change['id']}/reject", staff, {"reason": "Justificatif refusé."}
    )
    document = await town.call("GET", f"{T}/documents/{proof['id']}", staff)
    assert document["reason"] == "Facture trop ancienne."  # the first decision stays


async def test_the_payer_billing_prints_follows_the_billed_guardian(town: Town) -> None:
    """BilledGuardianChanged is said again whenever what billing prints changes: the billed
    guardian's name or email, their address (the household's when they have none of their
    own: a move), or the guardian removed (nobody billed); never for another guardian."""
    h = await town.household(guardians=[town.guardian(), town.guardian("Paul", "Martin")])
    claire, paul = (g["id"] for g in h["guardians"])
    staff = town.staff()
    file = f"{T}/households/{h['id']}"
    await town.call("PATCH", file, staff, {"billed_guardian_id": paul})
    await town.call("PATCH", file, staff, {"address": NEW_ADDRESS})
    await town.call("PATCH", f"{file}/guardians/{claire}", staff, {"phones": ["06 00 00 00 00"]})
    await town.call("PATCH", f"{file}/guardians/{paul}", staff, {"email": "paul@example.org"})
    await town.call("DELETE", f"{file}/guardians/{paul}", staff, status=204)
    said = await town.events("family.BilledGuardianChanged", 4)
    await asyncio.sleep(0.5)  # nothing more comes (Claire's phone is not the payer's)
    said = town.tap.of_type("family.BilledGuardianChanged")
    assert [
        (e["payload"]["guardian_id"], e["payload"]["email"], e["payload"]["address"]) for e in said
    ] == [
        (paul, "paul.martin@example.fr", "12 rue des Tilleuls, 74330 Epagny"),
        (paul, "paul.martin@example.fr", "3 chemin du Lac, 74330 Epagny"),
        (paul, "paul@example.org", "3 chemin du Lac, 74330 Epagny"),
        (None, None, None),
    ]
