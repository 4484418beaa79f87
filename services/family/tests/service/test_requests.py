"""Requests to the town: a thread between a family and staff, open → answered → closed."""

from __future__ import annotations

from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"


async def test_a_request_thread_from_both_sides(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    topics = await town.call("GET", "/tenants/epagny/request-topics", family)
    assert [t["code"] for t in topics["items"]] == [
        "justificatif_absence",
        "changement_rib",
        "changement_medical",
        "autre",
    ]
    sent = await town.upload(
        f"{ME}/requests",
        family,
        content=town.PDF,
        filename="certificat.pdf",
        topic="justificatif_absence",
        child_id=child_id,
        message="Léa était malade lundi, voici le certificat.",
    )
    assert sent["status"] == "open" and sent["subject"] == "Justificatif d'absence"
    assert sent["child_id"] == child_id and sent["topic_label"] == "Justificatif d'absence"
    (first,) = sent["messages"]
    assert first["side"] == "family" and first["attachment"]["content_type"] == "application/pdf"

    staff = town.staff()
    queue = await town.call("GET", "/tenants/epagny/requests?status=open", staff)
    assert [r["id"] for r in queue["items"]] == [sent["id"]]
    r = await town.client.get(
        f"/tenants/epagny/requests/{sent['id']}/messages/{first['id']}/attachment", headers=staff
    )
    assert r.status == 200 and await r.read() == town.PDF
    answered = await town.call(
        "POST",
        f"/tenants/epagny/requests/{sent['id']}/messages",
        staff,
        {"message": "Bien reçu, l'absence ne sera pas facturée."},
        status=201,
    )
    assert answered["status"] == "answered" and len(answered["messages"]) == 2
    (event,) = await town.events("family.RequestAnswered")
    payload = event["payload"]
    assert payload["request_id"] == sent["id"] and payload["household_id"] == h["id"]
    assert payload["topic"] == "justificatif_absence" and payload["status"] == "answered"
    assert payload["child_id"] == child_id and len(payload["account_ids"]) == 1

    replied = await town.call(
        "POST", f"{ME}/requests/{sent['id']}/messages", family, {"message": "Merci !"}, status=201
    )
    assert replied["status"] == "open"
    thread = await town.call("GET", f"{ME}/requests/{sent['id']}", family)
    assert [m["side"] for m in thread["messages"]] == ["family", "staff", "family"]
    r = await town.client.get(
        f"{ME}/requests/{sent['id']}/messages/{first['id']}/attachment", headers=family
    )
    assert await r.read() == town.PDF
    closed = await town.call(
        "POST",
        f"/tenants/epagny/requests/{sent['id']}/messages",
        staff,
        {"message": "Dossier clos.", "close": True},
        status=201,
    )
    assert closed["status"] == "closed"
    events = await town.events("family.RequestAnswered", 2)
    assert events[1]["payload"]["status"] == "closed"
    r = await town.client.post(
        f"{ME}/requests/{sent['id']}/messages", json={"message": "Encore"}, headers=family
    )
    assert r.status == 409
    staff_view = await town.call("GET", f"/tenants/epagny/requests/{sent['id']}", staff)
    assert len(staff_view["messages"]) == 4

    # A JSON request without attachment nor child; the family closes it itself.
    other = await town.call(
        "POST",
        f"{ME}/requests",
        family,
        {"topic": "changement_rib", "subject": "Nouveau RIB", "message": "Je change de banque."},
        status=201,
    )
    assert other["child_id"] is None and other["messages"][0]["attachment"] is None
    done = await town.call("POST", f"{ME}/requests/{other['id']}/close", family, None)
    assert done["status"] == "closed"
    mine = await town.call("GET", f"{ME}/requests", family)
    assert mine["total"] == 2
    # The privacy export holds the threads and the documents' metadata.
    await town.upload(f"{ME}/documents", family, document_type="attestation_caf")
    exported = await town.call("GET", f"{ME}/export", family)
    assert len(exported["requests"]) == 2 and len(exported["documents"]) == 1
    assert "Je change de banque." in str(exported["requests"])
    assert "content" not in exported["documents"][0]


async def test_bad_requests_are_refused(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    other = await town.household(guardians=[town.guardian("Karim", "Benali")])
    for body, field in [
        ({"topic": "inconnu", "message": "x"}, "topic"),
        ({"topic": "autre"}, "message"),
        ({"topic": "autre", "message": "x", "child_id": other["children"][0]["id"]}, "child_id"),
    ]:
        r = await town.client.post(f"{ME}/requests", json=body, headers=family)
        assert r.status == 422, body
        assert (await r.json())["errors"][0]["field"] == field
    r = await town.upload(
        f"{ME}/requests",
        family,
        content=b"GIF89a not accepted",
        filename="scan.pdf",
        status=None,
        topic="autre",
        message="x",
    )
    assert r.status == 415 and "champ file" in (await r.json())["detail"]
    staff = town.staff()
    added = await town.call(
        "POST", "/tenants/epagny/request-topics", staff, {"label": "Inscription"}, status=201
    )
    assert "inscription" in [t["code"] for t in added["items"]]
    await town.call(
        "POST", f"{ME}/requests", family, {"topic": "inscription", "message": "x"}, status=201
    )


async def test_a_family_cannot_reach_another_households_requests(town: Town) -> None:
    a = await town.household()
    b = await town.household(guardians=[town.guardian("Karim", "Benali")])
    family_a = await town.linked_family(a)
    family_b = await town.linked_family(b)
    sent = await town.upload(
        f"{ME}/requests", family_b, topic="autre", message="Privé", filename="b.pdf"
    )
    message_id = sent["messages"][0]["id"]
    for method, path, body in [
        ("GET", f"{ME}/requests/{sent['id']}", None),
        ("POST", f"{ME}/requests/{sent['id']}/messages", {"message": "pirate"}),
        ("POST", f"{ME}/requests/{sent['id']}/close", None),
        ("GET", f"{ME}/requests/{sent['id']}/messages/{message_id}/attachment", None),
    ]:
        r = await town.client.request(method, path, json=body, headers=family_a)
        assert r.status == 404, path
    assert (await town.call("GET", f"{ME}/requests", family_a))["items"] == []
    for method, path in [
        ("GET", "/tenants/epagny/requests"),
        ("GET", f"/tenants/epagny/requests/{sent['id']}"),
        ("POST", f"/tenants/epagny/requests/{sent['id']}/messages"),
        ("POST", f"/tenants/epagny/requests/{sent['id']}/close"),
        ("GET", f"/tenants/epagny/requests/{sent['id']}/messages/{message_id}/attachment"),
        ("POST", "/tenants/epagny/request-topics"),
    ]:
        r = await town.client.request(method, path, json={"message": "x"}, headers=family_a)
        assert r.status == 403, path
    thread = await town.call("GET", f"{ME}/requests/{sent['id']}", family_b)
    assert len(thread["messages"]) == 1 and thread["status"] == "open"
