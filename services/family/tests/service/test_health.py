"""Health records: encrypted at rest, every staff read logged, never shown to the wrong person."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

from family.app import create_app

Town = Any
ME = "/tenants/epagny/me/household"
RECORD = {
    "allergies": ["arachide", "kiwi"],
    "pai": True,
    "pai_details": "Stylo d'adrénaline dans le sac",
    "vaccinations": [{"name": "DTPolio", "date": "2022-05-10"}],
    "doctor": {"name": "Dr Lefèvre", "phone": "04 50 22 33 44"},
    "treatments": "Ventoline si crise",
    "remarks": "Asthme d'effort",
    "certified": True,
}


async def test_the_database_holds_only_ciphertext(town: Town) -> None:
    h = await town.household()
    child_id = h["children"][0]["id"]
    staff = town.staff()
    path = f"/tenants/epagny/households/{h['id']}/children/{child_id}/health"
    await town.call("PUT", path, staff, RECORD)
    row = await town.pool.fetchrow("SELECT key_id, sealed FROM health_records")
    assert row["key_id"] == "dev"
    raw = bytes(row["sealed"])
    for secret in ("arachide", "adrénaline", "Lefèvre", "Ventoline", "Asthme"):
        assert secret.encode() not in raw
    dump = str(await town.pool.fetch("SELECT * FROM health_records"))
    assert "arachide" not in dump
    # Moved onto another child, the ciphertext does not open (bound to its row).
    body = await town.call(
        "POST",
        f"/tenants/epagny/households/{h['id']}/children",
        staff,
        town.child("Tom"),
        status=201,
    )
    await town.pool.execute(
        "INSERT INTO health_records (child_id, tenant, household_id, key_id, sealed, updated_by)"
        " SELECT $1, tenant, household_id, key_id, sealed, updated_by FROM health_records",
        body["created_id"],
    )
    r = await town.client.get(
        f"/tenants/epagny/households/{h['id']}/children/{body['created_id']}/health",
        headers=staff,
    )
    assert r.status == 500


async def test_staff_reads_are_logged_and_the_family_sees_the_log(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    staff = town.staff()
    path = f"/tenants/epagny/households/{h['id']}/children/{child_id}/health"
    r = await town.client.get(path, headers=staff)
    assert r.status == 404
    await town.call("PUT", path, staff, RECORD)
    record = await town.call("GET", path, staff)
    assert record["allergies"] == ["arachide", "kiwi"] and record["doctor"]["name"] == "Dr Lefèvre"
    assert record["certified"] is True and record["certified_at"]
    await town.call("GET", path, town.staff(role="admin"))
    # The family reads its own child's record (not logged: it is theirs).
    mine = await town.call("GET", f"{ME}/children/{child_id}/health", family)
    assert mine["pai_details"] == "Stylo d'adrénaline dans le sac"
    log = await town.call("GET", f"{ME}/health-access-log", family)
    assert [(e["child_id"], e["roles"], e["purpose"]) for e in log["items"]] == [
        (child_id, ["admin"], "read"),
        (child_id, ["staff"], "read"),
    ]
    assert log["items"][1]["account_id"] == town.staff_ids["epagny:staff"]
    staff_view = await town.call(
        "GET", f"/tenants/epagny/households/{h['id']}/health-access-log", staff
    )
    assert len(staff_view["items"]) == 2
    # Staff of another tenant: refused before anything is read or logged.
    r = await town.client.get(path, headers=town.staff("annecy"))
    assert r.status == 403
    r = await town.client.get(
        f"/tenants/annecy/households/{h['id']}/children/{child_id}/health",
        headers=town.staff("annecy"),
    )
    assert r.status == 404
    assert await town.pool.fetchval("SELECT count(*) FROM health_access_log") == 2
    # Not a child of this household: nothing returned, nothing logged.
    other = await town.household(children=[town.child("Inès", "Benali")])
    r = await town.client.get(
        f"/tenants/epagny/households/{other['id']}/children/{child_id}/health", headers=staff
    )
    assert r.status == 404


async def test_a_family_health_change_is_certified_sealed_and_reviewed(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    path = f"{ME}/children/{child_id}/health"
    r = await town.client.put(path, json={**RECORD, "certified": False}, headers=family)
    assert r.status == 422
    assert (await r.json())["errors"] == [
        {
            "field": "certified",
            "detail": "Merci de certifier que les informations de santé sont correctes.",
        }
    ]
    change = await town.call("PUT", path, family, RECORD, status=202)
    assert change["sensitive"] is True and change["proposed"] is None
    assert change["summary"] == "Modification de la fiche sanitaire : Léa Martin"
    raw = await town.pool.fetchrow("SELECT before, proposed, sealed FROM pending_changes")
    assert raw["before"] is None and raw["proposed"] is None
    assert b"arachide" not in bytes(raw["sealed"])
    # The family sees its own proposal; staff lists show no content; opening it is logged.
    own = await town.call("GET", f"{ME}/changes/{change['id']}", family)
    assert own["proposed"]["allergies"] == ["arachide", "kiwi"]
    staff = town.staff()
    queue = await town.call("GET", "/tenants/epagny/changes", staff)
    assert queue["items"][0]["proposed"] is None
    review = await town.call("GET", f"/tenants/epagny/changes/{change['id']}", staff)
    assert review["proposed"]["pai"] is True and review["before"] is None
    await town.call("POST", f"/tenants/epagny/changes/{change['id']}/approve", staff)
    record = await town.call("GET", path, family)
    assert record["treatments"] == "Ventoline si crise" and record["certified"] is True
    log = await town.call("GET", f"{ME}/health-access-log", family)
    assert [e["purpose"] for e in log["items"]] == ["change-review"]


async def test_keys_rotate(town: Town, make_settings: Any, aiohttp_client: Any) -> None:
    h = await town.household()
    child_id = h["children"][0]["id"]
    path = f"/tenants/epagny/households/{h['id']}/children/{child_id}/health"
    await town.call("PUT", path, town.staff(), RECORD)
    new_key = base64.b64encode(b"k" * 32).decode()
    settings = dataclasses.replace(
        town.settings,
        health_keys=f"{town.settings.health_keys},2026:{new_key}",
        health_current_key="2026",
        migrate_on_start=False,
    )
    client = await aiohttp_client(create_app(settings))
    headers = town.staff()
    r = await client.get(path, headers=headers)
    assert r.status == 200 and (await r.json())["allergies"] == ["arachide", "kiwi"]
    r = await client.put(path, json={**RECORD, "remarks": "à jour"}, headers=headers)
    assert r.status == 200
    assert await town.pool.fetchval("SELECT key_id FROM health_records") == "2026"
    r = await client.get(path, headers=headers)
    assert (await r.json())["remarks"] == "à jour"


async def test_an_animator_reads_only_the_care_needs_and_the_read_is_logged(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    base = f"/tenants/epagny/households/{h['id']}/children/{child_id}"
    animator = town.staff(role="animator")
    r = await town.client.get(f"{base}/care-needs", headers=animator)
    assert r.status == 404  # no record yet
    await town.call("PUT", f"{base}/health", town.staff(), RECORD)
    care = await town.call("GET", f"{base}/care-needs", animator)
    assert care == {
        "child_id": child_id,
        "allergies": ["arachide", "kiwi"],
        "pai": True,
        "pai_details": "Stylo d'adrénaline dans le sac",
    }
    # The whole record (doctor, treatments, remarks) stays staff's.
    r = await town.client.get(f"{base}/health", headers=animator)
    assert r.status == 403
    r = await town.client.get(f"{base}/care-needs", headers=family)
    assert r.status == 403
    other = f"/tenants/epagny/households/{h['id']}/children/{h['id']}/care-needs"
    assert (await town.client.get(other, headers=animator)).status == 404
    elsewhere = town.staff(tenant="annecy", role="animator")
    r = await town.client.get(
        f"/tenants/annecy/households/{h['id']}/children/{child_id}/care-needs", headers=elsewhere
    )
    assert r.status == 404
    log = await town.call("GET", f"{ME}/health-access-log", family)
    assert [(e["roles"], e["purpose"]) for e in log["items"]] == [(["animator"], "read")]
