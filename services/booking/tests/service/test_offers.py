"""Waiting lists by offers (issue 18): in an activity whose waiting list works by offers, a
freed place is offered to the next waiting child (PlaceOffered with a one-click accept link)
and held for it; accepted by the link without logging in, the child is booked
(WaitingListPromoted), once; declined or expired, the offer lapses (OfferLapsed) and the
place passes to the next child, exactly once even with two processes sweeping."""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from booking.app import create_app
from booking.commands import expire_offers
from booking.domain.deadlines import PARIS
from booking.state import CLOCK
from booking.usecases import offers
from shared.testing.bus import eventually
from shared.testing.features import announce_features
from shared.uow import unit_of_work

from ..conftest import NOW, TENANT

Town = Any
DAY = "2026-09-17"  # a Thursday
LINK = "/tenants/epagny/offers/accept-by-link"


async def offer_activity(town: Town, capacity: int = 1, **extra: Any) -> dict[str, Any]:
    activity = await town.activity(
        capacity=capacity, waiting_list_mode="offer", offer_hours=24, **extra
    )
    assert (activity["waiting_list_mode"], activity["offer_hours"]) == ("offer", 24)
    return activity


async def outbox(town: Town, event_type: str) -> list[dict[str, Any]]:
    """The payloads of the events of a type the service wrote, in order."""
    rows = await town.pool.fetch(
        "SELECT envelope -> 'payload' AS payload FROM outbox WHERE type = $1 ORDER BY seq",
        event_type,
    )
    return [
        json.loads(r["payload"]) if isinstance(r["payload"], str) else r["payload"] for r in rows
    ]


async def cancel(town: Town, kid: dict[str, Any], booking_id: str, status: int = 200) -> Any:
    return await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
        town.family(kid["household_id"]),
        {},
        status,
    )


async def counters(town: Town, activity: dict[str, Any], day: str = DAY) -> dict[str, int]:
    """The day's counter, and what it counts: the children booked and the open offers."""
    row = await town.pool.fetchrow(
        """
        SELECT d.capacity, d.booked,
               (SELECT count(*) FROM bookings b WHERE b.activity_id = d.activity_id
                  AND b.day = d.day AND b.status = 'booked') AS children,
               (SELECT count(*) FROM offers o WHERE o.activity_id = d.activity_id
                  AND o.day = d.day AND o.status = 'open') AS open_offers
        FROM activity_days d WHERE d.activity_id = $1 AND d.day = $2
        """,
        uuid.UUID(activity["id"]),
        datetime.fromisoformat(day).date(),
    )
    return dict(row)


def token_of(offered: dict[str, Any]) -> str:
    prefix = "http://127.0.0.1:8080/offres/accepter/"
    assert offered["accept_url"].startswith(prefix), offered["accept_url"]
    return offered["accept_url"][len(prefix) :]


async def line_of(town: Town, kid: dict[str, Any], activity: dict[str, Any]) -> dict[str, Any]:
    (line,) = (await town.book(kid, activity, DAY))["lines"]
    return line


async def three_children(town: Town, activity: dict[str, Any]) -> tuple[Any, Any, Any, Any]:
    """Léa booked, Tom then Zoé waiting; Léa's booking line."""
    lea, tom, zoe = [
        await town.enrolled_child(activity, first_name=n) for n in ("Léa", "Tom", "Zoé")
    ]
    booked = await line_of(town, lea, activity)
    assert booked["outcome"] == "confirmed"
    for kid in (tom, zoe):
        assert (await line_of(town, kid, activity))["outcome"] == "waiting_list"
    return lea, tom, zoe, booked


async def test_a_freed_place_is_offered_then_accepted_by_the_link_once(town: Town) -> None:
    activity = await offer_activity(town)
    lea, tom, _, booked = await three_children(town, activity)

    await cancel(town, lea, booked["booking_id"])
    # An offer to Tom, not a promotion; the place is held for it.
    assert await outbox(town, "booking.WaitingListPromoted") == []
    (offered,) = await outbox(town, "booking.PlaceOffered")
    assert offered["child_id"] == str(tom["id"]) and offered["date"] == DAY
    # Tuesday 08:00 + 24 h: Wednesday 08:00, working time.
    assert datetime.fromisoformat(offered["expires_at"]) == datetime(2026, 9, 2, 8, 0, tzinfo=PARIS)
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 1,
        "children": 0,
        "open_offers": 1,
    }
    # First come cannot take the place held by the offer: Max goes on the waiting list.
    max_ = await town.enrolled_child(activity, first_name="Max")
    assert (await line_of(town, max_, activity))["outcome"] == "waiting_list"

    # The family sees the open offer (logged in), with the child's name.
    (mine,) = (
        await town.call("GET", f"/tenants/{TENANT}/offers", town.family(tom["household_id"]))
    )["items"]
    assert (mine["id"], mine["status"], mine["child_first_name"]) == (
        offered["offer_id"],
        "open",
        "Tom",
    )

    # Accepted by the link, no Authorization header.
    r = await town.client.post(LINK, json={"token": token_of(offered)})
    assert r.status == 200, await r.text()
    assert await r.json() == {
        "offer_id": offered["offer_id"],
        "status": "accepted",
        "date": DAY,
        "activity_name": activity["name"],
    }
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["booking_id"] == offered["booking_id"]
    assert promoted["payload"]["child_id"] == str(tom["id"])
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 1,
        "children": 1,
        "open_offers": 0,
    }
    assert (await town.calendar(tom, "2026-09"))[DAY] == "booked_cancellable"

    # Single use: the second click is refused, nothing changes.
    r = await town.client.post(LINK, json={"token": token_of(offered)})
    assert r.status == 409 and (await r.json())["type"].endswith("/offer-answered")
    assert len(await outbox(town, "booking.WaitingListPromoted")) == 1


async def test_forged_and_malformed_links_find_nothing(town: Town) -> None:
    activity = await offer_activity(town)
    lea, _, _, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (offered,) = await outbox(town, "booking.PlaceOffered")
    token = token_of(offered)
    forged = ("A" if token[0] != "A" else "B") + token[1:]
    for bad in (forged, "not-a-token", token + "x"):
        r = await town.client.post(LINK, json={"token": bad})
        assert r.status == 404 and (await r.json())["type"].endswith("/offer-link-invalid"), bad
    # Another town's address does not accept this town's offer.
    r = await town.client.post("/tenants/annecy/offers/accept-by-link", json={"token": token})
    assert r.status == 404
    assert (await counters(town, activity))["open_offers"] == 1


async def test_an_expired_link_answers_gone_and_the_place_passes_on(town: Town) -> None:
    activity = await offer_activity(town)
    lea, _, zoe, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (offered,) = await outbox(town, "booking.PlaceOffered")

    town.at(datetime(2026, 9, 2, 8, 0, tzinfo=PARIS))  # the expiry itself
    r = await town.client.post(LINK, json={"token": token_of(offered)})
    assert r.status == 410 and (await r.json())["type"].endswith("/offer-expired")

    # The sweeper's job (run here; the service's own may run it too): once.
    await offers.expire_offers(
        lambda: unit_of_work(town.client.app), now=datetime(2026, 9, 2, 8, 0, tzinfo=PARIS)
    )
    (lapsed,) = await outbox(town, "booking.OfferLapsed")
    assert (lapsed["offer_id"], lapsed["reason"]) == (offered["offer_id"], "expired")
    _, second = await outbox(town, "booking.PlaceOffered")
    assert second["child_id"] == str(zoe["id"])
    # Tom stays waiting, now behind Zoé.
    waiting = await town.call(
        "GET", f"/tenants/{TENANT}/activities/{activity['id']}/waiting-list", town.staff()
    )
    (day,) = [d for d in waiting["days"] if d["date"] == DAY]
    assert [c["child_first_name"] for c in day["children"]] == ["Zoé", "Tom"]
    r = await town.client.post(LINK, json={"token": token_of(offered)})
    assert r.status == 410
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 1,
        "children": 0,
        "open_offers": 1,
    }

    # Staff see the day's chain in order.
    chain = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/offers?day={DAY}",
        town.staff(),
    )
    assert [(x["child_first_name"], x["status"]) for x in chain["items"]] == [
        ("Tom", "expired"),
        ("Zoé", "open"),
    ]


async def test_a_declined_offer_passes_to_the_next_child_then_the_place_is_freed(
    town: Town,
) -> None:
    activity = await offer_activity(town)
    lea, tom, zoe, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (to_tom,) = await outbox(town, "booking.PlaceOffered")

    # Another household cannot answer Tom's offer.
    await town.call(
        "POST",
        f"/tenants/{TENANT}/offers/{to_tom['offer_id']}/decline",
        town.family(zoe["household_id"]),
        status=404,
    )
    body = await town.call(
        "POST",
        f"/tenants/{TENANT}/offers/{to_tom['offer_id']}/decline",
        town.family(tom["household_id"]),
    )
    assert body["status"] == "declined" and body["answered_at"] is not None
    (lapsed,) = await outbox(town, "booking.OfferLapsed")
    assert lapsed["reason"] == "declined"
    _, to_zoe = await outbox(town, "booking.PlaceOffered")
    assert to_zoe["child_id"] == str(zoe["id"])
    # Declined: its link no longer accepts.
    r = await town.client.post(LINK, json={"token": token_of(to_tom)})
    assert r.status == 409

    # Zoé declines too: only Tom waits, who already had this place: it is freed.
    await town.call(
        "POST",
        f"/tenants/{TENANT}/offers/{to_zoe['offer_id']}/decline",
        town.family(zoe["household_id"]),
    )
    assert len(await outbox(town, "booking.PlaceOffered")) == 2
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 0,
        "children": 0,
        "open_offers": 0,
    }
    # The next place freed goes to the first waiting again (Tom, then Zoé behind him).
    await town.call(
        "PUT",
        f"/tenants/{TENANT}/activities/{activity['id']}/days/{DAY}",
        town.staff(),
        {"capacity": 2},
    )
    offered = await outbox(town, "booking.PlaceOffered")
    assert [x["child_id"] for x in offered[2:]] == [str(tom["id"]), str(zoe["id"])]


async def test_accepting_logged_in_and_leaving_the_list_withdraws_the_offer(town: Town) -> None:
    activity = await offer_activity(town)
    lea, tom, zoe, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (to_tom,) = await outbox(town, "booking.PlaceOffered")
    # Tom's family cancels his waiting request: the offer is void, Zoé is offered the place.
    await cancel(town, tom, to_tom["booking_id"])
    _, to_zoe = await outbox(town, "booking.PlaceOffered")
    assert to_zoe["child_id"] == str(zoe["id"])
    r = await town.client.post(LINK, json={"token": token_of(to_tom)})
    assert r.status == 410
    # Staff accept for Zoé's family.
    body = await town.call(
        "POST", f"/tenants/{TENANT}/offers/{to_zoe['offer_id']}/accept", town.staff()
    )
    assert body["status"] == "accepted" and body["answered_by"] is not None
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(zoe["id"])
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 1,
        "children": 1,
        "open_offers": 0,
    }


async def test_a_town_without_online_booking_lets_only_staff_accept_an_offer(
    town: Town,
) -> None:
    activity = await offer_activity(town)
    lea, tom, _, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (offered,) = await outbox(town, "booking.PlaceOffered")
    await announce_features(town.client.app, TENANT, online_booking=False)

    # Neither the emailed link nor the logged-in family books the child.
    accept = f"/tenants/{TENANT}/offers/{offered['offer_id']}/accept"
    for r in (
        await town.client.post(LINK, json={"token": token_of(offered)}),
        await town.client.post(accept, headers=town.family(tom["household_id"])),
    ):
        assert r.status == 403, await r.text()
        problem = await r.json()
        assert problem["type"].endswith("/feature-off") and problem["feature"] == "online_booking"
    assert await outbox(town, "booking.WaitingListPromoted") == []
    assert (await counters(town, activity))["open_offers"] == 1

    # Staff are never limited: they accept for the family.
    body = await town.call("POST", accept, town.staff())
    assert body["status"] == "accepted"
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])


async def test_an_offer_goes_only_to_a_child_still_enrolled(town: Town) -> None:
    activity = await offer_activity(town)
    lea, tom, _, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (offered,) = await outbox(town, "booking.PlaceOffered")
    # Tom's enrollment is no longer approved (no use case withdraws one today: the guard
    # keeps an offer from booking a child the activity no longer has).
    await town.pool.execute(
        "UPDATE enrollments SET status = 'rejected' WHERE child_id = $1 AND activity_id = $2",
        uuid.UUID(str(tom["id"])),
        uuid.UUID(activity["id"]),
    )
    accept = f"/tenants/{TENANT}/offers/{offered['offer_id']}/accept"
    for r in (
        await town.client.post(LINK, json={"token": token_of(offered)}),
        await town.client.post(accept, headers=town.staff()),
    ):
        assert r.status == 409, await r.text()
        assert (await r.json())["type"].endswith("/offer-not-enrolled")
    assert await outbox(town, "booking.WaitingListPromoted") == []
    assert await counters(town, activity) == {
        "capacity": 1,
        "booked": 1,
        "children": 0,
        "open_offers": 1,
    }


async def test_too_close_to_the_day_the_place_is_booked_directly(town: Town) -> None:
    activity = await offer_activity(town)
    _, tom, _, booked = await three_children(town, activity)
    town.at(datetime(2026, 9, 16, 23, 30, tzinfo=PARIS))  # half an hour before the day
    await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booked['booking_id']}/cancel",
        town.staff(),
        {},
    )
    assert await outbox(town, "booking.PlaceOffered") == []
    (promoted,) = await town.events("booking.WaitingListPromoted")
    assert promoted["payload"]["child_id"] == str(tom["id"])


async def test_a_validation_cancelling_a_day_makes_an_offer_in_the_same_transaction(
    town: Town,
) -> None:
    activity = await offer_activity(town)
    lea, tom, _, _ = await three_children(town, activity)
    basket = await town.basket(
        lea, [{"activity_id": activity["id"], "dates": [DAY], "action": "cancel"}]
    )
    await town.validate(lea, basket)
    (offered,) = await outbox(town, "booking.PlaceOffered")
    assert offered["child_id"] == str(tom["id"])
    assert (await counters(town, activity))["booked"] == 1


CHILDREN, CAPACITY, DAYS = 15, 5, ("2026-09-17", "2026-09-18")


@pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 3600}], indirect=True, ids=["no-own-sweep"]
)
async def test_two_processes_expire_each_offer_exactly_once(
    town: Town, aiohttp_client: Any
) -> None:
    """Two app instances of booking on the same database sweep the same expired offers
    concurrently, in small batches: each offer lapses once and its place passes on once."""
    activity = await offer_activity(town, capacity=CAPACITY, type="VACANCES")
    kids = await asyncio.gather(
        *(town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(CHILDREN))
    )
    lines = []
    for kid in kids:  # in order: the first CAPACITY booked, the others waiting
        lines.append((await town.book(kid, activity, *DAYS))["lines"])
    for kid, kid_lines in zip(kids[:CAPACITY], lines[:CAPACITY], strict=True):
        for line in kid_lines:
            await cancel(town, kid, line["booking_id"])
    first = await outbox(town, "booking.PlaceOffered")
    assert len(first) == CAPACITY * len(DAYS)

    app2 = create_app(town.settings)
    app2[CLOCK].fixed = NOW  # its sweeper's first round, at start, finds nothing due
    other = await aiohttp_client(app2)
    later = NOW + timedelta(days=3)
    for app in (town.client.app, other.app):
        app[CLOCK].fixed = later

    def sweep(app: Any) -> Any:
        return offers.expire_offers(lambda: unit_of_work(app), now=later, batch=2)

    done = await asyncio.gather(*(sweep(app) for app in (town.client.app, other.app) * 2))
    # Each process says what it lapsed (the apps' own sweepers, whose first round may run
    # now, can take part too): never more than the offers, the outbox says the rest.
    assert sum(done) <= len(first)

    lapsed = await outbox(town, "booking.OfferLapsed")
    assert sorted(x["offer_id"] for x in lapsed) == sorted(x["offer_id"] for x in first)
    offered = await outbox(town, "booking.PlaceOffered")
    assert len(offered) == 2 * len(first)  # one next offer per lapsed one
    second = offered[len(first) :]
    second_children = {(x["child_id"], x["date"]) for x in second}
    assert len(second_children) == len(second)  # never two offers to one child for a day
    assert not second_children & {(x["child_id"], x["date"]) for x in first}
    for day in DAYS:
        assert await counters(town, activity, day) == {
            "capacity": CAPACITY,
            "booked": CAPACITY,
            "children": 0,
            "open_offers": CAPACITY,
        }
    # Nothing left to expire: a third sweep does nothing.
    assert await sweep(other.app) == 0


async def test_staff_set_the_mode_and_the_hours_of_an_activity(town: Town) -> None:
    activity = await town.activity()
    assert (activity["waiting_list_mode"], activity["offer_hours"]) == ("automatic", 24)
    path = f"/tenants/{TENANT}/activities/{activity['id']}"
    changed = await town.call(
        "PATCH", path, town.staff(), {"waiting_list_mode": "offer", "offer_hours": 48}
    )
    assert (changed["waiting_list_mode"], changed["offer_hours"]) == ("offer", 48)
    read = await town.call("GET", path, town.staff())
    assert (read["waiting_list_mode"], read["offer_hours"]) == ("offer", 48)
    problem = await town.call("PATCH", path, town.staff(), {"offer_hours": 0}, status=422)
    assert [e["field"] for e in problem["errors"]] == ["offer_hours"]
    problem = await town.call(
        "PATCH", path, town.staff(), {"waiting_list_mode": "lottery"}, status=422
    )
    assert [e["field"] for e in problem["errors"]] == ["waiting_list_mode"]


@pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 0.1}], indirect=True, ids=["sweep-0.1s"]
)
async def test_the_service_sweeper_expires_offers(town: Town) -> None:
    activity = await offer_activity(town)
    lea, _, zoe, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    await asyncio.sleep(0.3)  # a few sweeps: not yet
    assert await outbox(town, "booking.OfferLapsed") == []
    town.at(datetime(2026, 9, 2, 8, 0, tzinfo=PARIS))

    async def lapsed() -> Any:
        return await outbox(town, "booking.OfferLapsed")

    await eventually(lapsed)
    await asyncio.sleep(0.3)  # more sweeps: nothing more
    assert len(await outbox(town, "booking.OfferLapsed")) == 1
    _, to_zoe = await outbox(town, "booking.PlaceOffered")
    assert to_zoe["child_id"] == str(zoe["id"])


async def test_the_command_expires_the_offers_past_their_time(
    town: Town, capsys: pytest.CaptureFixture[str]
) -> None:
    """The service's clock is pinned at 1 September 2026; the command uses the real time,
    later: the offer has expired for it."""
    activity = await offer_activity(town)
    lea, _, _, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    capsys.readouterr()
    code = await asyncio.to_thread(expire_offers, town.settings, argparse.Namespace())
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == '{"expired": 1}'
    assert len(await outbox(town, "booking.OfferLapsed")) == 1


async def test_closing_the_day_voids_its_open_offers(town: Town) -> None:
    activity = await offer_activity(town)
    lea, tom, _, booked = await three_children(town, activity)
    await cancel(town, lea, booked["booking_id"])
    (offered,) = await outbox(town, "booking.PlaceOffered")
    await town.call(
        "POST",
        f"/tenants/{TENANT}/activities/{activity['id']}/days/{DAY}/close",
        town.staff(),
        {"reason": "Grève"},
    )
    r = await town.client.post(LINK, json={"token": token_of(offered)})
    assert r.status == 410
    (mine,) = (
        await town.call("GET", f"/tenants/{TENANT}/offers", town.family(tom["household_id"]))
    )["items"]
    assert mine["status"] == "void"
    assert await outbox(town, "booking.WaitingListPromoted") == []


async def test_the_calendar_says_a_waiting_day_is_offered(town: Town) -> None:
    """The child offered the freed place sees « offered » on its calendar; the next one
    still waits."""
    activity = await offer_activity(town)
    lea, tom, zoe, booked = await three_children(town, activity)
    assert (await town.calendar(tom, "2026-09"))[DAY] == "waiting_list"
    await cancel(town, lea, booked["booking_id"])
    assert (await town.calendar(tom, "2026-09"))[DAY] == "offered"
    assert (await town.calendar(zoe, "2026-09"))[DAY] == "waiting_list"
