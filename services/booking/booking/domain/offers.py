"""Waiting lists by offers (issue 18): when a freed place is offered to a waiting child, until
when the family may accept it (`expiry`), and the offer's one-click accept link (`new_link`).

Expiry, working-hours aware: `offered_at + offer_hours`; an end falling outside working time
(08:00-18:00 Europe/Paris, Monday to Friday, not a French public holiday) moves to 18:00 of
the next working day (the same day when it falls before 08:00 on a working day), so that a
family always has a working day's evening to answer. Never later than the start of the
activity day itself (00:00 Paris). When less than an hour remains before that start, no offer
is made: the place is booked directly (`expiry` answers None), as the automatic waiting list
would, since nobody could reasonably answer in time and the place would be lost.

The link: a random token (256 bits, `secrets`), shown once in the emailed URL; only its
SHA-256 is stored (like the calendar feeds' tokens and billing's mandate signature links), so
a forged or guessed token finds no offer, and a stored row cannot be replayed. Single use is
the offer's status: once answered, the token answers "already answered".
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from booking.domain.days import is_public_holiday
from booking.domain.deadlines import PARIS

OPEN, ACCEPTED, DECLINED, EXPIRED, VOID = "open", "accepted", "declined", "expired", "void"
STATUSES = (OPEN, ACCEPTED, DECLINED, EXPIRED, VOID)
MODES = ("automatic", "offer")
WORK_START, WORK_END = time(8, 0), time(18, 0)
MIN_ANSWER = timedelta(hours=1)  # the least time a family is given to answer
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of 32 bytes, unpadded


def is_working_day(day: date) -> bool:
    return day.isoweekday() <= 5 and not is_public_holiday(day)


def _at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


def working_end(when: datetime) -> datetime:
    """`when` if it falls in working time, else 18:00 Paris of the next working day (that
    day itself when `when` is before 08:00 of a working day)."""
    local = when.astimezone(PARIS)
    day = local.date()
    if is_working_day(day):
        if WORK_START <= local.time() <= WORK_END:
            return when
        if local.time() < WORK_START:
            return _at(day, WORK_END)
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return _at(day, WORK_END)


def day_start(day: date) -> datetime:
    """The start of an activity day: 00:00 Paris."""
    return _at(day, time(0, 0))


def expiry(offered_at: datetime, offer_hours: int, day: date) -> datetime | None:
    """Until when an offer made at `offered_at` for `day` may be accepted; None when less
    than `MIN_ANSWER` remains before the day starts (the place is booked directly)."""
    # Real elapsed hours: arithmetic in UTC (Python adds wall-clock time within one zone).
    offered = offered_at.astimezone(UTC)
    start = day_start(day).astimezone(UTC)
    if start - offered < MIN_ANSWER:
        return None
    end = working_end(offered + timedelta(hours=offer_hours)).astimezone(UTC)
    return min(end, start).astimezone(PARIS)


@dataclass(frozen=True)
class Link:
    """An offer's accept link secret: `token` goes into the emailed URL once, only `digest`
    is stored."""

    token: str
    digest: bytes

    def __repr__(self) -> str:
        return "Link(...)"


def token_digest(token: str) -> bytes:
    return hashlib.sha256(f"offer-accept:{token}".encode()).digest()


def new_link() -> Link:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return Link(token, token_digest(token))


def well_formed(token: str) -> bool:
    """A token this service could have made (base64url of 32 bytes): anything else is
    refused before reaching the database."""
    return _TOKEN_SHAPE.fullmatch(token) is not None


def accept_url(portal_url: str, token: str) -> str:
    """The portal's page that accepts an offer without logging in."""
    return f"{portal_url.rstrip('/')}/offres/accepter/{token}"
