"""The household file edited by staff: creation, events, search, edits, isolation."""

from __future__ import annotations

import uuid
from typing import Any

Town = Any


async def test_staff_create_a_household_with_its_children_and_events(town: Town) -> None:
    created = await town.household(
        children=[town.child(), town.child("Tom", birth_date="2019-02-01", diet="vegetarian")]
    )
    code = created["subscriber_code"]
    assert len(code) == 11 and code[5] == "-"
    assert not set(code.replace("-", "")) & set("01ILO")
    assert [g["last_name"] for g in created["guardians"]] == ["Martin"]
    assert created["guardians"][0]["fiscal"] == {"reference_income": 38000, "shares": 2.5}
    assert [c["first_name"] for c in created["children"]] == ["Léa", "Tom"]
    assert created["accounts"] == [] and created["quotient"] is None

    (household_created,) = await town.events("family.HouseholdCreated")
    assert household_created["tenant_id"] == "epagny"
    assert household_created["payload"]["household_id"] == created["id"]
    assert household_created["payload"]["guardian_names"] == ["Claire Martin"]
    registered = await town.events("family.ChildRegistered", 2)
    payloads = {e["payload"]["first_name"]: e["payload"] for e in registered}
    assert payloads["Tom"]["diet"] == "vegetarian"
    assert payloads["Léa"] == {
        "child_id": created["children"][0]["id"],
        "household_id": created["id"],
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": "2016-09-03",
        "sex": "F",
        "school": "École du Centre",
        "grade": "CM1",
        "diet": "no_pork",
        "image_rights": True,
    }


async def test_staff_edit_the_file_directly(town: Town) -> None:
    h = await town.household()
    base = f"/tenants/epagny/households/{h['id']}"
    staff = town.staff()
    child_id = h["children"][0]["id"]
    body = await town.call(
        "PATCH", f"{base}/children/{child_id}", staff, {"grade": "CM2", "diet": "standard"}
    )
    assert body["children"][0]["grade"] == "CM2"
    (updated,) = await town.events("family.ChildUpdated")
    assert updated["payload"]["grade"] == "CM2" and updated["payload"]["diet"] == "standard"

    body = await town.call(
        "POST", f"{base}/guardians", staff, town.guardian("Paul", "Martin"), status=201
    )
    paul = body["created_id"]
    assert {g["first_name"] for g in body["guardians"]} == {"Claire", "Paul"}
    body = await town.call(
        "POST",
        f"{base}/children/{child_id}/contacts",
        staff,
        {
            "first_name": "Mamie",
            "last_name": "Durand",
            "phone": "06 99 88 77 66",
            "relationship": "grand-mère",
            "can_pick_up": True,
            "emergency": True,
        },
        status=201,
    )
    contact = body["children"][0]["contacts"][0]
    assert contact["relationship"] == "grand-mère" and contact["can_pick_up"] is True
    await town.call("DELETE", f"{base}/contacts/{contact['id']}", staff, status=204)
    await town.call("DELETE", f"{base}/guardians/{paul}", staff, status=204)
    claire = h["guardians"][0]["id"]
    r = await town.call("DELETE", f"{base}/guardians/{claire}", staff, status=409)
    assert r["detail"] == "Un foyer doit garder au moins un responsable légal."
    body = await town.call(
        "PATCH",
        base,
        staff,
        {"address": {"line1": "3 place de la Mairie", "postal_code": "74330", "city": "Epagny"}},
    )
    assert body["address"]["line1"] == "3 place de la Mairie"


async def test_validation_errors_are_in_french(town: Town) -> None:
    r = await town.client.post(
        "/tenants/epagny/households",
        json={
            "address": {"line1": "", "postal_code": "7433", "city": "Epagny"},
            "guardians": [{"first_name": "Claire", "phones": ["abc"]}],
            "children": [town.child(birth_date="2090-01-01", diet="paleo")],
        },
        headers=town.staff(),
    )
    assert r.status == 422
    body = await r.json()
    errors = {e["field"]: e["detail"] for e in body["errors"]}
    assert errors["address.postal_code"] == "Code postal invalide (5 chiffres)."
    assert errors["address.line1"] == "Entre 1 et 200 caractères sont attendus."
    assert errors["guardians.0.last_name"] == "Ce champ est obligatoire."
    assert errors["guardians.0.phones.0"].startswith("Numéro de téléphone invalide")
    assert errors["children.0.birth_date"] == "La date ne peut pas être dans le futur."
    assert errors["children.0.diet"].startswith("Valeur non reconnue")
    assert body["detail"].startswith("Certaines informations sont manquantes ou incorrectes")


async def test_staff_search_households(town: Town) -> None:
    a = await town.household()
    b = await town.household(
        guardians=[town.guardian("Karim", "Benali")], children=[town.child("Inès", "Benali")]
    )
    for i in range(3):
        await town.household(guardians=[town.guardian("Jean", f"Dupont{i}")], children=[])
    staff = town.staff()

    async def search(q: str, **params: Any) -> Any:
        query = "&".join(f"{k}={v}" for k, v in {"q": q, **params}.items())
        return await town.call("GET", f"/tenants/epagny/households?{query}", staff)

    assert [h["id"] for h in (await search("martin"))["items"]] == [a["id"]]
    assert [h["id"] for h in (await search("inès"))["items"]] == [b["id"]]
    assert [h["id"] for h in (await search("benali karim"))["items"]] == [b["id"]]
    assert [h["id"] for h in (await search("karim.benali@example.fr"))["items"]] == [b["id"]]
    code = b["subscriber_code"].lower().replace("-", " ")
    assert [h["id"] for h in (await search(code))["items"]] == [b["id"]]
    page = await search("dupont", per_page=2, page=2)
    assert page["total"] == 3 and len(page["items"]) == 1 and page["per_page"] == 2
    assert page["items"][0]["guardians"] == ["Jean Dupont2"]
    everything = await search("")
    assert everything["total"] == 5


async def test_tenants_and_roles_are_isolated(town: Town) -> None:
    h = await town.household()
    await town.household("annecy")
    base = f"/tenants/epagny/households/{h['id']}"
    # Staff of another tenant: refused on the path's tenant, and blind in their own.
    other = town.staff("annecy")
    r = await town.client.get(base, headers=other)
    assert r.status == 403
    assert (await r.json())["detail"] == "Vous n'avez pas accès aux données de cette collectivité."
    r = await town.client.get(f"/tenants/annecy/households/{h['id']}", headers=other)
    assert r.status == 404
    assert (await r.json())["detail"] == "Ce foyer n'existe pas."
    found = await town.call("GET", "/tenants/annecy/households?q=martin", other)
    assert h["id"] not in [i["id"] for i in found["items"]]
    # A family token never opens the staff door, even for its own household.
    family = await town.linked_family(h)
    for method, path in [
        ("GET", base),
        ("GET", "/tenants/epagny/households"),
        ("PATCH", f"{base}/children/{h['children'][0]['id']}"),
        ("GET", "/tenants/epagny/changes"),
    ]:
        r = await town.client.request(method, path, json={"grade": "CP"}, headers=family)
        assert r.status == 403, (method, path)
    r = await town.client.get(base)
    assert r.status == 401
    r = await town.client.get(f"/tenants/epagny/households/{uuid.uuid4()}", headers=town.staff())
    assert r.status == 404


async def test_openapi_describes_the_api(town: Town) -> None:
    spec = await town.call("GET", "/openapi.json", {})
    paths = spec["paths"]
    assert "/tenants/{tenant}/me/household/link" in paths
    assert "/tenants/{tenant}/households/{household_id}/children/{child_id}/health" in paths
    staff = paths["/tenants/{tenant}/households/{household_id}/children/{child_id}/health"]
    mine = paths["/tenants/{tenant}/me/household/children/{child_id}/health"]
    assert "logged" in staff["get"]["summary"] and "logged" not in mine["get"]["summary"]
    assert paths["/tenants/{tenant}/changes/{change_id}/approve"]["post"]["responses"]["409"]
    download = paths["/tenants/{tenant}/documents/{document_id}/content"]["get"]
    assert set(download["responses"]["200"]["content"]) == {
        "application/pdf",
        "image/jpeg",
        "image/png",
    }
    photo = paths["/tenants/{tenant}/me/household/children/{child_id}/photo"]["get"]
    assert set(photo["responses"]["200"]["content"]) == {"image/jpeg", "image/png"}
    imported = paths["/tenants/{tenant}/households/import"]["post"]
    assert "`enfant_naissance`" in imported["description"]
    for path in [
        "/tenants/{tenant}/me/household/documents",
        "/tenants/{tenant}/documents/{document_id}/validate",
        "/tenants/{tenant}/requests/{request_id}/messages",
        "/tenants/{tenant}/households/{household_id}/accounts",
        "/tenants/{tenant}/me/household/deletion-request",
        "/tenants/{tenant}/deletion-requests/{request_id}/anonymise",
        "/tenants/{tenant}/document-types",
        "/tenants/{tenant}/request-topics",
        "/tenants/{tenant}/changes/{change_id}/photo",
        "/tenants/{tenant}/me/household/changes/{change_id}/photo",
    ]:
        assert path in paths, path
    photo = paths["/tenants/{tenant}/me/household/children/{child_id}/photo"]
    assert {"get", "put", "delete"} <= set(photo) and "415" in photo["put"]["responses"]
    assert "pending" in photo["put"]["summary"]
    staff_photo = paths["/tenants/{tenant}/households/{household_id}/children/{child_id}/photo"]
    assert "PHOTO_MAX_BYTES" in staff_photo["put"]["description"]
    assert (
        "health access log"
        in paths["/tenants/{tenant}/documents/{document_id}/content"]["get"]["summary"]
    )
    upload = paths["/tenants/{tenant}/me/household/documents"]["post"]
    assert "413" in upload["responses"] and "multipart" in upload["description"]
