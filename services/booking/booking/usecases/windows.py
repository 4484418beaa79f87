"""Opening windows (issue 18): staff give an activity's days a window in which families
submit their requests; nothing is decided before it closes; then one allocation decides them
all by the town's published priority rules and a committed lottery (`domain.allocation`).
The allocation runs on staff's call, or by the sweeper for the windows closed."""

from __future__ import annotations

import csv
import io
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain import allocation as draw
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    ActivityClosed,
    InvalidWindowField,
    WindowAllocated,
    WindowNotAllocated,
    WindowNotClosed,
    WindowNotFound,
    WindowNotOpen,
    WindowPublished,
    WindowRequestNotFound,
)
from booking.usecases.activities import activity
from shared.events.checked import PayloadCheck
from shared.french import day_month_year
from shared.uow import UnitOfWork

SCHEDULED, OPEN, CLOSED, ALLOCATED = "scheduled", "open", "closed", "allocated"


def state_of(row: Mapping[str, Any], now: datetime) -> str:
    """Stored: scheduled or allocated; open and closed follow from the clock."""
    if row["status"] == ALLOCATED:
        return ALLOCATED
    if now < row["opens_at"]:
        return SCHEDULED
    return OPEN if now < row["closes_at"] else CLOSED


def _when(moment: datetime) -> str:
    local = moment.astimezone(PARIS)
    return f"{day_month_year(local.date())} à {local:%H:%M}"


async def window_row(
    conn: store.Conn, tenant: str, window_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any]:
    row = await store.get_window(conn, tenant, window_id, lock=lock)
    if row is None:
        raise WindowNotFound()
    return row


async def _visible(
    conn: store.Conn, tenant: str, actor: Actor, window_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """Families see a window once it opened (its rules are published then)."""
    row = await window_row(conn, tenant, window_id)
    if not actor.staff and now < row["opens_at"]:
        raise WindowNotFound()
    return row


async def _body(
    conn: store.Conn,
    row: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    counts: Mapping[uuid.UUID, int] | None = None,
) -> dict[str, Any]:
    days = await store.window_days(conn, row["activity_id"], row["date_from"], row["date_to"])
    if actor.staff and counts is None:
        counts = await store.window_request_counts(conn, [row["id"]])
    state = state_of(row, now)
    return {
        **row,
        "days": [d["day"] for d in days],
        "status": state,
        "seed": row["seed"] if state == ALLOCATED else None,
        "requests": (counts or {}).get(row["id"], 0) if actor.staff else None,
    }


# --- staff: the window ------------------------------------------------------------------------


def _rules(rules: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The town's ordered rules, each code once (a catalogue code may omit its label)."""
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        code = rule["code"]
        if code in seen:
            raise InvalidWindowField(f"priority_rules.{i}.code", "Cette règle est déjà listée.")
        seen.add(code)
        label = rule.get("label") or draw.CATALOGUE.get(code)
        if not label:
            raise InvalidWindowField(
                f"priority_rules.{i}.label", "Indiquez le libellé de cette règle de priorité."
            )
        out.append({"code": code, "label": label})
    return out


async def _check(
    conn: store.Conn, found: Activity, values: Mapping[str, Any], window_id: uuid.UUID
) -> None:
    if found.payment != "invoice":
        # The allocation books days at once, for families who are not there to pay them:
        # days paid at booking or from the wallet would need a hold per family after the
        # draw, which windows do not have (yet); invoiced activities only.
        raise InvalidWindowField(
            "activity_id",
            "Le tirage au sort n'est possible que pour une activité facturée après coup,"
            " pas pour une activité payée à la réservation ou par la tirelire.",
        )
    if values["closes_at"] <= values["opens_at"]:
        raise InvalidWindowField("closes_at", "La clôture doit suivre l'ouverture des demandes.")
    opening = found.opening
    if not opening.period_from <= values["date_from"] <= opening.period_to:
        raise InvalidWindowField("date_from", "Ce jour est hors de la période de l'activité.")
    if not values["date_from"] <= values["date_to"] <= opening.period_to:
        raise InvalidWindowField(
            "date_to", "Ce jour doit suivre le premier et rester dans la période de l'activité."
        )
    other = await store.overlapping_window(
        conn, found.id, values["date_from"], values["date_to"], window_id
    )
    if other is not None:
        raise InvalidWindowField(
            "date_from", f"Ces jours sont déjà couverts par la période « {other['name']} »."
        )


async def create_window(
    uow: UnitOfWork, tenant: str, actor: Actor, data: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    """A window for an activity's days (default: its whole period). Its lottery seed is
    drawn now and kept secret; only its hash is shown until the allocation."""
    async with uow:
        found = await activity(uow.conn, tenant, data["activity_id"])
        if found.closed:
            raise ActivityClosed()
        seed = secrets.token_hex(32)
        values = {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "activity_id": found.id,
            "name": data["name"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "date_from": data.get("date_from") or found.opening.period_from,
            "date_to": data.get("date_to") or found.opening.period_to,
            "priority_rules": _rules(data["priority_rules"]),
            "first_come_after": data["first_come_after"],
            "seed": seed,
            "seed_hash": draw.seed_hash(seed),
            "created_by": actor.account_id,
            "created_at": now,
        }
        await _check(uow.conn, found, values, values["id"])
        row = await store.insert_window(uow.conn, values)
        return await _body(uow.conn, row, actor, now, {})


_EDITABLE = ("name", "opens_at", "closes_at", "date_from", "date_to", "first_come_after")


async def update_window(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    window_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
) -> dict[str, Any]:
    """Staff change a window until it opens: from then on its rules are published."""
    async with uow:
        row = await window_row(uow.conn, tenant, window_id, lock=True)
        if state_of(row, now) != SCHEDULED:
            raise WindowPublished()
        values: dict[str, Any] = {k: data[k] for k in _EDITABLE if k in data}
        if "priority_rules" in data:
            values["priority_rules"] = _rules(data["priority_rules"])
        merged = {**row, **values}
        found = await activity(uow.conn, tenant, row["activity_id"])
        await _check(uow.conn, found, merged, window_id)
        if values:
            row = await store.update_window(uow.conn, tenant, window_id, values)
        return await _body(uow.conn, row, actor, now)


async def list_windows(
    conn: store.Conn, tenant: str, actor: Actor, *, now: datetime
) -> list[dict[str, Any]]:
    """Staff: every window of the tenant; families: those opened (open, closed, allocated)."""
    rows = await store.list_windows(conn, tenant, opened_before=None if actor.staff else now)
    counts = await store.window_request_counts(conn, [r["id"] for r in rows])
    return [await _body(conn, row, actor, now, counts) for row in rows]


async def get_window(
    conn: store.Conn, tenant: str, actor: Actor, window_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    return await _body(conn, await _visible(conn, tenant, actor, window_id, now), actor, now)


# --- families: their request ------------------------------------------------------------------


def _require_open(row: Mapping[str, Any], now: datetime) -> None:
    state = state_of(row, now)
    if state == OPEN:
        return
    opens, closes = _when(row["opens_at"]), _when(row["closes_at"])
    if state == SCHEDULED:
        detail = f"Les demandes pour « {row['name']} » ouvriront le {opens}."
    else:
        detail = f"Les demandes pour « {row['name']} » étaient ouvertes jusqu'au {closes}."
    raise WindowNotOpen(detail)


async def _request_children(
    conn: store.Conn,
    tenant: str,
    household: uuid.UUID,
    row: Mapping[str, Any],
    found: Activity,
    children: Sequence[Mapping[str, Any]],
) -> list[tuple[uuid.UUID, list[date]]]:
    """Each child of the household, eligible as a basket line would be (an approved
    enrollment, age and grade on each day), on days among the window's."""
    days = {
        d["day"]
        for d in await store.window_days(conn, row["activity_id"], row["date_from"], row["date_to"])
    }
    ids = [c["child_id"] for c in children]
    statuses = await store.enrollment_statuses(conn, found.id, ids)
    out: list[tuple[uuid.UUID, list[date]]] = []
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(children):
        field = f"children.{i}"
        child = await store.get_child(conn, tenant, item["child_id"])
        if child is None or child["household_id"] != household:
            raise InvalidWindowField(f"{field}.child_id", "Cet enfant n'est pas de ce foyer.")
        if child["id"] in seen:
            raise InvalidWindowField(f"{field}.child_id", "Cet enfant est déjà dans la demande.")
        seen.add(child["id"])
        status = statuses.get(child["id"])
        if status != "approved":
            detail = (
                "L'inscription de votre enfant attend la validation de la mairie."
                if status == "pending"
                else "Votre enfant n'est pas inscrit à cette activité."
            )
            raise InvalidWindowField(f"{field}.child_id", detail)
        dates = sorted(set(item["dates"]))
        for j, day in enumerate(item["dates"]):
            if day not in days:
                raise InvalidWindowField(
                    f"{field}.dates.{j}", "Ce jour n'est pas un jour de cette période."
                )
            refusal = found.eligibility.refusal(child["birth_date"], child["grade"], day)
            if refusal is not None:
                raise InvalidWindowField(f"{field}.dates.{j}", refusal)
        out.append((child["id"], dates))
    return out


def _declared(row: Mapping[str, Any], criteria: Sequence[str], field: str) -> list[str]:
    """The criteria a family (or staff) may declare: the window's rules but the computed
    one."""
    codes = {r["code"] for r in row["priority_rules"]} - {draw.SIBLING_ENROLLED}
    for i, code in enumerate(criteria):
        if code not in codes:
            raise InvalidWindowField(
                f"{field}.{i}", "Ce critère n'est pas une règle de priorité de cette période."
            )
    return list(dict.fromkeys(criteria))


def _household(actor: Actor, household_id: uuid.UUID | None) -> uuid.UUID:
    """Whose request: a family's own household; staff name it (in the path)."""
    if household_id is None or not actor.staff:
        return actor.own_household()
    return household_id


async def submit_request(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    window_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
    household_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """The household's request, replacing the one it had (while the window is open): a
    family's own, or staff's for the household they name (at the desk, same rules)."""
    household = _household(actor, household_id)
    async with uow:
        if actor.staff and not await store.household_known(uow.conn, tenant, household):
            raise WindowRequestNotFound()
        row = await window_row(uow.conn, tenant, window_id)
        _require_open(row, now)
        found = await activity(uow.conn, tenant, row["activity_id"])
        if found.closed:
            raise ActivityClosed()
        children = await _request_children(
            uow.conn, tenant, household, row, found, data["children"]
        )
        criteria = _declared(row, data["criteria"], "criteria")
        await store.save_window_request(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "window_id": window_id,
                "tenant": tenant,
                "household_id": household,
                "account_id": actor.account_id,
                "by_staff": actor.staff,
                "siblings_together": data["siblings_together"],
                "criteria": criteria,
                "now": now,
            },
            children,
        )
        return await _request_body(uow.conn, row, household)


async def _request_body(
    conn: store.Conn, row: Mapping[str, Any], household: uuid.UUID
) -> dict[str, Any]:
    request = await store.window_request(conn, row["id"], household_id=household)
    if request is None:
        raise WindowRequestNotFound()
    (body,) = await _requests_out(conn, row, [request])
    return body


async def _requests_out(
    conn: store.Conn, row: Mapping[str, Any], requests: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    children = await store.window_request_children(conn, [r["id"] for r in requests])
    rules = row["priority_rules"]
    labels = {r["code"]: r["label"] for r in rules}
    entries = None
    if row["status"] == ALLOCATED:
        entries = (await store.window_request_counts(conn, [row["id"]])).get(row["id"], 0)
    out = []
    for request in requests:
        allocated = request["rank"] is not None
        kids = []
        for child in children.get(request["id"], []):
            outcomes = {o["date"]: o for o in child["outcome"] or []}
            kids.append(
                {
                    "child_id": child["child_id"],
                    "first_name": child["first_name"],
                    "last_name": child["last_name"],
                    "dates": [
                        {
                            "date": day,
                            "outcome": outcomes.get(day.isoformat(), {}).get("outcome"),
                            "waiting_position": outcomes.get(day.isoformat(), {}).get(
                                "waiting_position"
                            ),
                        }
                        for day in child["dates"]
                    ],
                }
            )
        out.append(
            {
                **request,
                "level_label": draw.level_label(request["level"], rules) if allocated else None,
                "entries": entries,
                "reasons": [labels[c] for c in request["met_criteria"] or [] if c in labels],
                "children": kids,
            }
        )
    return out


async def my_request(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    window_id: uuid.UUID,
    *,
    now: datetime,
    household_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    row = await _visible(conn, tenant, actor, window_id, now)
    return await _request_body(conn, row, _household(actor, household_id))


async def withdraw_request(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    window_id: uuid.UUID,
    *,
    now: datetime,
    household_id: uuid.UUID | None = None,
) -> None:
    household = _household(actor, household_id)
    async with uow:
        row = await window_row(uow.conn, tenant, window_id)
        _require_open(row, now)
        request = await store.window_request(uow.conn, window_id, household_id=household)
        if request is None:
            raise WindowRequestNotFound()
        await store.delete_window_request(uow.conn, request["id"])


# --- staff: the requests ------------------------------------------------------------------------


async def list_requests(
    conn: store.Conn, tenant: str, window_id: uuid.UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    row = await window_row(conn, tenant, window_id)
    requests = await store.window_requests(conn, window_id, limit=limit, offset=offset)
    return await _requests_out(conn, row, requests)


async def verify_criteria(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    window_id: uuid.UUID,
    request_id: uuid.UUID,
    criteria: Sequence[str],
    *,
    now: datetime,
) -> dict[str, Any]:
    """Staff set the criteria checked (then the ones used), until the allocation."""
    async with uow:
        row = await window_row(uow.conn, tenant, window_id, lock=True)
        if row["status"] == ALLOCATED:
            raise WindowAllocated()
        request = await store.window_request(uow.conn, window_id, request_id=request_id)
        if request is None:
            raise WindowRequestNotFound()
        verified = _declared(row, criteria, "verified_criteria")
        updated = await store.verify_window_criteria(
            uow.conn, request_id, verified, actor.account_id, now
        )
        (body,) = await _requests_out(uow.conn, row, [updated])
        return body


# --- the allocation ---------------------------------------------------------------------------


async def allocate_window(
    uow: UnitOfWork, tenant: str, window_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    """Allocate a closed window, once: a second call (or another process racing this one:
    the window row is locked, its status read again under the lock) answers the stored
    allocation. Everything in ONE transaction: the requests read and levelled (the criteria
    staff verified, else the declared ones, and `sibling_enrolled` computed here), the
    window's day rows locked in the common order, `allocation.allocate` run on their free
    places, the bookings written (the waiting ones in allocation order per day, so the
    waiting list keeps it), the counters, each request's level, rank and outcomes, the seed
    revealed; per child a ReservationValidated (`window_id` set) and per household an
    AllocationDecided."""
    async with uow:
        row = await window_row(uow.conn, tenant, window_id, lock=True)
        state = state_of(row, now)
        if state in (SCHEDULED, OPEN):
            raise WindowNotClosed(
                f"L'attribution des places aura lieu à la clôture des demandes, le"
                f" {_when(row['closes_at'])}."
            )
        if state == CLOSED:
            await _allocate(uow, row, now)
            row = await window_row(uow.conn, tenant, window_id)
        return await _draw(uow.conn, row)


async def allocate_due(make_uow: Callable[[], UnitOfWork], *, now: datetime) -> int:
    """The sweeper's work: every window closed and not allocated, each in its own
    transaction (every tenant). How many were allocated here."""
    done = 0
    async with make_uow() as uow:
        due = await store.due_windows(uow.conn, now, 100)
    for window in due:
        async with make_uow() as uow:
            row = await store.get_window(uow.conn, window["tenant"], window["id"], lock=True)
            if row is None or state_of(row, now) != CLOSED:
                continue  # another process allocated it meanwhile
            await _allocate(uow, row, now)
            done += 1
    return done


async def _allocate(uow: UnitOfWork, row: Mapping[str, Any], now: datetime) -> None:
    conn, tenant = uow.conn, row["tenant"]
    found = await activity(conn, tenant, row["activity_id"])
    rules = row["priority_rules"]
    codes = [r["code"] for r in rules]
    requests = await store.window_requests(conn, row["id"])
    children = await store.window_request_children(conn, [r["id"] for r in requests])
    enrolled: dict[uuid.UUID, set[uuid.UUID]] = {}
    for e in await store.households_with_enrolled_children(
        conn, found.id, [r["household_id"] for r in requests]
    ):
        enrolled.setdefault(e["household_id"], set()).add(e["child_id"])
    days = await store.window_days(conn, found.id, row["date_from"], row["date_to"], lock=True)
    free = {d["day"]: d["capacity"] - d["booked"] for d in days}
    # A child whose enrollment was withdrawn or refused since its request takes no part.
    statuses = await store.enrollment_statuses(
        conn, found.id, [c["child_id"] for kids in children.values() for c in kids]
    )
    tickets, met = {}, {}
    for request in requests:
        declared = request["verified_criteria"]
        if declared is None:
            declared = request["criteria"]
        criteria = [c for c in declared if c != draw.SIBLING_ENROLLED]
        asking = {c["child_id"] for c in children.get(request["id"], [])}
        # A sibling already enrolled: another child of the household, not in this request,
        # with an approved enrollment in the activity.
        if enrolled.get(request["household_id"], set()) - asking:
            criteria.append(draw.SIBLING_ENROLLED)
        met[request["id"]] = draw.met_rules(criteria, codes)
        tickets[request["id"]] = draw.Ticket(
            request_id=request["id"],
            household_id=request["household_id"],
            level=draw.level_of(criteria, codes),
            children=tuple(
                (
                    c["child_id"],
                    tuple(d for d in c["dates"] if d in free)
                    if statuses.get(c["child_id"]) == "approved"
                    else (),
                )
                for c in children.get(request["id"], [])
            ),
            together=request["siblings_together"],
        )
    all_children = [c for t in tickets.values() for c, _ in t.children]
    existing = await store.live_bookings_on(conn, found.id, all_children, list(free))
    already = frozenset(k for k, b in existing.items() if b["status"] == "booked")
    result = draw.allocate(tickets.values(), free, row["seed"], already)

    by_request = {r["id"]: r for r in requests}
    booking_of: dict[tuple[uuid.UUID, date], uuid.UUID] = {}
    booked_rows: list[tuple[Any, ...]] = []
    promoted = []
    taken: dict[date, int] = {}

    def new_row(
        request: Mapping[str, Any], child: uuid.UUID, day: date, status: str
    ) -> tuple[Any, ...]:
        # A tuple in `store.ALLOCATED_COLUMNS` order: 145,000 of them for a big window.
        booking_id = uuid.uuid4()
        booking_of[(child, day)] = booking_id
        return (
            booking_id,
            tenant,
            found.id,
            child,
            request["household_id"],
            day,
            status,
            request["account_id"],
            now,
        )

    owner = {c: by_request[t.request_id] for t in tickets.values() for c, _ in t.children}
    for (child, day), outcome in result.outcomes.items():
        live = existing.get((child, day))
        if live is not None:
            booking_of[(child, day)] = live["id"]
            if outcome.outcome == draw.BOOKED and live["status"] == "waiting":
                promoted.append(live["id"])
                taken[day] = taken.get(day, 0) + 1
        elif outcome.outcome == draw.BOOKED:
            booked_rows.append(new_row(owner[child], child, day, "booked"))
            taken[day] = taken.get(day, 0) + 1
    # The waiting rows in allocation order per day: `seq` keeps that order.
    waiting_rows = [
        new_row(owner[child], child, day, "waiting")
        for day in sorted(result.waiting)
        for child in result.waiting[day]
        if (child, day) not in existing
    ]
    await store.insert_allocated_bookings(conn, booked_rows + waiting_rows)
    if promoted:
        await store.promote_bookings(conn, promoted)
    if taken:
        await store.add_booked(conn, found.id, sorted(taken.items()))
    waiting_ids = [booking_of[k] for k, o in result.outcomes.items() if o.outcome == draw.WAITING]
    positions = await store.waiting_positions(conn, found.id, waiting_ids)

    entries = len(result.ranked)
    saved_requests, saved_children = [], []
    # Thousands of events of two types: each checked field by field against its contract.
    validated = PayloadCheck("booking.ReservationValidated")
    decided = PayloadCheck("booking.AllocationDecided", sharing=validated)
    for ranked in result.ranked:
        ticket, request = ranked.ticket, by_request[ranked.ticket.request_id]
        names = {c["child_id"]: c for c in children.get(request["id"], [])}
        allocated_children = []
        for child, child_days in ticket.children:
            outcome_items, booked, waiting = [], [], []
            for day in child_days:
                outcome = result.outcomes[(child, day)]
                booking_id = booking_of[(child, day)]
                position = positions.get(booking_id) if outcome.outcome == draw.WAITING else None
                outcome_items.append(
                    {
                        "date": day.isoformat(),
                        "outcome": outcome.outcome,
                        "waiting_position": position,
                        "booking_id": str(booking_id),
                        "already": outcome.already,
                    }
                )
                if outcome.outcome == draw.BOOKED and not outcome.already:
                    booked.append({"booking_id": booking_id, "date": day, "late": False})
                elif outcome.outcome == draw.WAITING:
                    waiting.append(day)
            saved_children.append(
                {"request_id": request["id"], "child_id": child, "outcome": outcome_items}
            )
            first_name = names[child]["first_name"] or ""
            allocated_children.append(
                {
                    "child_id": child,
                    "first_name": first_name,
                    "booked_dates": [
                        d for d in child_days if result.outcomes[(child, d)].outcome == draw.BOOKED
                    ],
                    "waiting_dates": waiting,
                }
            )
            if booked or waiting:
                kid = {
                    "id": child,
                    "household_id": request["household_id"],
                    "first_name": first_name,
                }
                uow.emit_checked(
                    validated,
                    {
                        # Submitted by staff: no family account (as a staff basket).
                        **who(found, kid, None if request["by_staff"] else request["account_id"]),
                        "basket_id": request["id"],
                        **(
                            {"booked_by_staff": request["account_id"]}
                            if request["by_staff"]
                            else {}
                        ),
                        "dates": booked,
                        "waiting_dates": waiting,
                        "window_id": row["id"],
                    },
                    tenant=tenant,
                )
        saved_requests.append(
            {
                "id": request["id"],
                "level": ticket.level,
                "rank": ranked.rank,
                "lottery_key": ranked.lottery_key,
                "met": met[request["id"]],
            }
        )
        uow.emit_checked(
            decided,
            {
                "window_id": row["id"],
                "window_name": row["name"],
                "request_id": request["id"],
                "household_id": request["household_id"],
                "activity_id": found.id,
                "activity_name": found.name,
                "level": ticket.level,
                "level_label": draw.level_label(ticket.level, rules),
                "rank": ranked.rank,
                "entries": entries,
                "children": allocated_children,
            },
            tenant=tenant,
        )
    await store.save_allocation(
        conn,
        row["id"],
        allocated_at=now,
        places=[{"date": day.isoformat(), "places": n} for day, n in sorted(free.items())],
        requests=saved_requests,
        children=saved_children,
    )


# --- what is published ------------------------------------------------------------------------


async def get_draw(
    conn: store.Conn, tenant: str, actor: Actor, window_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    row = await _visible(conn, tenant, actor, window_id, now)
    if row["status"] != ALLOCATED:
        raise WindowNotAllocated()
    return await _draw(conn, row)


async def _draw(conn: store.Conn, row: Mapping[str, Any]) -> dict[str, Any]:
    """The published inputs and result of the draw: enough to recompute it
    (`allocation.recompute`), no household id, no name."""
    requests = await store.window_requests(conn, row["id"])
    children = await store.window_request_children(conn, [r["id"] for r in requests])
    entries = []
    for request in requests:
        asks: dict[str, dict[str, int]] = {}
        kids = children.get(request["id"], [])
        for child in kids:
            for item in child["outcome"] or []:
                if item.get("already"):
                    continue  # booked before: took no place in the draw
                ask = asks.setdefault(item["date"], {"children": 0, "booked": 0, "waiting": 0})
                ask["children"] += 1
                ask[item["outcome"]] += 1
        entries.append(
            {
                "request_id": request["id"],
                "level": request["level"],
                "lottery_key": request["lottery_key"],
                "rank": request["rank"],
                "children": len(kids),
                "together": request["siblings_together"],
                "asks": [{"date": date.fromisoformat(day), **n} for day, n in sorted(asks.items())],
            }
        )
    return {
        "window_id": row["id"],
        "allocated_at": row["allocated_at"],
        "seed": row["seed"],
        "seed_hash": row["seed_hash"],
        "rules": row["priority_rules"],
        "days": [
            {"date": date.fromisoformat(d["date"]), "places": d["places"]}
            for d in row["places"] or []
        ],
        "entries": entries,
    }


CSV_HEADER = [
    "rang",
    "niveau",
    "priorité",
    "foyer",
    "prénom",
    "nom",
    "date",
    "résultat",
    "position en liste d'attente",
]
CSV_OUTCOMES = {draw.BOOKED: "réservé", draw.WAITING: "liste d'attente"}


async def allocation_csv(conn: store.Conn, tenant: str, window_id: uuid.UUID) -> str:
    """Staff's export: one row per child and day, in rank order; the seed and its hash on
    the first line (a comment), so the file alone lets anyone recompute the keys."""
    row = await window_row(conn, tenant, window_id)
    if row["status"] != ALLOCATED:
        raise WindowNotAllocated()
    requests = await store.window_requests(conn, window_id)
    children = await store.window_request_children(conn, [r["id"] for r in requests])
    out = io.StringIO()
    out.write(f"# graine: {row['seed']} ; empreinte sha256: {row['seed_hash']}\n")
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rules = row["priority_rules"]
    for request in requests:
        for child in children.get(request["id"], []):
            for item in child["outcome"] or []:
                writer.writerow(
                    [
                        request["rank"],
                        request["level"],
                        draw.level_label(request["level"], rules),
                        request["household_id"],
                        child["first_name"] or "",
                        child["last_name"] or "",
                        item["date"],
                        CSV_OUTCOMES[item["outcome"]],
                        item["waiting_position"] or "",
                    ]
                )
    return out.getvalue()
