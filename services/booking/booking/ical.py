"""A child's private iCalendar feed: one all-day event per booked day, for phones' calendars.

The family creates a token for a child (shown once; only its SHA-256 is stored) and
subscribes to `/calendars/{token}.ics`; creating a new one or revoking it kills the old URL.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import icalendar

from booking import store
from booking.domain.deadlines import PARIS
from shared.errors import NotFound

TOKEN_BYTES = 32  # 256 bits of randomness
PAST_DAYS, FUTURE_DAYS = 92, 400  # the feed's window around today


class CalendarNotFound(NotFound):
    code = "calendar-not-found"
    detail = "Ce calendrier n'existe pas ou a été révoqué."


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create(
    conn: Any, tenant: str, child: dict[str, Any], actor: uuid.UUID, now: datetime
) -> dict[str, Any]:
    token = new_token()
    async with conn.transaction():
        await store.revoke_calendar_tokens(conn, child["id"], now)
        await store.insert_calendar_token(
            conn, token_hash(token), tenant, child["id"], child["household_id"], actor, now
        )
    return {"child_id": child["id"], "token": token, "url": f"/calendars/{token}.ics"}


def feed(child: dict[str, Any], bookings: list[dict[str, Any]], now: datetime) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Portail Famille//Réservations//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{child['first_name']} — Portail Famille")
    cal.add("x-wr-timezone", "Europe/Paris")
    for b in bookings:
        event = icalendar.Event()
        event.add("uid", f"{b['id']}@portail-famille")
        event.add("dtstamp", now)
        event.add("dtstart", b["day"])
        event.add("dtend", b["day"] + timedelta(days=1))
        event.add("summary", f"{b['activity_name']} — {child['first_name']}")
        event.add("location", b["site"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


async def render(pool: Any, token: str, now: datetime) -> bytes:
    if len(token) > 100:
        raise CalendarNotFound()
    found = await store.calendar_token(pool, token_hash(token))
    if found is None:
        raise CalendarNotFound()
    child = await store.get_child(pool, found["tenant"], found["child_id"])
    if child is None:
        raise CalendarNotFound()
    today: date = now.astimezone(PARIS).date()
    bookings = await store.booked_days(
        pool, child["id"], today - timedelta(days=PAST_DAYS), today + timedelta(days=FUTURE_DAYS)
    )
    return feed(child, bookings, now)
