"""Places: taking them (the critical section of every validation, for one basket or for a
group of them), giving a freed place to the waiting list (the one promotion), and changing a
day's capacity."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from marshmallow.fields import Field, List, Nested

from booking import store
from booking.domain import rules
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


async def fill_free_places(
    uow: UnitOfWork, activity: Activity, day: date, counters: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The one way a waiting list moves up (the caller holds the day row, with `counters`
    as they now are): the day's free places go to the children `rules.promotions` chooses,
    now booked. The bookings promoted; the caller raises their WaitingListPromoted."""
    free = counters["capacity"] - counters["booked"]
    if free <= 0:
        return []
    waiting = await store.waiting_for(uow.conn, activity.id, day)
    chosen = rules.promotions(waiting, free, activity.eligibility, day)
    for booking in chosen:
        await store.promote(uow.conn, booking["id"])
    return chosen


async def give_back_place(
    uow: UnitOfWork, activity: Activity, day: date
) -> list[Mapping[str, Any]]:
    """A booked place was cancelled (the caller holds the day row): the waiting list moves
    up into it."""
    counters = await store.release_place(uow.conn, activity.id, day)
    return await fill_free_places(uow, activity, day, counters)


async def set_day_capacity(
    uow: UnitOfWork, tenant: str, activity_id: uuid.UUID, day: date, capacity: int
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
        for booking in await fill_free_places(uow, found, day, {**counters, "capacity": capacity}):
            uow.emit(
                "booking.WaitingListPromoted", promotion_payload(found, booking), tenant=tenant
            )
        days = await store.occupancy(uow.conn, activity_id, day, day)
    return {"activity_id": activity_id, "days": days}
