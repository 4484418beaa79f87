"""Supporting documents: uploads checked by content, staff validation with a validity end."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date, timedelta
from typing import Any

from family.domain.catalog import end_of_school_year

Town = Any
ME = "/tenants/epagny/me/household"


async def test_a_family_uploads_and_staff_validate_or_reject(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    doc = await town.upload(
        f"{ME}/documents",
        family,
        content=town.PDF,
        filename="certificat Léa.pdf",
        document_type="certificat_medical",
        member_id=child_id,
    )
    assert doc["status"] == "pending" and doc["document_label"] == "Certificat médical"
    assert doc["member_kind"] == "child" and doc["member_id"] == child_id
    assert doc["size"] == len(town.PDF) and doc["sha256"] == hashlib.sha256(town.PDF).hexdigest()
    assert doc["content_type"] == "application/pdf" and doc["filename"] == "certificat Léa.pdf"
    # A PNG sent under a .pdf name is stored as what it is.
    png = await town.upload(
        f"{ME}/documents",
        family,
        content=town.PNG,
        filename="avis.pdf",
        document_type="avis_imposition",
    )
    assert png["content_type"] == "image/png" and png["filename"] == "avis.pdf.png"
    assert png["member_id"] is None

    mine = await town.call("GET", f"{ME}/documents", family)
    assert {d["id"] for d in mine["items"]} == {doc["id"], png["id"]}
    r = await town.client.get(f"{ME}/documents/{doc['id']}/content", headers=family)
    assert r.status == 200 and await r.read() == town.PDF
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"].startswith("attachment;")
    assert r.headers["X-Content-Type-Options"] == "nosniff"

    staff = town.staff()
    queue = await town.call(
        "GET", "/tenants/epagny/documents?document_type=certificat_medical", staff
    )
    assert [d["id"] for d in queue["items"]] == [doc["id"]]
    r = await town.client.get(f"/tenants/epagny/documents/{doc['id']}/content", headers=staff)
    assert await r.read() == town.PDF
    validated = await town.call(
        "POST", f"/tenants/epagny/documents/{doc['id']}/validate", staff, None
    )
    assert validated["status"] == "validated"
    assert validated["valid_until"] == end_of_school_year(date.today()).isoformat()
    (event,) = await town.events("family.DocumentValidated")
    payload = event["payload"]
    assert payload["document_id"] == doc["id"] and payload["household_id"] == h["id"]
    assert payload["child_id"] == child_id and payload["member_id"] == child_id
    assert payload["document_type"] == "certificat_medical"
    assert payload["valid_until"] == validated["valid_until"]
    assert len(payload["account_ids"]) == 1

    r = await town.client.post(
        f"/tenants/epagny/documents/{doc['id']}/reject", json={"reason": "x"}, headers=staff
    )
    assert r.status == 409
    past = (date.today() - timedelta(days=1)).isoformat()
    r = await town.client.post(
        f"/tenants/epagny/documents/{png['id']}/validate",
        json={"valid_until": past},
        headers=staff,
    )
    assert r.status == 422 and (await r.json())["errors"][0]["field"] == "valid_until"
    rejected = await town.call(
        "POST",
        f"/tenants/epagny/documents/{png['id']}/reject",
        staff,
        {"reason": "Avis illisible, merci de le renvoyer."},
    )
    assert rejected["status"] == "rejected"
    (event,) = await town.events("family.DocumentRejected")
    assert event["payload"]["reason"] == "Avis illisible, merci de le renvoyer."
    assert event["payload"]["member_id"] is None and event["payload"]["child_id"] is None

    pending = await town.call("GET", "/tenants/epagny/documents", staff)
    assert pending["items"] == []
    everything = await town.call(
        "GET", f"/tenants/epagny/documents?status=all&household_id={h['id']}", staff
    )
    assert everything["total"] == 2
    mine = await town.call("GET", f"{ME}/documents?status=validated", family)
    assert [d["id"] for d in mine["items"]] == [doc["id"]]
    # Staff upload on the household's own door, for a guardian, with a chosen validity.
    guardian_id = h["guardians"][0]["id"]
    by_staff = await town.upload(
        f"/tenants/epagny/households/{h['id']}/documents",
        staff,
        content=town.JPEG,
        filename="livret",
        document_type="livret_famille",
        member_id=guardian_id,
    )
    assert by_staff["member_kind"] == "guardian" and by_staff["filename"] == "livret.jpg"
    until = (date.today() + timedelta(days=400)).isoformat()
    validated = await town.call(
        "POST",
        f"/tenants/epagny/documents/{by_staff['id']}/validate",
        staff,
        {"valid_until": until},
    )
    assert validated["valid_until"] == until


async def test_bad_uploads_get_a_clear_4xx(town: Town, make_settings: Any) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    path = f"{ME}/documents"

    async def refused(status: int, **kw: Any) -> dict[str, Any]:
        r = await town.upload(path, family, status=None, **kw)
        body = await r.json()
        assert r.status == status, body
        assert r.headers["Content-Type"].startswith("application/problem+json")
        return body

    # A text file named and declared as a PDF.
    body = await refused(
        415, content=b"hello, not a pdf", filename="scan.pdf", document_type="autre"
    )
    assert body["errors"] == [{"field": "file", "detail": body["detail"]}]
    assert "champ file" in body["detail"] and "PDF" in body["detail"]
    # An executable pretending to be an image.
    await refused(415, content=b"MZ\x90\x00" * 10, filename="photo.jpg", declared="image/jpeg")
    body = await refused(422, content=b"", filename="vide.pdf", document_type="autre")
    assert "est vide" in body["detail"]
    too_big = town.PDF[:-7] + b"\x00" * (town.settings.document_max_bytes + 1) + b"%%EOF\n"
    body = await refused(413, content=too_big, document_type="autre")
    assert body["errors"][0]["field"] == "file" and "5 Mo" in body["detail"]
    body = await refused(422, content=None, document_type="autre")
    assert body["errors"][0]["field"] == "file"
    body = await refused(422, document_type="passeport")
    assert body["errors"][0]["field"] == "document_type"
    assert "livret_famille" in body["errors"][0]["detail"]
    body = await refused(422)
    assert body["errors"][0]["field"] == "document_type"
    other = await town.household(guardians=[town.guardian("Karim", "Benali")])
    body = await refused(422, document_type="autre", member_id=other["children"][0]["id"])
    assert body["errors"][0]["field"] == "member_id"
    r = await town.client.post(path, json={"document_type": "autre"}, headers=family)
    assert r.status == 415
    mine = await town.call("GET", f"{ME}/documents", family)
    assert mine["total"] == 0


async def test_staff_add_document_types_per_tenant(town: Town) -> None:
    staff = town.staff()
    types = await town.call("GET", "/tenants/epagny/document-types", staff)
    codes = [t["code"] for t in types["items"]]
    assert codes[:5] == [
        "livret_famille",
        "avis_imposition",
        "attestation_caf",
        "certificat_medical",
        "justificatif_domicile",
    ]
    added = await town.call(
        "POST",
        "/tenants/epagny/document-types",
        staff,
        {"label": "Attestation d'assurance"},
        status=201,
    )
    assert {"code": "attestation_d_assurance", "label": "Attestation d'assurance"} in added["items"]
    r = await town.client.post(
        "/tenants/epagny/document-types",
        json={"label": "Autre libellé", "code": "attestation_d_assurance"},
        headers=staff,
    )
    assert r.status == 409
    h = await town.household()
    family = await town.linked_family(h)
    r = await town.client.post(
        "/tenants/epagny/document-types", json={"label": "Pirate"}, headers=family
    )
    assert r.status == 403
    listed = await town.call("GET", "/tenants/epagny/document-types", family)
    assert "attestation_d_assurance" in [t["code"] for t in listed["items"]]
    await town.upload(f"{ME}/documents", family, document_type="attestation_d_assurance")
    # Another tenant has its own list, with the defaults only.
    other = await town.call("GET", "/tenants/annecy/document-types", town.staff("annecy"))
    assert "attestation_d_assurance" not in [t["code"] for t in other["items"]]

    # Staff rename an entry: the label changes everywhere it shows, the code stays.
    renamed = await town.call(
        "PUT",
        "/tenants/epagny/document-types/attestation_d_assurance",
        staff,
        {"label": "Attestation d'assurance scolaire"},
    )
    assert {
        "code": "attestation_d_assurance",
        "label": "Attestation d'assurance scolaire",
    } in renamed["items"]
    mine = await town.call("GET", f"{ME}/documents", family)
    assert mine["items"][0]["document_label"] == "Attestation d'assurance scolaire"
    for path, headers, status in (
        ("/tenants/epagny/document-types/inconnu", staff, 404),
        ("/tenants/epagny/document-types/attestation_d_assurance", family, 403),
        ("/tenants/annecy/document-types/attestation_d_assurance", town.staff("annecy"), 404),
    ):
        r = await town.client.put(path, json={"label": "Autre"}, headers=headers)
        assert r.status == status, (path, await r.text())
    r = await town.client.put(
        "/tenants/epagny/request-topics/inconnu", json={"label": ""}, headers=staff
    )
    assert r.status == 422


async def test_a_family_cannot_reach_another_households_documents(town: Town) -> None:
    a = await town.household()
    b = await town.household(guardians=[town.guardian("Karim", "Benali")])
    family_a = await town.linked_family(a)
    family_b = await town.linked_family(b)
    doc_b = await town.upload(f"{ME}/documents", family_b, document_type="autre")
    for path in [f"{ME}/documents/{doc_b['id']}", f"{ME}/documents/{doc_b['id']}/content"]:
        r = await town.client.get(path, headers=family_a)
        assert r.status == 404, path
    assert (await town.call("GET", f"{ME}/documents", family_a))["items"] == []
    for method, path in [
        ("GET", "/tenants/epagny/documents"),
        ("GET", f"/tenants/epagny/documents/{doc_b['id']}"),
        ("GET", f"/tenants/epagny/documents/{doc_b['id']}/content"),
        ("POST", f"/tenants/epagny/documents/{doc_b['id']}/validate"),
        ("POST", f"/tenants/epagny/documents/{doc_b['id']}/reject"),
        ("GET", f"/tenants/epagny/households/{b['id']}/documents"),
    ]:
        r = await town.client.request(method, path, json={"reason": "x"}, headers=family_a)
        assert r.status == 403, path
    # Staff of another tenant see nothing of it.
    r = await town.client.get(
        f"/tenants/annecy/documents/{doc_b['id']}", headers=town.staff("annecy")
    )
    assert r.status == 404
    await asyncio.sleep(0)


async def test_staff_downloads_of_medical_certificates_are_in_the_health_access_log(
    town: Town,
) -> None:
    h = await town.household(guardians=[town.guardian(), town.guardian("Marc", "Martin")])
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    guardian_id = h["guardians"][1]["id"]
    upload = f"{ME}/documents"
    for_child = await town.upload(
        upload, family, document_type="certificat_medical", member_id=child_id
    )
    for_guardian = await town.upload(
        upload, family, document_type="certificat_medical", member_id=guardian_id
    )
    tax = await town.upload(upload, family, document_type="avis_imposition")
    # The family's own downloads are not logged (the data is theirs).
    for doc in (for_child, for_guardian, tax):
        r = await town.client.get(f"{ME}/documents/{doc['id']}/content", headers=family)
        assert r.status == 200
    staff, admin = town.staff(), town.staff(role="admin")
    # Details and lists do not show the content: not logged either.
    await town.call("GET", f"/tenants/epagny/documents/{for_child['id']}", staff)
    await town.call("GET", "/tenants/epagny/documents?document_type=certificat_medical", staff)
    assert await town.pool.fetchval("SELECT count(*) FROM health_access_log") == 0

    r = await town.client.get(f"/tenants/epagny/documents/{for_child['id']}/content", headers=staff)
    assert r.status == 200 and await r.read() == town.PDF
    household_door = f"/tenants/epagny/households/{h['id']}/documents"
    r = await town.client.get(f"{household_door}/{for_guardian['id']}/content", headers=admin)
    assert r.status == 200
    r = await town.client.get(f"/tenants/epagny/documents/{tax['id']}/content", headers=staff)
    assert r.status == 200  # not health data: not in the health log

    log = await town.call("GET", f"{ME}/health-access-log", family)
    entries = [
        (e["purpose"], e["document_id"], e["member_kind"], e["member_id"], e["child_id"])
        for e in log["items"]
    ]
    assert entries == [
        ("document-download", for_guardian["id"], "guardian", guardian_id, None),
        ("document-download", for_child["id"], "child", child_id, child_id),
    ]
    assert [e["account_id"] for e in log["items"]] == [
        town.staff_ids["epagny:admin"],
        town.staff_ids["epagny:staff"],
    ]
    assert log["items"][0]["roles"] == ["admin"] and log["items"][0]["accessed_at"]
    # Health-record reads keep their shape in the same log.
    await town.call(
        "PUT",
        f"/tenants/epagny/households/{h['id']}/children/{child_id}/health",
        staff,
        {"allergies": ["lait"], "certified": True},
    )
    await town.call(
        "GET", f"/tenants/epagny/households/{h['id']}/children/{child_id}/health", staff
    )
    log = await town.call("GET", f"{ME}/health-access-log", family)
    assert (log["items"][0]["purpose"], log["items"][0]["member_kind"]) == ("read", "child")
    assert log["items"][0]["document_id"] is None
    # Staff of another town: refused, nothing logged.
    r = await town.client.get(
        f"/tenants/annecy/documents/{for_child['id']}/content", headers=town.staff("annecy")
    )
    assert r.status == 404
    assert await town.pool.fetchval("SELECT count(*) FROM health_access_log") == 3
