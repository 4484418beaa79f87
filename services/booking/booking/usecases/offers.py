"""Waiting lists by offers (issue 18): a freed place of an activity in offer mode is offered
to the next waiting child (`capacity.fill_free_places` makes the offers and holds their
places); here the family answers, and the offers nobody answered expire.

- Accepting (by the emailed link without logging in, or logged in, or staff for the family;
  a family only while its town lets it book online, the child's enrollment still approved):
  in one transaction, the day row locked, then the offer: still open and not expired by the
  service's clock, it is accepted and its waiting booking booked (the place was already
  counted) with the WaitingListPromoted every promotion raises (billing bills it, notify
  emails). The link is single use: an answered offer answers 409, an expired one 410.
- Declining, or expiring unanswered: the offer lapses (OfferLapsed) and the place passes to
  the next child (`capacity.pass_on`: a new offer, or nobody left: free again). The child
  whose offer lapsed stays on the waiting list, moved to its end (a new arrival rank), as
  the event contract says; the place being passed on is not offered again to a child who
  let an offer of that day lapse (each gets one turn: declining twice the same place makes
  no sense), a place freed later is offered to it again in the list's order. (Not
  cancelled from the list: a family that no longer wants the day cancels its waiting
  request as any other.)
- Expiry (`expire_offers`, the sweeper's job and the `expire-offers` command): in batches,
  the day rows of the expired offers are locked with SKIP LOCKED in the common order (never
  the offers first: accepting locks the day, then the offer), so that several processes
  share the work day by day; when every day of a batch is another's, the process waits for
  them instead of giving up. Each offer is re-read under the lock and lapsed only if still
  open and expired: with several processes sweeping, each offer lapses, and its place
  passes on, exactly once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain import offers
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.errors import (
    OfferAnswered,
    OfferChildNotEnrolled,
    OfferExpired,
    OfferLinkInvalid,
    OfferNotFound,
)
from booking.usecases.activities import activity, activity_row
from booking.usecases.capacity import pass_on, promotion_payload
from shared.uow import UnitOfWork

# --- answering --------------------------------------------------------------------------


async def accept_by_link(
    uow: UnitOfWork, tenant: str, token: str, *, now: datetime
) -> dict[str, Any]:
    """The emailed link's token accepts its offer, no login: what was accepted, without the
    child's name (details need a login)."""
    if not offers.well_formed(token):
        raise OfferLinkInvalid()
    async with uow:
        place = await store.offer_by_token(uow.conn, offers.token_digest(token))
        if place is None or place["tenant"] != tenant:
            raise OfferLinkInvalid()
        found, offer = await _locked(uow, place)
        await _accept(uow, found, offer, by=None, now=now)
    return {
        "offer_id": offer["id"],
        "status": offers.ACCEPTED,
        "date": offer["day"],
        "activity_name": found.name,
    }


async def accept(
    uow: UnitOfWork, tenant: str, offer_id: uuid.UUID, actor: Actor, *, now: datetime
) -> dict[str, Any]:
    """The family of the offer's household (logged in), or staff for it, accepts."""
    async with uow:
        found, offer = await _locked(uow, await _place_for(uow, tenant, offer_id, actor))
        await _accept(uow, found, offer, by=actor.account_id, now=now)
        return await _one(uow.conn, tenant, offer_id)


async def decline(
    uow: UnitOfWork, tenant: str, offer_id: uuid.UUID, actor: Actor, *, now: datetime
) -> dict[str, Any]:
    """The family (or staff for it) declines: the place passes to the next child."""
    async with uow:
        found, offer = await _locked(uow, await _place_for(uow, tenant, offer_id, actor))
        _answerable(offer, now)
        await _lapse(uow, found, offer, offers.DECLINED, by=actor.account_id, now=now)
        return await _one(uow.conn, tenant, offer_id)


async def _place_for(
    uow: UnitOfWork, tenant: str, offer_id: uuid.UUID, actor: Actor
) -> dict[str, Any]:
    place = await store.offer_place(uow.conn, tenant, offer_id)
    if place is None or not actor.may_act_for(place["household_id"]):
        raise OfferNotFound()
    return place


async def _locked(uow: UnitOfWork, place: Mapping[str, Any]) -> tuple[Activity, dict[str, Any]]:
    """The offer's day row locked, then the offer (the common order), with its activity."""
    found = await activity(uow.conn, place["tenant"], place["activity_id"])
    await store.lock_day(uow.conn, place["activity_id"], place["day"])
    offer = await store.lock_offer(uow.conn, place["id"])
    assert offer is not None  # offers are never deleted but with their activity
    return found, offer


def _answerable(offer: Mapping[str, Any], now: datetime) -> None:
    """An open offer, not expired by the service's clock, whose child still waits."""
    if offer["status"] in (offers.ACCEPTED, offers.DECLINED):
        raise OfferAnswered()
    if (
        offer["status"] != offers.OPEN
        or offer["expires_at"] <= now
        or offer["booking_status"] != "waiting"
    ):
        raise OfferExpired()


async def _accept(
    uow: UnitOfWork,
    found: Activity,
    offer: dict[str, Any],
    *,
    by: uuid.UUID | None,
    now: datetime,
) -> None:
    _answerable(offer, now)
    # The child waited while enrolled; a place goes only to a child whose enrollment in the
    # activity is still approved (as a basket's day would).
    statuses = await store.enrollment_statuses(uow.conn, found.id, [offer["child_id"]])
    if statuses.get(offer["child_id"]) != "approved":
        raise OfferChildNotEnrolled()
    await store.answer_offer(uow.conn, offer["id"], offers.ACCEPTED, now, by)
    await store.book_offered(uow.conn, offer["booking_id"])
    uow.emit(
        "booking.WaitingListPromoted",
        promotion_payload(found, {**offer, "id": offer["booking_id"]}),
        tenant=offer["tenant"],
    )


async def _lapse(
    uow: UnitOfWork,
    found: Activity,
    offer: Mapping[str, Any],
    reason: str,
    *,
    by: uuid.UUID | None,
    now: datetime,
) -> None:
    """The offer declined or expired (the caller holds its day row and the offer): the child
    goes to the end of the waiting list, the place passes on."""
    await store.answer_offer(uow.conn, offer["id"], reason, now, by)
    await store.move_behind(uow.conn, offer["booking_id"])
    uow.emit(
        "booking.OfferLapsed",
        {
            **who(found, offer, offer["booked_by"]),
            "offer_id": offer["id"],
            "booking_id": offer["booking_id"],
            "date": offer["day"],
            "reason": reason,
        },
        tenant=offer["tenant"],
    )
    await pass_on(
        uow, found, offer["day"], tenant=offer["tenant"], now=now, after=offer["booking_id"]
    )


# --- expiry -----------------------------------------------------------------------------


async def expire_offers(
    make_uow: Callable[[], UnitOfWork], *, now: datetime, batch: int = 100
) -> int:
    """The sweeper's work: open offers past their expiry lapse (`expired`) and their places
    pass on, `batch` offers per transaction, every tenant. How many lapsed."""
    total = 0
    while True:
        async with make_uow() as uow:
            due = await store.expired_offers(uow.conn, now, batch)
            if not due:
                return total
            days = [(x["activity_id"], x["day"]) for x in due]
            mine = await store.lock_free_days(uow.conn, days)
            if not mine:
                # Every one of these days is another process's now: wait for it, then
                # re-read (what it did is no longer to do), so that a round ends done.
                await store.lock_days(uow.conn, days)
                mine = set(days)
            lapsed = 0
            activities: dict[tuple[str, uuid.UUID], Activity] = {}
            for place in due:
                if (place["activity_id"], place["day"]) not in mine:
                    continue  # another process holds the day: its offers are its own
                offer = await store.lock_offer(uow.conn, place["id"])
                if offer is None or offer["status"] != offers.OPEN or offer["expires_at"] > now:
                    continue  # answered or lapsed meanwhile
                key = (offer["tenant"], offer["activity_id"])
                if key not in activities:
                    activities[key] = await activity(uow.conn, *key)
                if offer["booking_status"] != "waiting":
                    # The child left the list without its offer being withdrawn (cannot
                    # happen through the use cases): the place passes on all the same.
                    await store.answer_offer(uow.conn, offer["id"], offers.VOID, now, None)
                    await pass_on(
                        uow,
                        activities[key],
                        offer["day"],
                        tenant=offer["tenant"],
                        now=now,
                        after=offer["booking_id"],
                    )
                    continue
                await _lapse(uow, activities[key], offer, offers.EXPIRED, by=None, now=now)
                lapsed += 1
        total += lapsed
        if len(due) < batch:
            return total


# --- reads ------------------------------------------------------------------------------


async def _one(conn: store.Conn, tenant: str, offer_id: uuid.UUID) -> dict[str, Any]:
    row = await store.offer_view(conn, tenant, offer_id)
    assert row is not None
    return row


async def list_offers(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    activity_id: uuid.UUID | None = None,
    day: date | None = None,
) -> list[dict[str, Any]]:
    """A family: its household's offers, the open ones first. Staff: the tenant's, of an
    activity and a day when given, in the order they were made."""
    if not actor.staff:
        return await store.household_offers(conn, tenant, actor.own_household())
    return await store.offers_chain(conn, tenant, activity_id, day)


async def day_chain(
    conn: store.Conn,
    tenant: str,
    activity_id: uuid.UUID,
    day: date | None,
) -> dict[str, Any]:
    """Staff: the chain of offers of an activity (a day's when given), every offer in the
    order it was made, with its status and times."""
    row = await activity_row(conn, tenant, activity_id)
    return {
        "activity_id": activity_id,
        "activity_name": row["name"],
        "waiting_list_mode": row["waiting_list_mode"],
        "offer_hours": row["offer_hours"],
        "items": await store.offers_chain(conn, tenant, activity_id, day),
    }
