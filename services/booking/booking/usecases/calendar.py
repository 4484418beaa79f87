"""A child's calendar: the month in the legend's states, and its private iCalendar feed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from booking import ical, store
from booking.domain import rules
from booking.domain.activity import Activity
from booking.domain.actors import Actor
from booking.domain.days import daterange
from booking.domain.deadlines import PARIS
from booking.domain.errors import ActivityNotFound, CalendarNotFound
from booking.usecases.children import child_for
from shared.uow import UnitOfWork


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


async def child_calendar(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    child_id: uuid.UUID,
    month: date,
    *,
    activity_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """Each day of the month of each activity the child is enrolled in (or of the one asked
    for), in one state of the calendar's legend (`rules.day_state`)."""
    child = await child_for(conn, tenant, actor, child_id)
    start, end = month_bounds(month)
    enrollments = {
        e["activity_id"]: e["status"]
        for e in await store.list_enrollments(conn, tenant, child_id=child["id"])
        if e["status"] != "rejected"
    }
    ids = set(enrollments) if activity_id is None else {activity_id}
    activities = [Activity.from_row(r) for r in await store.activities(conn, tenant, ids=ids)]
    if activity_id is not None and not activities:
        raise ActivityNotFound()
    counters = await store.day_counters(conn, [a.id for a in activities], start, end)
    latest: dict[tuple[uuid.UUID, date], dict[str, Any]] = {}
    for b in await store.child_bookings(conn, child["id"], start, end, [a.id for a in activities]):
        key = (b["activity_id"], b["day"])
        if b["status"] != "cancelled" or key not in latest or latest[key]["status"] == "cancelled":
            latest[key] = b
    # The fair opening: days a window not yet allocated covers, waiting days offered.
    spans = await store.pending_window_spans(conn, [a.id for a in activities], start, end)
    offered = await store.bookings_with_open_offer(
        conn, [b["id"] for b in latest.values() if b["status"] == "waiting"]
    )
    out = []
    for activity in activities:
        days = []
        for day in daterange(start, end):
            booking = latest.get((activity.id, day))
            counter = counters.get((activity.id, day))
            runs = counter is not None
            counter = counter or {"booked": 0, "capacity": 0}
            facts = rules.DayFacts(
                day=day,
                booking_status=booking["status"] if booking else None,
                enrollment_status=enrollments.get(activity.id),
                eligible=activity.eligibility.refusal(child["birth_date"], child["grade"], day)
                is None,
                booked=counter["booked"],
                capacity=counter["capacity"],
                draw_pending=any(
                    s["activity_id"] == activity.id
                    and s["date_from"] <= day <= s["date_to"]
                    and not s["closed"]
                    for s in spans
                ),
                draw_closed=any(
                    s["activity_id"] == activity.id
                    and s["date_from"] <= day <= s["date_to"]
                    and s["closed"]
                    for s in spans
                ),
                offered=bool(booking and booking["id"] in offered),
                runs=runs,
            )
            days.append(
                {
                    "date": day,
                    "state": rules.day_state(activity.opening, activity.deadlines, facts, now),
                    "booking_id": booking["id"] if booking else None,
                    "late": bool(booking and booking["late"]),
                    "waiting_position": booking.get("waiting_position") if booking else None,
                    "held": bool(
                        booking and booking["status"] == "booked" and booking["hold"] == "held"
                    ),
                    "payment_due_at": booking["held_until"]
                    if booking and booking["status"] == "booked" and booking["hold"] == "held"
                    else None,
                }
            )
        out.append(
            {
                "activity_id": activity.id,
                "name": activity.name,
                "type": activity.type,
                "site": activity.site,
                "days": days,
            }
        )
    return {"child_id": child["id"], "month": start.strftime("%Y-%m"), "activities": out}


async def create_calendar_token(
    uow: UnitOfWork, tenant: str, actor: Actor, child_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """A new private feed for the child (shown once); the previous one stops working."""
    token = ical.new_token()
    async with uow:
        child = await child_for(uow.conn, tenant, actor, child_id)
        await store.revoke_calendar_tokens(uow.conn, child["id"], now)
        await store.insert_calendar_token(
            uow.conn,
            ical.token_hash(token),
            tenant,
            child["id"],
            child["household_id"],
            actor.account_id,
            now,
        )
    return {"child_id": child["id"], "token": token, "url": f"/calendars/{token}.ics"}


async def revoke_calendar_token(
    uow: UnitOfWork, tenant: str, actor: Actor, child_id: uuid.UUID, now: datetime
) -> None:
    async with uow:
        await child_for(uow.conn, tenant, actor, child_id)
        if not await store.revoke_calendar_tokens(uow.conn, child_id, now):
            raise CalendarNotFound()


async def calendar_feed(conn: store.Conn, token: str, now: datetime) -> bytes:
    """The feed of the token's child: its booked days around today (no caller: the token is
    the secret)."""
    if len(token) > 100:
        raise CalendarNotFound()
    found = await store.calendar_token(conn, ical.token_hash(token))
    if found is None:
        raise CalendarNotFound()
    child = await store.get_child(conn, found["tenant"], found["child_id"])
    if child is None:
        raise CalendarNotFound()
    today: date = now.astimezone(PARIS).date()
    bookings = await store.booked_days(
        conn,
        child["id"],
        today - timedelta(days=ical.PAST_DAYS),
        today + timedelta(days=ical.FUTURE_DAYS),
    )
    return ical.feed(child, bookings, now)
