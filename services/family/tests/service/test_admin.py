"""Households in and out: staff links, a family's own household, CSV import, deletion."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"
IMPORT = "/tenants/epagny/households/import"


async def test_staff_link_an_account(town: Town) -> None:
    h = await town.household()
    other = await town.household(guardians=[town.guardian("Karim", "Benali")])
    account = str(uuid.uuid4())
    staff = town.staff()
    path = f"/tenants/epagny/households/{h['id']}/accounts"
    body = await town.call("POST", path, staff, {"account_id": account}, status=201)
    assert body["accounts"][0] == {**body["accounts"][0], "account_id": account}
    assert body["accounts"][0]["linked_by"] == "staff"
    (linked,) = await town.events("family.HouseholdLinked")
    assert linked["payload"] == {
        "household_id": h["id"],
        "account_id": account,
        "linked_by": "staff",
    }
    mine = await town.call("GET", ME, town.family(account))
    assert mine["id"] == h["id"]
    await town.call("POST", path, staff, {"account_id": account}, status=200)  # no new event
    # Another household too: several subscriptions (test_subscriptions).
    r = await town.client.post(
        f"/tenants/epagny/households/{other['id']}/accounts",
        json={"account_id": account},
        headers=staff,
    )
    assert r.status == 201
    r = await town.client.post(path, json={"account_id": account}, headers=town.family(account))
    assert r.status == 403
    await asyncio.sleep(0.2)
    assert len(town.tap.of_type("family.HouseholdLinked")) == 2


async def test_a_new_family_creates_its_household_after_staff_approval(town: Town) -> None:
    account = str(uuid.uuid4())
    family = town.family(account)
    asked = {
        "address": town.ADDRESS,
        "guardians": [town.guardian("Sofia", "Rossi")],
        "children": [town.child("Luca", "Rossi")],
    }
    change = await town.call("POST", ME, family, asked, status=202)
    assert change["status"] == "pending" and change["household_id"] is None
    assert change["summary"] == "Création d'un foyer : Sofia Rossi"
    r = await town.client.post(ME, json=asked, headers=family)
    assert r.status == 409
    r = await town.client.get(ME, headers=family)
    assert r.status == 404  # nothing yet
    mine = await town.call("GET", f"{ME}/creation", family)
    assert mine["id"] == change["id"] and mine["proposed"]["guardians"][0]["last_name"] == "Rossi"
    staff = town.staff()
    queue = await town.call("GET", "/tenants/epagny/changes", staff)
    assert [c["id"] for c in queue["items"]] == [change["id"]]
    decided = await town.call(
        "POST", f"/tenants/epagny/changes/{change['id']}/approve", staff, None
    )
    assert decided["status"] == "approved" and decided["household_id"] == decided["result_id"]
    (created,) = await town.events("family.HouseholdCreated")
    (linked,) = await town.events("family.HouseholdLinked")
    (registered,) = await town.events("family.ChildRegistered")
    assert created["payload"]["household_id"] == decided["result_id"]
    assert linked["payload"] == {
        "household_id": decided["result_id"],
        "account_id": account,
        "linked_by": "staff",
    }
    assert registered["payload"]["first_name"] == "Luca"
    (event,) = await town.events("family.ChangeRequestDecided")
    assert event["payload"]["account_ids"] == [account]
    household = await town.call("GET", ME, family)
    assert (
        household["id"] == decided["result_id"]
        and household["guardians"][0]["first_name"] == "Sofia"
    )
    r = await town.client.post(ME, json=asked, headers=family)
    assert r.status == 409  # linked now

    # Another new family is refused, with a reason.
    refused_account = str(uuid.uuid4())
    other = await town.call(
        "POST",
        ME,
        town.family(refused_account),
        {"address": town.ADDRESS, "guardians": [town.guardian("Paul", "Durand")]},
        status=202,
    )
    await town.call(
        "POST",
        f"/tenants/epagny/changes/{other['id']}/reject",
        staff,
        {"reason": "Vous avez déjà un dossier : demandez votre code abonné."},
    )
    (rejected,) = await town.events("family.HouseholdCreationRejected")
    assert rejected["payload"]["account_id"] == refused_account
    mine = await town.call("GET", f"{ME}/creation", town.family(refused_account))
    assert mine["status"] == "rejected" and mine["reason"].startswith("Vous avez")
    # ...and may ask again once refused.
    await town.call(
        "POST",
        ME,
        town.family(refused_account),
        {"address": town.ADDRESS, "guardians": [town.guardian("Paul", "Durand")]},
        status=202,
    )


CSV = (
    "\ufeffReference;Adresse;Code postal;Ville;Téléphone;Responsable1_Nom;Responsable1_Prenom;"
    "responsable1_email;responsable1_lien;responsable2_nom;responsable2_prenom;"
    "enfant_nom;enfant_prenom;enfant_naissance;enfant_sexe;enfant_classe;enfant_regime\n"
    "F001;3 rue du Lac;74330;Epagny;04 50 00 00 01;Martin;Claire;claire@example.fr;mère;"
    "Martin;Hugo;Martin;Léa;03/09/2016;F;CM1;sans porc\n"
    "F001;;;;;;;;;;;Martin;Tom;2019-01-20;M;GS;\n"
    "F002;8 chemin des Prés;74330;Epagny;;Benali;Karim;;père;;;;;;;;\n"
)


async def test_staff_import_the_towns_file(town: Town) -> None:
    staff = town.staff()
    r = await town.client.post(
        IMPORT, data=CSV.encode(), headers={**staff, "Content-Type": "text/csv; charset=utf-8"}
    )
    body = await r.json()
    assert r.status == 201, body
    assert body["households"] == 2 and body["children"] == 2
    first, second = body["created"]
    assert first["reference"] == "F001" and first["children"] == ["Léa Martin", "Tom Martin"]
    assert first["guardians"] == ["Claire Martin", "Hugo Martin"]
    assert second["reference"] == "F002" and second["line"] == 4 and second["children"] == []
    assert (
        len(first["subscriber_code"]) == 11
        and first["subscriber_code"] != second["subscriber_code"]
    )
    household = await town.call("GET", f"/tenants/epagny/households/{first['household_id']}", staff)
    assert household["phones"] == ["04 50 00 00 01"]
    claire = next(g for g in household["guardians"] if g["first_name"] == "Claire")
    assert claire["relationship"] == "mother" and claire["email"] == "claire@example.fr"
    lea = household["children"][0]
    assert (lea["birth_date"], lea["diet"], lea["grade"]) == ("2016-09-03", "no_pork", "CM1")
    await town.events("family.HouseholdCreated", 2)
    await town.events("family.ChildRegistered", 2)
    # The letters' codes work.
    family = town.family()
    await town.call("POST", f"{ME}/link", family, {"code": second["subscriber_code"]})
    # Comma-separated works too.
    text = (
        "reference,adresse,code_postal,ville,responsable1_nom,responsable1_prenom\n"
        "X9,1 rue A,74000,Annecy,Roux,Anne\n"
    )
    r = await town.client.post(
        IMPORT, data=text.encode(), headers={**staff, "Content-Type": "text/csv"}
    )
    assert r.status == 201
    found = await town.call("GET", "/tenants/epagny/households?q=roux", staff)
    assert found["total"] == 1


async def test_a_bad_import_lists_every_problem_and_writes_nothing(town: Town) -> None:
    staff = town.staff()
    bad = (
        "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
        "responsable1_email;enfant_nom;enfant_prenom;enfant_naissance;enfant_regime\n"
        "F1;1 rue A;74330;Epagny;Martin;Claire;claire@example.fr;Martin;Léa;03/09/2016;\n"
        "F2;2 rue B;7433;Epagny;Benali;Karim;pas-un-email;;;;\n"
        "F3;3 rue C;74330;Epagny;;;;Roux;Lou;31/02/2015;frites\n"
        "F1;9 autre rue;74330;Epagny;;;;Martin;Tom;;\n"
        ";4 rue D;74330;Epagny;Roux;Anne;;;;;\n"
        "F5;5 rue E;74330\n"
    )
    r = await town.client.post(
        IMPORT, data=bad.encode(), headers={**staff, "Content-Type": "text/csv"}
    )
    body = await r.json()
    assert r.status == 422, body
    assert body["detail"].startswith("Rien n'a été importé")
    problems = {(e["line"], e["field"]) for e in body["errors"]}
    assert problems == {
        (3, "code_postal"),
        (3, "responsable1_email"),
        (4, "responsable1_nom"),
        (4, "enfant_naissance"),
        (4, "enfant_regime"),
        (5, "adresse"),
        (5, "enfant_naissance"),
        (6, "reference"),
        (7, "_line"),
    }, body["errors"]
    assert all(e["detail"] for e in body["errors"])
    by_key = {(e["line"], e["field"]): e["detail"] for e in body["errors"]}
    assert by_key[(5, "enfant_naissance")] == "Ce champ est obligatoire."
    assert "ligne 2" in by_key[(5, "adresse")]
    found = await town.call("GET", "/tenants/epagny/households", staff)
    assert found["total"] == 0
    for headers, data, status in [
        ({"Content-Type": "application/json"}, b"{}", 415),
        ({"Content-Type": "text/csv"}, "référence;adresse\n".encode("latin-1"), 422),
        ({"Content-Type": "text/csv"}, b"nom;inconnue\n", 422),
    ]:
        r = await town.client.post(IMPORT, data=data, headers={**staff, **headers})
        assert r.status == status, await r.text()
    r = await town.client.post(
        IMPORT, data=CSV.encode(), headers={**town.family(), "Content-Type": "text/csv"}
    )
    assert r.status == 403


async def test_a_deletion_request_is_handled_by_anonymising(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    staff = town.staff()
    child_id = h["children"][0]["id"]
    base = f"/tenants/epagny/households/{h['id']}"
    await town.call(
        "POST",
        f"{base}/children/{child_id}/contacts",
        staff,
        {
            "first_name": "Mamie",
            "last_name": "Martin",
            "phone": "0601020304",
            "relationship": "grand-mère",
        },
        status=201,
    )
    await town.call("PUT", f"{base}/children/{child_id}/health", staff, {"allergies": ["arachide"]})
    await town.call(
        "POST", f"{base}/quotients", staff, {"value": 800, "valid_from": "2025-01-01"}, status=201
    )
    await town.upload(f"{ME}/documents", family, document_type="avis_imposition")
    await town.call(
        "POST", f"{ME}/requests", family, {"topic": "autre", "message": "Bonjour"}, status=201
    )
    r = await town.client.put(f"{base}/children/{child_id}/photo", data=town.JPEG, headers=staff)
    assert r.status == 200
    r = await town.client.put(f"{ME}/children/{child_id}/photo", data=town.PNG, headers=family)
    assert r.status == 202  # a pending photo too

    asked = await town.call(
        "POST", f"{ME}/deletion-request", family, {"message": "Nous déménageons."}, status=202
    )
    assert asked["status"] == "pending"
    r = await town.client.post(f"{ME}/deletion-request", json={}, headers=family)
    assert r.status == 409
    mine = await town.call("GET", f"{ME}/deletion-request", family)
    assert [d["id"] for d in mine["items"]] == [asked["id"]]
    queue = await town.call("GET", "/tenants/epagny/deletion-requests", staff)
    assert [d["id"] for d in queue["items"]] == [asked["id"]]
    r = await town.client.post(
        f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", headers=family
    )
    assert r.status == 403
    done = await town.call(
        "POST", f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", staff, None
    )
    assert done["status"] == "anonymised" and done["message"] == ""
    r = await town.client.post(
        f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", headers=staff
    )
    assert r.status == 409

    (event,) = await town.events("family.HouseholdAnonymised")
    assert event["payload"]["household_id"] == h["id"]
    assert len(event["payload"]["account_ids"]) == 1
    (updated,) = await town.events("family.ChildUpdated")
    assert updated["payload"]["child_id"] == child_id
    assert updated["payload"]["first_name"] == updated["payload"]["last_name"] == "Anonyme"
    # The file keeps its ids and quotient, nothing that names or reaches the family.
    file = await town.call("GET", base, staff)
    assert file["id"] == h["id"] and file["quotient"]["value"] == 800
    assert file["phones"] == [] and file["accounts"] == []
    (guardian,) = file["guardians"]
    assert (guardian["first_name"], guardian["last_name"], guardian["email"]) == (
        "Anonyme",
        "Anonyme",
        None,
    )
    assert guardian["phones"] == [] and guardian["fiscal"] is None and guardian["employer"] is None
    (kid,) = file["children"]
    assert kid["first_name"] == "Anonyme" and kid["birth_date"] == "2016-01-01"
    assert kid["contacts"] == [] and kid["has_health_record"] is False
    assert kid["has_photo"] is False
    assert await town.pool.fetchval("SELECT count(*) FROM pending_photos") == 0
    for table in ("health_records", "child_photos", "documents", "requests", "contacts"):
        count = await town.pool.fetchval(
            f"SELECT count(*) FROM {table} WHERE household_id = $1", uuid.UUID(h["id"])
        )
        assert count == 0, table
    dump = str(await town.pool.fetch("SELECT * FROM guardians"))
    assert "Claire" not in dump and "example.fr" not in dump
    # The family's account is no longer linked, and the code no longer links.
    r = await town.client.get(ME, headers=family)
    assert r.status == 404
    r = await town.client.post(
        f"{ME}/link", json={"code": h["subscriber_code"]}, headers=town.family()
    )
    assert r.status == 422
    # A refusal keeps everything.
    other = await town.household(guardians=[town.guardian("Karim", "Benali")])
    family_b = await town.linked_family(other)
    asked = await town.call("POST", f"{ME}/deletion-request", family_b, None, status=202)
    refused = await town.call(
        "POST",
        f"/tenants/epagny/deletion-requests/{asked['id']}/reject",
        staff,
        {"reason": "Factures impayées : conservation légale."},
    )
    assert refused["status"] == "rejected"
    assert (await town.call("GET", ME, family_b))["guardians"][0]["last_name"] == "Benali"


async def test_an_import_does_not_duplicate_households_already_in_the_file(town: Town) -> None:
    staff = town.staff()
    headers = {**staff, "Content-Type": "text/csv"}
    r = await town.client.post(IMPORT, data=CSV.encode(), headers=headers)
    assert r.status == 201
    martin = (await r.json())["created"][0]
    again = (
        "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
        "responsable1_email;enfant_nom;enfant_prenom;enfant_naissance\n"
        "G1;1 rue Neuve;74330;Epagny;Petit;Jules;;Petit;Zoé;12/12/2017\n"
        "G2;3 rue du Lac;74330;Epagny;Martin;Hugo;;MARTIN;Lea;03/09/2016\n"
        "G3;7 rue Haute;74330;Epagny;Martin;Claire;Claire@Example.fr;;;\n"
    )
    r = await town.client.post(IMPORT, data=again.encode(), headers=headers)
    body = await r.json()
    assert r.status == 409, body
    assert body["type"].endswith("/import-existing")
    assert body["detail"].startswith("Rien n'a été importé : 2 foyer(s)")
    assert [(e["line"], e["field"], e["subscriber_code"]) for e in body["errors"]] == [
        (3, "enfant_prenom", martin["subscriber_code"]),
        (4, "responsable1_email", martin["subscriber_code"]),
    ]
    assert "Lea MARTIN, né(e) le 03/09/2016" in body["errors"][0]["detail"]
    found = await town.call("GET", "/tenants/epagny/households?q=petit", staff)
    assert found["total"] == 0  # nothing written

    r = await town.client.post(IMPORT + "?existing=skip", data=again.encode(), headers=headers)
    body = await r.json()
    assert r.status == 201, body
    assert [c["reference"] for c in body["created"]] == ["G1"]
    assert [(s["reference"], s["line"]) for s in body["skipped"]] == [("G2", 3), ("G3", 4)]
    assert body["skipped"][0]["found"][0]["household_id"] == martin["household_id"]
    r = await town.client.post(IMPORT + "?existing=maybe", data=again.encode(), headers=headers)
    assert r.status == 422


async def test_a_person_twice_in_the_file_is_a_problem_of_the_file(town: Town) -> None:
    twice = (
        "reference;adresse;code_postal;ville;responsable1_nom;responsable1_prenom;"
        "responsable1_email;enfant_nom;enfant_prenom;enfant_naissance\n"
        "H1;1 rue A;74330;Epagny;Roux;Anne;anne@example.fr;Roux;Lou;01/02/2016\n"
        "H2;2 rue B;74330;Epagny;Roux;Paul;ANNE@example.fr;ROUX;Lou;2016-02-01\n"
    )
    r = await town.client.post(
        IMPORT, data=twice.encode(), headers={**town.staff(), "Content-Type": "text/csv"}
    )
    body = await r.json()
    assert r.status == 422, body
    assert {(e["line"], e["field"]) for e in body["errors"]} == {
        (3, "responsable1_email"),
        (3, "enfant_prenom"),
    }
    assert body["errors"][0]["detail"].startswith("Déjà à la ligne 2 du fichier")
