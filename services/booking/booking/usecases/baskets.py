"""Baskets: a family (or staff for it) fills one with days to book or cancel, then validates
it at once. The opening rush's use case: `validate_basket`."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from booking import store
from booking.domain.activity import Activity
from booking.domain.actors import Actor
from booking.domain.baskets import Basket, Validation, decide, open_basket, replayed
from booking.domain.days import Rhythm, expand
from booking.domain.errors import (
    ActivityClosed,
    BasketNotFound,
    BasketTooLarge,
    BasketValidated,
    ForeignReference,
    HoldForStaffOnly,
    HouseholdRequired,
    LineNotFound,
    NotAllConfirmed,
    OtherHousehold,
)
from booking.usecases.activities import activity
from booking.usecases.bookings import cancel_lines, emit_cancellations
from booking.usecases.capacity import Taken, placement, take_places
from booking.usecases.children import child_for
from booking.usecases.holds import basket_holds, hold_in
from shared.uow import UnitOfWork

if TYPE_CHECKING:
    from booking.ledger import Ledger

ReadActivities = Callable[[str, Collection[uuid.UUID]], Awaitable[list[dict[str, Any]]]]


async def basket_for(
    conn: store.Conn, tenant: str, actor: Actor, basket_id: uuid.UUID
) -> dict[str, Any]:
    """The basket, when the actor may act on it: its family, or staff of the tenant."""
    basket = await store.get_basket(conn, tenant, basket_id)
    if basket is None or not actor.may_act_for(basket["household_id"]):
        raise BasketNotFound()
    return basket


async def _body(conn: store.Conn, basket: dict[str, Any]) -> dict[str, Any]:
    validated = basket["status"] == "validated" and basket.get("answer") is not None
    return {
        **basket,
        "lines": await store.basket_lines(conn, basket["id"]),
        "holds": await basket_holds(conn, basket["id"]),
        # What its validation answered, line by line (which day confirmed, which waiting).
        "validation": answered(basket) if validated else None,
    }


async def _expand_lines(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    household_id: uuid.UUID,
    requests: list[dict[str, Any]],
    field: Callable[[int], str],
) -> list[dict[str, Any]]:
    """The basket lines the requests name (dates, a range, a rhythm), for children the actor
    may act for and of the basket's household (staff name any child of the tenant: one of
    another household is refused, naming the line's `field`)."""
    out: list[dict[str, Any]] = []
    for i, request in enumerate(requests):
        child = await child_for(conn, tenant, actor, request["child_id"])
        if child["household_id"] != household_id:
            raise ForeignReference(field(i), "Cet enfant n'est pas de ce foyer.")
        found = await activity(conn, tenant, request["activity_id"])
        if found.closed and request["action"] == "add":
            raise ActivityClosed()
        rhythm = Rhythm(
            dates=tuple(request["dates"]),
            date_from=request["date_from"],
            date_to=request["date_to"],
            weekdays=frozenset(request["weekdays"]) if request["weekdays"] else None,
            every_n_weeks=request["every_n_weeks"],
        )
        for day in expand(rhythm, found.opening):
            out.append(
                {
                    "child_id": request["child_id"],
                    "activity_id": request["activity_id"],
                    "day": day,
                    "action": request["action"],
                    "accept_waiting": request["accept_waiting_list"],
                }
            )
    return out


async def create_basket(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    *,
    household_id: uuid.UUID | None,
    lines: list[dict[str, Any]],
    max_lines: int,
    now: datetime,
) -> dict[str, Any]:
    """Open a basket, with its first lines: a family's for its own household; staff's for
    the household they name."""
    if actor.staff:
        if household_id is None:
            raise HouseholdRequired(field="household_id")
        household = household_id
    else:
        household = actor.own_household()
        if household_id not in (None, household):
            raise OtherHousehold()
    async with uow:
        if actor.staff and not await store.household_known(uow.conn, tenant, household):
            raise ForeignReference("household_id", "Ce foyer est inconnu.")
        expanded = await _expand_lines(
            uow.conn, tenant, actor, household, lines, lambda i: f"lines.{i}.child_id"
        )
        if len(expanded) > max_lines:
            raise BasketTooLarge()
        basket = await store.insert_basket(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                "household_id": household,
                "account_id": actor.account_id,
                "created_at": now,
                "by_staff": actor.staff,
            },
        )
        if expanded:
            await store.add_lines(uow.conn, basket["id"], expanded)
        return await _body(uow.conn, basket)


async def get_basket(
    conn: store.Conn, tenant: str, actor: Actor, basket_id: uuid.UUID
) -> dict[str, Any]:
    return await _body(conn, await basket_for(conn, tenant, actor, basket_id))


async def validated_baskets(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    household_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The validated baskets of a household, newest first: a family's own; staff name the
    household."""
    if actor.staff:
        if household_id is None:
            raise HouseholdRequired(field="household_id")
        household = household_id
    else:
        household = actor.own_household()
        if household_id not in (None, household):
            raise OtherHousehold()
    return await store.validated_baskets(conn, tenant, household, limit=limit, offset=offset)


async def add_lines(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    basket_id: uuid.UUID,
    request: dict[str, Any],
    *,
    max_lines: int,
) -> dict[str, Any]:
    """Add days to an open basket; a day already in it takes the new action."""
    async with uow:
        basket = await basket_for(uow.conn, tenant, actor, basket_id)
        if basket["status"] != "open":
            raise BasketValidated()
        lines = await _expand_lines(
            uow.conn, tenant, actor, basket["household_id"], [request], lambda _: "child_id"
        )
        if await store.count_lines(uow.conn, basket["id"]) + len(lines) > max_lines:
            raise BasketTooLarge()
        if lines:
            await store.add_lines(uow.conn, basket["id"], lines)
        return await _body(uow.conn, basket)


async def delete_line(
    uow: UnitOfWork, tenant: str, actor: Actor, basket_id: uuid.UUID, line_id: uuid.UUID
) -> None:
    async with uow:
        basket = await basket_for(uow.conn, tenant, actor, basket_id)
        if basket["status"] != "open":
            raise BasketValidated()
        if not await store.delete_line(uow.conn, basket["id"], line_id):
            raise LineNotFound()


# --- validation --------------------------------------------------------------------------


async def validate_basket(
    ledger: Ledger,
    uow: UnitOfWork,
    tenant: str,
    basket_id: uuid.UUID,
    actor: Actor,
    *,
    now: datetime,
    all_or_nothing: bool = False,
    hold_for_payment: bool = True,
) -> dict[str, Any]:
    """Apply every line of the basket at once. Each line ends confirmed, on the waiting list,
    cancelled or refused with its reason; with `all_or_nothing`, a single line that is not
    confirmed (or cancelled) leaves everything as it was. A basket of another household than
    the actor's (staff: any of the tenant) is not found.

    Everything that can be decided without a lock is decided first (`domain.baskets.decide`),
    from one read (`ledger.basket_facts`) and the parsed activities (cached by row version).
    Then the additions take their places through the ledger (`ledger.take_places`: places,
    bookings, the basket's outcome counts and its ReservationValidated events, built and
    checked against the contract before (`capacity.placement`), in one statement that may be
    shared with the other baskets validated at the same moment). A basket with
    cancellations (which may move the waiting list up) or all-or-nothing needs a transaction
    of its own, the `uow` given.

    Days of activities paid at booking or from the wallet are held until paid: their
    places are taken in that transaction too, with the hold. Staff may book them without
    holding them (`hold_for_payment` false: invoiced as usual, e.g. paid at the desk); the
    household's wallet is read only when the basket has days paid from it.

    A basket validated already (a retry whose first answer was lost, a second click) gets
    the answer its validation gave, the same line by line (`answer_again`)."""
    if not hold_for_payment and not actor.staff:
        raise HoldForStaffOnly()
    try:
        return await _validate(
            ledger,
            uow,
            tenant,
            basket_id,
            actor,
            now=now,
            all_or_nothing=all_or_nothing,
            hold_for_payment=hold_for_payment,
        )
    except BasketValidated:
        return answer_again(await ledger.basket_answer(tenant, basket_id), actor)


def answer_again(row: Mapping[str, Any] | None, actor: Actor) -> dict[str, Any]:
    """A validated basket's answer, as its validation gave it, for its family or staff; a
    basket validated before answers were stored (0018) stays « déjà validé »."""
    if row is None or not actor.may_act_for(row["household_id"]):
        raise BasketNotFound()
    if row["status"] != "validated" or row["answer"] is None:
        raise BasketValidated()
    return answered(row)


def answered(row: Mapping[str, Any]) -> dict[str, Any]:
    """The stored answer of a validated basket's row (`answer` and `outcome`)."""
    basket = Basket(
        id=row["id"],
        tenant=row["tenant"],
        household_id=row["household_id"],
        account_id=row["account_id"],
        by_staff=row["by_staff"],
    )
    return replayed(basket, row["answer"], row["outcome"])


async def _validate(
    ledger: Ledger,
    uow: UnitOfWork,
    tenant: str,
    basket_id: uuid.UUID,
    actor: Actor,
    *,
    now: datetime,
    all_or_nothing: bool,
    hold_for_payment: bool,
) -> dict[str, Any]:
    owner = actor.scope
    rows = await ledger.basket_facts(tenant, basket_id)
    basket, facts = open_basket(rows, tenant, owner)
    activities = await _activities(tenant, facts, ledger.activities)
    wallet_active = (
        hold_for_payment
        and any(a.payment == "wallet" for a in activities.values())
        and await ledger.wallet_active(tenant, basket.household_id)
    )
    validation = decide(
        basket, facts, activities, now, hold=hold_for_payment, wallet_active=wallet_active
    )
    if validation.cancellations or all_or_nothing or validation.holding:
        async with uow:
            taken = await _take_and_cancel(uow, validation, now, all_or_nothing=all_or_nothing)
    else:
        taken = await ledger.take_places(placement(validation, now, producer=uow.producer))
        if taken is None:
            raise BasketValidated()
        validation.settle(taken.outcomes)
    return validation.result(taken.counts)


async def validate_basket_in(
    uow: UnitOfWork, tenant: str, basket_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    """`validate_basket` inside another use case's open unit of work (an enrollment that
    books its schedule): read, decided and written in that transaction. These days are not
    held until paid (nobody is there to pay them now): invoiced as usual."""
    conn = uow.conn

    async def read(tenant: str, ids: Collection[uuid.UUID]) -> list[dict[str, Any]]:
        return await store.activities(conn, tenant, ids=ids)

    basket, facts = open_basket(await store.basket_facts(conn, tenant, basket_id), tenant, None)
    validation = decide(basket, facts, await _activities(tenant, facts, read), now, hold=False)
    taken = await _take_and_cancel(uow, validation, now, all_or_nothing=False)
    return validation.result(taken.counts)


async def _take_and_cancel(
    uow: UnitOfWork, validation: Validation, now: datetime, *, all_or_nothing: bool
) -> Taken:
    """The basket closed, every day row it touches locked at once in the common order (the
    cancellations and the additions after them never deadlock with another basket), its
    cancellations applied, its additions' places taken, the places held until paid marked
    so (in the same transaction: never a held place without its hold)."""
    if not await store.close_basket(uow.conn, validation.basket.id, now):
        raise BasketValidated()
    await store.lock_days(
        uow.conn, [(x.activity_id, x.day) for x in validation.additions + validation.cancellations]
    )
    await cancel_lines(uow, validation, now)
    (taken,) = await take_places(
        uow.conn, [placement(validation, now, producer=uow.producer)], close=False
    )
    assert taken is not None
    validation.settle(taken.outcomes)
    if validation.holding:
        await hold_in(uow, validation.held())
    if all_or_nothing and any(
        x.outcome not in ("confirmed", "cancelled") for x in validation.lines
    ):
        raise NotAllConfirmed(lines=[_plain(x.to_json()) for x in validation.lines])
    emit_cancellations(uow, validation)
    return taken


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values (for the problem body, which is not dumped by a schema)."""
    return {k: str(v) if isinstance(v, uuid.UUID | date) else v for k, v in data.items()}


# Parsed activities by (id, row version). An activity row is read on every validation but
# almost never changes; a new version (any UPDATE) is a new key, so an entry is never stale.
_PARSED: dict[tuple[uuid.UUID, str], Activity] = {}
_PARSED_MAX = 5_000


async def _activities(
    tenant: str, facts: list[Mapping[str, Any]], read: ReadActivities
) -> dict[uuid.UUID, Activity]:
    """The activities of the basket's lines (those of the tenant), parsed once per version."""
    found, missing = {}, {}
    for f in facts:
        version = f["activity_version"]
        if version is None:
            continue  # not an activity of the tenant
        key = (f["activity_id"], version)
        if key in _PARSED:
            found[f["activity_id"]] = _PARSED[key]
        else:
            missing[f["activity_id"]] = key
    if missing:
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.clear()
        for row in await read(tenant, list(missing)):
            # Stored under the version the facts saw; if the row changed in between, the
            # next validation sees the new version and parses it again.
            found[row["id"]] = _PARSED[missing[row["id"]]] = Activity.from_row(row)
    return found
