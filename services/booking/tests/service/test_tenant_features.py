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


async def test_online_booking_off_refuses_a_family_s_cancellation_and_window_request(
    town: Town,
) -> None:
    """Every way a family books or cancels online follows the switch, not baskets alone: a
    booking's cancellation and a request in an opening window (staff still cancel)."""
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    family = town.family(kid["household_id"])
    (line,) = (await town.book(kid, activity, "2026-09-14"))["lines"]
    assert line["outcome"] == "confirmed"
    window = await town.call(
        "POST",
        f"/tenants/{TENANT}/windows",
        town.staff(),
        {
            "activity_id": activity["id"],
            "name": "Vacances de la Toussaint",
            "opens_at": "2026-09-01T07:00:00+02:00",
            "closes_at": "2026-09-09T08:00:00+02:00",
            "date_from": "2026-10-05",
            "date_to": "2026-10-06",
            "priority_rules": [],
            "first_come_after": True,
        },
        201,
    )
    await announce_features(town.client.app, TENANT, online_booking=False)

    attempts = [
        ("POST", f"/tenants/{TENANT}/bookings/{line['booking_id']}/cancel", {}),
        (
            "PUT",
            f"/tenants/{TENANT}/windows/{window['id']}/requests/mine",
            {"children": [{"child_id": str(kid["id"]), "dates": ["2026-10-05"]}]},
        ),
    ]
    for method, path, body in attempts:
        r = await town.client.request(method, path, json=body, headers=family)
        assert r.status == 403, f"{path}: {r.status} {await r.text()}"
        problem = await r.json()
        assert problem["type"].endswith("/feature-off") and problem["feature"] == "online_booking"
    requests = await town.pool.fetchval("SELECT count(*) FROM window_requests")
    assert requests == 0

    cancelled = await town.call(
        "POST", f"/tenants/{TENANT}/bookings/{line['booking_id']}/cancel", town.staff(), {}
    )
    assert cancelled["status"] == "cancelled"


async def test_online_booking_off_a_family_s_fixed_schedule_awaits_the_town(town: Town) -> None:
    """An enrollment approved at once books its fixed schedule: in a town without online
    booking, the family's enrollment waits for staff instead, whose approval books it."""
    activity = await town.activity(period_from="2026-11-02", period_to="2026-11-13")
    kid = await town.child()
    family = town.family(kid["household_id"])
    await announce_features(town.client.app, TENANT, online_booking=False)
    body = {"child_id": str(kid["id"]), "activity_id": activity["id"]}
    pending = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        family,
        {**body, "mode": "regular", "weekdays": [1, 4]},
        status=201,
    )
    assert pending["status"] == "pending" and pending["scheduled"] is None
    assert await town.pool.fetchval("SELECT count(*) FROM bookings") == 0

    decided = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments/{pending['id']}/decision",
        town.staff(),
        {"decision": "approved"},
    )
    assert decided["status"] == "approved"
    assert decided["scheduled"]["confirmed"] == [
        "2026-11-02",
        "2026-11-05",
        "2026-11-09",
        "2026-11-12",
    ]

    # Occasional enrollments book nothing by themselves: approved at once as before.
    other = await town.child(kid["household_id"], first_name="Jules")
    occasional = await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        family,
        {"child_id": str(other["id"]), "activity_id": activity["id"]},
        status=201,
    )
    assert occasional["status"] == "approved"
