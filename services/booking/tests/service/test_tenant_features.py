"""A town that turns online booking off (issue 16): families can no longer fill or validate
a basket; staff still book for them."""

from __future__ import annotations

from typing import Any

from shared.testing.features import announce_features

from ..conftest import TENANT

Town = Any


async def test_online_booking_off_refuses_families_not_staff(town: Town) -> None:
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    line = {"child_id": str(kid["id"]), "activity_id": activity["id"], "dates": ["2026-09-14"]}
    opened = await town.basket(kid, [line])  # opened while booking was still on
    await announce_features(town.client.app, TENANT, online_booking=False)

    family = town.family(kid["household_id"])
    attempts = [
        (f"/tenants/{TENANT}/baskets", {"lines": [line]}),
        (f"/tenants/{TENANT}/baskets/{opened['id']}/lines", line),
        (f"/tenants/{TENANT}/baskets/{opened['id']}/validate", {}),
    ]
    for path, body in attempts:
        r = await town.client.post(path, json=body, headers=family)
        assert r.status == 403, f"{path}: {r.status} {await r.text()}"
        problem = await r.json()
        assert problem["type"].endswith("/feature-off") and problem["feature"] == "online_booking"
        assert problem["detail"].startswith("La mairie ne permet pas de réserver en ligne")
    basket = await town.call("GET", f"/tenants/{TENANT}/baskets/{opened['id']}", family)
    assert basket["status"] == "open"  # nothing booked

    staff = town.staff()
    made = await town.call(
        "POST",
        f"/tenants/{TENANT}/baskets",
        staff,
        {"household_id": str(kid["household_id"]), "lines": [line]},
        status=201,
    )
    result = await town.call("POST", f"/tenants/{TENANT}/baskets/{made['id']}/validate", staff, {})
    assert [x["outcome"] for x in result["lines"]] == ["confirmed"]

    await announce_features(town.client.app, TENANT)
    result = await town.validate(kid, opened)
    # Turned on again: the family's basket is validated (the day staff booked meanwhile is
    # already the child's).
    assert [(x["outcome"], x["reason"]) for x in result["lines"]] == [("refused", "already_booked")]
