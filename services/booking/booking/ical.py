"""A child's private iCalendar feed: one all-day event per booked day, for phones' calendars.

The family creates a token for a child (shown once; only its SHA-256 is stored) and
subscribes to `/calendars/{token}.ics`; creating a new one or revoking it kills the old URL
(`usecases/calendar.py`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import icalendar

TOKEN_BYTES = 32  # 256 bits of randomness
PAST_DAYS, FUTURE_DAYS = 92, 400  # the feed's window around today


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


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
