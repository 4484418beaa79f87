"""Every change a family makes waits for staff: pending, approved (applied) or rejected."""

from __future__ import annotations

import asyncio
from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"


async def test_a_family_change_waits_then_is_applied_on_approval(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    change = await town.call(
        "PATCH",
        f"{ME}/children/{child_id}",
        family,
        {"grade": "CM2", "diet": "vegetarian"},
        status=202,
    )
    assert change["status"] == "pending"
    assert change["summary"] == "Modification d'un enfant : Léa Martin"
    assert change["before"]["grade"] == "CM1"
    assert change["proposed"] == {"grade": "CM2", "diet": "vegetarian"}
    # Nothing applied yet; the family sees it as pending.
    mine = await town.call("GET", ME, family)
    assert mine["children"][0]["grade"] == "CM1" and mine["pending_changes"] == 1
    listed = await town.call("GET", f"{ME}/changes", family)
    assert [c["id"] for c in listed["items"]] == [change["id"]]

    staff = town.staff()
    queue = await town.call("GET", "/tenants/epagny/changes", staff)
    assert [c["id"] for c in queue["items"]] == [change["id"]]
    decided = await town.call(
        "POST", f"/tenants/epagny/changes/{change['id']}/approve", staff, None
    )
    assert decided["status"] == "approved" and decided["decided_by"]
    mine = await town.call("GET", ME, family)
    assert mine["children"][0]["grade"] == "CM2" and mine["pending_changes"] == 0
    (updated,) = await town.events("family.ChildUpdated")
    assert updated["payload"]["diet"] == "vegetarian"
    (event,) = await town.events("family.ChangeRequestDecided")
    payload = event["payload"]
    assert payload["decision"] == "approved" and payload["reason"] is None
    assert payload["change_id"] == change["id"] and payload["household_id"] == h["id"]
    assert len(payload["account_ids"]) == 1
    assert payload["summary"] == "Modification d'un enfant : Léa Martin"

    # Twice: refused, and nothing happens again.
    r = await town.client.post(f"/tenants/epagny/changes/{change['id']}/approve", headers=staff)
    assert r.status == 409
    assert (await r.json())["detail"] == "Cette demande de modification a déjà été traitée."
    r = await town.client.post(
        f"/tenants/epagny/changes/{change['id']}/reject", json={"reason": "x"}, headers=staff
    )
    assert r.status == 409
    await asyncio.sleep(0.3)
    assert len(town.tap.of_type("family.ChildUpdated")) == 1


async def test_concurrent_approvals_apply_once(town: Town) -> None:
    h = await town.household(children=[])
    family = await town.linked_family(h)
    change = await town.call("POST", f"{ME}/children", family, town.child("Noé"), status=202)
    staff = town.staff()
    results = await asyncio.gather(
        *(
            town.client.post(f"/tenants/epagny/changes/{change['id']}/approve", headers=staff)
            for _ in range(5)
        )
    )
    assert sorted(r.status for r in results) == [200, 409, 409, 409, 409]
    mine = await town.call("GET", ME, family)
    assert [c["first_name"] for c in mine["children"]] == ["Noé"]
    (registered,) = await town.events("family.ChildRegistered")
    assert registered["payload"]["first_name"] == "Noé"
    decided = await town.call("GET", f"{ME}/changes/{change['id']}", family)
    assert decided["result_id"] == mine["children"][0]["id"]


async def test_a_rejected_change_needs_a_reason_and_changes_nothing(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    change = await town.call(
        "POST", f"{ME}/guardians", family, town.guardian("Paul", "Martin"), status=202
    )
    staff = town.staff()
    r = await town.client.post(
        f"/tenants/epagny/changes/{change['id']}/reject", json={}, headers=staff
    )
    assert r.status == 422
    assert (await r.json())["errors"] == [
        {"field": "reason", "detail": "Ce champ est obligatoire."}
    ]
    decided = await town.call(
        "POST",
        f"/tenants/epagny/changes/{change['id']}/reject",
        staff,
        {"reason": "Merci de joindre le livret de famille."},
    )
    assert decided["status"] == "rejected"
    mine = await town.call("GET", ME, family)
    assert [g["first_name"] for g in mine["guardians"]] == ["Claire"]
    (event,) = await town.events("family.ChangeRequestDecided")
    assert event["payload"]["decision"] == "rejected"
    assert event["payload"]["reason"] == "Merci de joindre le livret de famille."
    mine = await town.call("GET", f"{ME}/changes?status=all", family)
    assert mine["items"][0]["reason"] == "Merci de joindre le livret de famille."


async def test_every_kind_of_family_change_goes_through_staff(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    guardian_id = h["guardians"][0]["id"]
    staff = town.staff()
    contact = {
        "first_name": "Mamie",
        "last_name": "Durand",
        "phone": "06 99 88 77 66",
        "relationship": "grand-mère",
        "emergency": True,
    }
    proposals = [
        ("PATCH", ME, {"phones": ["06 00 00 00 01"]}),
        ("PATCH", f"{ME}/guardians/{guardian_id}", {"employer": "Mairie"}),
        ("POST", f"{ME}/guardians", town.guardian("Paul", "Martin")),
        ("POST", f"{ME}/children", town.child("Tom")),
        ("POST", f"{ME}/children/{child_id}/contacts", contact),
        ("POST", f"{ME}/quotients", {"value": 640, "valid_from": "2025-01-01"}),
    ]
    ids = []
    for method, path, body in proposals:
        ids.append((await town.call(method, path, family, body, status=202))["id"])
    before = await town.call("GET", ME, family)
    assert before["phones"] == ["04 50 11 22 33"] and len(before["children"]) == 1
    assert before["pending_changes"] == len(proposals)
    for change_id in ids:
        await town.call("POST", f"/tenants/epagny/changes/{change_id}/approve", staff)
    after = await town.call("GET", ME, family)
    assert after["phones"] == ["06 00 00 00 01"]
    assert {g["first_name"]: g["employer"] for g in after["guardians"]}["Claire"] == "Mairie"
    assert len(after["guardians"]) == 2 and len(after["children"]) == 2
    lea = next(c for c in after["children"] if c["first_name"] == "Léa")
    assert lea["contacts"][0]["emergency"] is True
    assert after["quotient"]["value"] == 640 and after["quotient"]["source"] == "declared"
    # Removing a contact also waits.
    removal = await town.call(
        "DELETE", f"{ME}/contacts/{lea['contacts'][0]['id']}", family, status=202
    )
    assert removal["operation"] == "delete" and removal["before"]["first_name"] == "Mamie"
    await town.call("POST", f"/tenants/epagny/changes/{removal['id']}/approve", staff)
    after = await town.call("GET", ME, family)
    lea = next(c for c in after["children"] if c["first_name"] == "Léa")
    assert lea["contacts"] == []


async def test_a_change_that_no_longer_applies_is_refused(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    staff = town.staff()
    contact = {"first_name": "A", "last_name": "B", "phone": "0601020304", "relationship": "ami"}
    body = await town.call(
        "POST",
        f"/tenants/epagny/households/{h['id']}/children/{child_id}/contacts",
        staff,
        contact,
        status=201,
    )
    contact_id = body["children"][0]["contacts"][0]["id"]
    change = await town.call(
        "PATCH", f"{ME}/contacts/{contact_id}", family, {"phone": "0700000000"}, status=202
    )
    await town.call(
        "DELETE", f"/tenants/epagny/households/{h['id']}/contacts/{contact_id}", staff, status=204
    )
    r = await town.client.post(f"/tenants/epagny/changes/{change['id']}/approve", headers=staff)
    assert r.status == 409
    queue = await town.call("GET", "/tenants/epagny/changes", staff)
    assert [c["id"] for c in queue["items"]] == [change["id"]]  # still pending: reject it


async def test_staff_of_another_tenant_cannot_decide(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    change = await town.call("PATCH", ME, family, {"phones": []}, status=202)
    other = town.staff("annecy")
    r = await town.client.post(f"/tenants/annecy/changes/{change['id']}/approve", headers=other)
    assert r.status == 404
    r = await town.client.post(f"/tenants/epagny/changes/{change['id']}/approve", headers=other)
    assert r.status == 403
    assert (await town.call("GET", "/tenants/annecy/changes", other))["items"] == []
