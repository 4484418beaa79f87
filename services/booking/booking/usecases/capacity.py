"""Places: taking them (the critical section of every validation, for one basket or for a
group of them), giving a freed place to the waiting list (the one promotion, or the one offer
where the activity's waiting list works by offers), and changing a day's capacity."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from marshmallow.fields import Field, List, Nested

from booking import store
from booking.domain import offers, rules
from booking.domain.activity import Activity, who
from booking.domain.baskets import Addition, Basket, Validation
from booking.domain.errors import CapacityBelowBooked, DayNotOpen
from booking.usecases.activities import activity
from shared.events import registry
from shared.events.envelope import new_event
from shared.events.registry import ContractError
from shared.uow import UnitOfWork

RESERVATION_VALIDATED = "booking.ReservationValidated"


@dataclass(frozen=True)
class Taken:
    """What taking a basket's places gave: each addition's outcome (`TAKEN`'s keys), and the
    basket's outcome counts, stored with it."""

    outcomes: list[str]
    counts: dict[str, int]


@dataclass(frozen=True)
class Placement:
    """One basket's additions, decided and ready to take their places (what a validation
    hands to the ledger): `additions` in the locking order (activity, day, child); its
    ReservationValidated events, checked against the contract before the places are taken:
    `envelopes` (one per child and activity) with their date lists still empty, and each
    addition's checked `entries` (its `dates` item, its `waiting_dates` item), which the
    statement puts in for the places taken; `settled`, the outcomes of its other lines
    (refused, cancelled)."""

    basket: Basket
    now: datetime
    additions: tuple[Addition, ...]
    envelopes: tuple[dict[str, Any], ...]
    entries: tuple[tuple[dict[str, Any], Any], ...]
    settled: tuple[str, ...] = ()
    # The validation's answer before its places are taken (`Validation.draft`), stored with
    # the basket by the same statement (None: nothing to answer again).
    answer: dict[str, Any] | None = None


def placement(validation: Validation, now: datetime, *, producer: str) -> Placement:
    """What the basket's additions take their places with (`place`)."""
    additions, bases = validation.to_place()
    return place(
        validation.basket,
        now,
        additions,
        bases,
        validation.settled(),
        producer=producer,
        answer=validation.draft(),
    )


def place(
    basket: Basket,
    now: datetime,
    additions: Sequence[Addition],
    bases: Sequence[dict[str, Any]],
    settled: Sequence[str] = (),
    *,
    producer: str,
    answer: dict[str, Any] | None = None,
) -> Placement:
    """The placement of `additions`, whose ReservationValidated payloads without dates are
    `bases`. The events are checked here, in the request (while the writer is busy with
    other baskets' places), in two parts, each by the contract's own schema: the payload
    with its date lists empty (`new_event`), and each date item by the fields of these
    lists (`_checked_entry`). The event the statement writes is the first with some of the
    second put in its lists: valid, since the contract ties nothing to these lists
    (tests/unit/test_baskets.py checks every such assembly against the whole schema). The
    cheapest correct check: a whole payload with its dates costs about twice as much."""
    envelopes = tuple(
        new_event(
            RESERVATION_VALIDATED,
            {**base, "dates": [], "waiting_dates": []},
            tenant_id=basket.tenant,
            producer=producer,
        ).to_json()
        for base in bases
    )
    entries = tuple(_checked_entry(a) for a in additions)
    return Placement(basket, now, tuple(additions), envelopes, entries, tuple(settled), answer)


def _date_fields() -> tuple[Mapping[str, Field], Field]:
    """The fields of a ReservationValidated's `dates` items and of its `waiting_dates`."""
    schema = registry.schema_for(
        RESERVATION_VALIDATED, registry.latest_version(RESERVATION_VALIDATED)
    )
    dates, waiting = schema.fields["dates"], schema.fields["waiting_dates"]
    assert isinstance(dates, List) and isinstance(dates.inner, Nested)
    assert isinstance(waiting, List)
    return dates.inner.schema.fields, waiting.inner


def _checked_entry(addition: Addition) -> tuple[dict[str, Any], Any]:
    """An addition's `dates` item and `waiting_dates` item, as the contract writes them,
    refused (a programming error, like any event that breaks the contract) unless the
    contract's fields load them back."""
    item_fields, day_field = _DATE_FIELDS
    item = {"booking_id": addition.booking_id, "date": addition.day, "late": addition.late}
    if item.keys() != item_fields.keys():
        raise ContractError(f"{RESERVATION_VALIDATED}: dates items are {list(item_fields)}")
    try:
        dumped = {name: field.serialize(name, item) for name, field in item_fields.items()}
        for name, field in item_fields.items():
            field.deserialize(dumped[name], name, dumped)
        day = day_field.serialize("day", {"day": addition.day})
        day_field.deserialize(day)
    except ValidationError as exc:
        raise ContractError(f"{RESERVATION_VALIDATED} date breaks its schema: {exc}") from None
    return dumped, day


_DATE_FIELDS = _date_fields()


async def take_places(
    conn: store.Conn, placements: Sequence[Placement], *, close: bool = True
) -> list[Taken | None]:
    """Take the places of one basket's additions, or of a group of baskets' (in the order
    given: the waiting list's order), in ONE statement (`store.take_places`, the hot day rows
    locked once, in the common order): the bookings, the baskets' outcome counts and their
    ReservationValidated events are written together. On the pool or a group's connection
    the statement is its own transaction (the ledger's, `ledger.py`, `group_commit.py`); in
    an open unit of work (`close=False`: a basket with cancellations, already closed), part
    of it. None for a basket that was no longer open (nothing of it written)."""
    rows = await store.take_places(conn, placements, close=close)
    return [None if row is None else Taken(*row) for row in rows]


def promotion_payload(activity: Activity, waiting: Mapping[str, Any]) -> dict[str, Any]:
    child = {
        "household_id": waiting["household_id"],
        "child_id": waiting["child_id"],
        "child_first_name": waiting["child_first_name"],
    }
    return {
        **who(activity, child, waiting["booked_by"]),
        "booking_id": waiting["id"],
        "date": waiting["day"],
        "late": waiting["late"],
    }


@dataclass
class OfferLinks:
    """Where the accept links of offers point: the families' portal (PORTAL_URL). One value
    per process, set from its settings when the app (`app.py`) or a command starts, because
    places free up deep inside use cases (a validation's cancellations, billing's answers)
    that are not handed the settings."""

    portal_url: str = "http://127.0.0.1:8080"


OFFER_LINKS = OfferLinks()


async def fill_free_places(
    uow: UnitOfWork,
    activity: Activity,
    day: date,
    counters: Mapping[str, Any],
    *,
    tenant: str,
    now: datetime,
    exclude: Collection[uuid.UUID] = (),
) -> list[Mapping[str, Any]]:
    """The one way a waiting list moves up (the caller holds the day row, with `counters`
    as they now are): each of the day's free places goes to the next child `rules.promotions`
    chooses, and the event saying so is raised here. Automatic mode: the child is booked
    (WaitingListPromoted). Offer mode: the child is offered the place (PlaceOffered), the
    place counted as taken while the offer is open; children with an open offer are passed
    over, and so are the bookings of `exclude` (an offer that just lapsed: not offered the
    same place again); when less than an hour remains before the day starts, the child is
    booked directly (`domain.offers.expiry`). The bookings promoted or offered."""
    free = counters["capacity"] - counters["booked"]
    if free <= 0:
        return []
    waiting = await store.waiting_for(uow.conn, activity.id, day)
    skipped = set(exclude)
    if activity.waiting_list_mode == "offer":
        skipped |= await store.offered_bookings(uow.conn, activity.id, day)
    if skipped:
        waiting = [w for w in waiting if w["id"] not in skipped]
    chosen = rules.promotions(waiting, free, activity.eligibility, day)
    for booking in chosen:
        until = (
            offers.expiry(now, activity.offer_hours, day)
            if activity.waiting_list_mode == "offer"
            else None
        )
        if until is None:
            await store.promote(uow.conn, booking["id"])
            uow.emit(
                "booking.WaitingListPromoted", promotion_payload(activity, booking), tenant=tenant
            )
        else:
            await _offer(uow, activity, booking, tenant=tenant, now=now, until=until)
    return chosen


async def _offer(
    uow: UnitOfWork,
    activity: Activity,
    booking: Mapping[str, Any],
    *,
    tenant: str,
    now: datetime,
    until: datetime,
) -> None:
    link = offers.new_link()
    offer = await store.insert_offer(
        uow.conn,
        {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "activity_id": activity.id,
            "day": booking["day"],
            "booking_id": booking["id"],
            "household_id": booking["household_id"],
            "child_id": booking["child_id"],
            "offered_at": now,
            "expires_at": until,
            "token_hash": link.digest,
        },
    )
    uow.emit(
        "booking.PlaceOffered",
        {
            **who(activity, booking, booking["booked_by"]),
            "offer_id": offer["id"],
            "booking_id": booking["id"],
            "date": booking["day"],
            "expires_at": until,
            "accept_url": offers.accept_url(OFFER_LINKS.portal_url, link.token),
        },
        tenant=tenant,
    )


async def give_back_place(
    uow: UnitOfWork, activity: Activity, day: date, *, tenant: str, now: datetime
) -> list[Mapping[str, Any]]:
    """A booked place was cancelled (the caller holds the day row): the waiting list moves
    up into it."""
    counters = await store.release_place(uow.conn, activity.id, day)
    return await fill_free_places(uow, activity, day, counters, tenant=tenant, now=now)


async def withdraw_offer(
    uow: UnitOfWork,
    activity: Activity,
    booking: Mapping[str, Any],
    *,
    tenant: str,
    now: datetime,
) -> bool:
    """A waiting booking leaves the list (cancelled; the caller holds the day row): its open
    offer, if any, is void and the place it held passes on. Whether there was one."""
    offer = await store.open_offer_of_booking(uow.conn, booking["id"])
    if offer is None:
        return False
    await store.answer_offer(uow.conn, offer["id"], offers.VOID, now, None)
    await pass_on(uow, activity, booking["day"], tenant=tenant, now=now, after=booking["id"])
    return True


async def pass_on(
    uow: UnitOfWork,
    activity: Activity,
    day: date,
    *,
    tenant: str,
    now: datetime,
    after: uuid.UUID,
) -> list[Mapping[str, Any]]:
    """The place an offer held (that offer now closed) passes to the next child who has not
    let an offer of this day lapse (declined or expired: each waiting child gets its turn
    before anyone a second one), never back to the booking `after`; with nobody left to
    take it, it is free again (a place freed later is offered in the list's order again)."""
    counters = await store.release_place(uow.conn, activity.id, day)
    skipped = await store.lapsed_bookings(uow.conn, activity.id, day) | {after}
    return await fill_free_places(
        uow, activity, day, counters, tenant=tenant, now=now, exclude=skipped
    )


async def set_day_capacity(
    uow: UnitOfWork,
    tenant: str,
    activity_id: uuid.UUID,
    day: date,
    capacity: int,
    *,
    now: datetime,
) -> dict[str, Any]:
    """Change one opening day's capacity, never below the children booked; more places move
    the waiting list up."""
    async with uow:
        found = await activity(uow.conn, tenant, activity_id)
        counters = await store.lock_day(uow.conn, activity_id, day)
        if counters is None:
            raise DayNotOpen()
        if capacity < counters["booked"]:
            raise CapacityBelowBooked()
        await store.set_day_capacity(uow.conn, activity_id, day, capacity)
        await fill_free_places(
            uow, found, day, {**counters, "capacity": capacity}, tenant=tenant, now=now
        )
        days = await store.occupancy(uow.conn, activity_id, day, day)
    return {"activity_id": activity_id, "days": days}
