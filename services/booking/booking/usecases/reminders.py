"""Deadline nudges (issue 18): one round of the reminder job, every tenant, in batches.

booking.BookingReminderDue for each household due (`domain.reminders.week_reminder`), once
per household and week; booking.BasketReminderDue for each open basket due, once per basket.
"Once" is a row of `reminders_sent` written in the transaction that puts the event in the
outbox (INSERT ... ON CONFLICT DO NOTHING): two processes running the round together emit
each reminder once, the second waiting on the first's row and then finding it. notify sends
the emails (and skips the accounts that opted out of the week reminders).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from booking import store
from booking.domain import reminders
from booking.domain.activity import Activity, deadline_from
from booking.domain.deadlines import PARIS
from shared.uow import UnitOfWork


async def emit_reminders(
    make_uow: Callable[[], UnitOfWork],
    *,
    now: datetime,
    week_hours: float,
    basket_hours: float,
    batch: int = 200,
) -> int:
    """One round: the week reminders then the basket reminders due at `now`. How many
    were emitted."""
    weeks = await emit_week_reminders(make_uow, now=now, hours=week_hours, batch=batch)
    baskets = await emit_basket_reminders(make_uow, now=now, hours=basket_hours, batch=batch)
    return weeks + baskets


async def emit_week_reminders(
    make_uow: Callable[[], UnitOfWork], *, now: datetime, hours: float, batch: int = 200
) -> int:
    """booking.BookingReminderDue for the households due, `batch` households per
    transaction. Only the households enrolled in an activity with a day next week whose
    deadline is near are read: on most rounds, none."""
    week_from, week_to = reminders.next_week(now)
    async with make_uow() as uow:
        rows = await store.reminder_activities(
            uow.conn, week_from, week_to, sorted(reminders.SCHOOL_DAY_TYPES)
        )
    activities = {a.id: a for a in (Activity.from_row(r) for r in rows) if reminders.reminds(a)}
    urgent = [a.id for a in activities.values() if reminders.urgent(a, now, hours)]
    if not urgent:
        return 0
    emitted = 0
    after: tuple[str, uuid.UUID] = ("", uuid.UUID(int=0))
    while True:
        async with make_uow() as uow:
            facts = await store.week_reminder_facts(
                uow.conn,
                urgent=urgent,
                activity_ids=list(activities),
                week_from=week_from,
                week_to=week_to,
                after=after,
                limit=batch,
            )
            if not facts:
                return emitted
            tenants = {r["household_id"]: r["tenant"] for r in facts}
            enrolled = [
                reminders.Enrolled(
                    r["household_id"], activities[r["activity_id"]], frozenset(r["booked_days"])
                )
                for r in facts
            ]
            for reminder in reminders.week_reminders(enrolled, now, hours):
                tenant = tenants[reminder.household_id]
                key = reminders.week_key(reminder.household_id, reminder.week_from)
                if await store.mark_reminder_sent(uow.conn, "week", key, tenant, now):
                    uow.emit("booking.BookingReminderDue", reminder.payload(), tenant=tenant)
                    emitted += 1
        after = (facts[-1]["tenant"], facts[-1]["household_id"])
        if len({(r["tenant"], r["household_id"]) for r in facts}) < batch:
            return emitted


async def emit_basket_reminders(
    make_uow: Callable[[], UnitOfWork], *, now: datetime, hours: float, batch: int = 200
) -> int:
    """booking.BasketReminderDue for the open baskets due, `batch` baskets per transaction,
    to the account that filled each."""
    today = now.astimezone(PARIS).date()
    emitted = 0
    after = uuid.UUID(int=0)
    while True:
        async with make_uow() as uow:
            facts = await store.basket_reminder_facts(
                uow.conn,
                today=today,
                created_before=now - reminders.BASKET_QUIET,
                after=after,
                limit=batch,
            )
            if not facts:
                return emitted
            baskets: dict[uuid.UUID, list[dict[str, Any]]] = {}
            for row in facts:
                baskets.setdefault(row["basket_id"], []).append(row)
            for basket_id, lines in baskets.items():
                first = lines[0]
                deadline = reminders.basket_deadline(
                    first["created_at"],
                    [
                        reminders.BasketLine(x["day"], deadline_from(x["booking_deadline"]))
                        for x in lines
                        # A day of a closed activity cannot be validated any more.
                        if x["booking_deadline"] is not None and not x["activity_closed"]
                    ],
                    now,
                    hours,
                )
                if deadline is None:
                    continue
                tenant = first["tenant"]
                if await store.mark_reminder_sent(uow.conn, "basket", str(basket_id), tenant, now):
                    payload = {
                        "household_id": first["household_id"],
                        "account_id": first["account_id"],
                        "basket_id": basket_id,
                        "deadline": deadline,
                        "lines": first["line_count"],
                    }
                    uow.emit("booking.BasketReminderDue", payload, tenant=tenant)
                    emitted += 1
        after = facts[-1]["basket_id"]
        if len(baskets) < batch:
            return emitted
