"""The private iCalendar feed of a child."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import icalendar

from ..conftest import TENANT

Town = Any


async def test_a_private_ical_feed_per_child(town: Town) -> None:
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    sport = await town.activity(type="SPORT", name="Judo", site="Gymnase des Prés")
    await town.call(
        "POST",
        f"/tenants/{TENANT}/enrollments",
        town.family(kid["household_id"]),
        {"child_id": str(kid["id"]), "activity_id": sport["id"]},
        201,
    )
    await town.book(kid, activity, "2026-09-14", "2026-09-15", "2026-09-17")
    await town.book(kid, sport, "2026-09-15")
    # One day cancelled: not in the feed.
    basket = await town.basket(
        kid, [{"activity_id": activity["id"], "dates": ["2026-09-17"], "action": "cancel"}]
    )
    await town.validate(kid, basket)

    path = f"/tenants/{TENANT}/children/{kid['id']}/calendar-token"
    stranger = town.family(uuid.uuid4())
    await town.call("POST", path, stranger, status=404)  # another household's child
    created = await town.call("POST", path, town.family(kid["household_id"]), status=201)
    token = created["token"]
    assert len(token) >= 43 and created["url"] == f"/calendars/{token}.ics"

    r = await town.client.get(created["url"])  # no Authorization header
    assert r.status == 200 and r.content_type == "text/calendar"
    cal = icalendar.Calendar.from_ical(await r.read())
    events = sorted(
        (e.decoded("dtstart"), str(e["summary"]), str(e["location"])) for e in cal.walk("VEVENT")
    )
    assert events == [
        (date(2026, 9, 14), "Accueil du soir — École du Centre — Léa", "École du Centre"),
        (date(2026, 9, 15), "Accueil du soir — École du Centre — Léa", "École du Centre"),
        (date(2026, 9, 15), "Judo — Léa", "Gymnase des Prés"),
    ]
    first = next(iter(cal.walk("VEVENT")))
    assert first.decoded("dtend") - first.decoded("dtstart") == timedelta(days=1)
    assert str(first["uid"]).endswith("@portail-famille")

    # A new token replaces the old one; revoking it leaves no feed.
    again = await town.call("POST", path, town.family(kid["household_id"]), status=201)
    assert (await town.client.get(created["url"])).status == 404
    assert (await town.client.get(again["url"])).status == 200
    await town.call("DELETE", path, stranger, status=404)
    await town.call("DELETE", path, town.family(kid["household_id"]), status=204)
    assert (await town.client.get(again["url"])).status == 404
    await town.call("DELETE", path, town.family(kid["household_id"]), status=404)
    assert (await town.client.get("/calendars/not-a-token.ics")).status == 404
    # Only its hash is kept.
    stored = await town.pool.fetch("SELECT token_hash FROM calendar_tokens")
    assert all(token.encode() not in bytes(r["token_hash"]) for r in stored)
