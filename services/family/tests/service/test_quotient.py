"""The family quotient: set by staff (event), declared by a family (pending), history kept."""

from __future__ import annotations

from typing import Any

Town = Any


async def test_staff_set_the_quotient_and_billing_hears_of_it(town: Town) -> None:
    h = await town.household()
    path = f"/tenants/epagny/households/{h['id']}/quotients"
    staff = town.staff()
    body = await town.call(
        "POST",
        path,
        staff,
        {"value": 820, "source": "caf", "valid_from": "2020-01-01", "valid_until": "2020-12-31"},
        status=201,
    )
    assert body["current"] is None  # expired: unknown QF today
    body = await town.call(
        "POST", path, staff, {"value": 710, "valid_from": "2024-09-01"}, status=201
    )
    assert body["current"]["value"] == 710 and body["current"]["source"] == "staff"
    assert [q["value"] for q in body["history"]] == [710, 820]
    events = await town.events("family.QuotientChanged", 2)
    assert events[1]["payload"]["value"] == 710
    assert events[0]["payload"] == {
        "quotient_id": body["history"][1]["id"],
        "household_id": h["id"],
        "value": 820,
        "valid_from": "2020-01-01",
        "valid_until": "2020-12-31",
        "source": "caf",
    }
    r = await town.client.post(
        path,
        json={"value": 500, "valid_from": "2025-01-01", "valid_until": "2024-01-01"},
        headers=staff,
    )
    assert r.status == 422
    assert (await r.json())["errors"] == [
        {"field": "valid_until", "detail": "La fin de validité doit être postérieure au début."}
    ]


async def test_a_family_declares_a_quotient_through_staff(town: Town) -> None:
    h = await town.household()
    family = await town.linked_family(h)
    me = "/tenants/epagny/me/household/quotients"
    r = await town.client.post(
        me, json={"value": 600, "valid_from": "2025-01-01", "source": "staff"}, headers=family
    )
    assert r.status == 422  # a family cannot claim staff as the source
    change = await town.call(
        "POST", me, family, {"value": 600, "valid_from": "2025-01-01"}, status=202
    )
    assert change["summary"] == ("Déclaration du quotient familial : QF 600 à partir du 01/01/2025")
    assert (await town.call("GET", me, family))["history"] == []
    await town.call("POST", f"/tenants/epagny/changes/{change['id']}/approve", town.staff())
    mine = await town.call("GET", me, family)
    assert mine["current"]["value"] == 600 and mine["current"]["source"] == "declared"
    (event,) = await town.events("family.QuotientChanged")
    assert event["payload"]["source"] == "declared"
