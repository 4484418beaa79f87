"""Deadline nudges (issue 18), against the real Postgres and bus: the households that booked
nothing for next week are reminded once when the deadline nears, not when a day is booked;
an open basket is reminded once; two rounds running together emit each reminder once; the
sweeper and the operator's command run the same round."""

from __future__ import annotations

import argparse
import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from booking.commands import emit_reminders as emit_reminders_command
from booking.domain.deadlines import PARIS
from booking.usecases import reminders
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL
from shared.uow import unit_of_work

from ..conftest import NOW, TENANT, consuming

Town = Any
WEEK = "booking.BookingReminderDue"
BASKET = "booking.BasketReminderDue"
# The sweeper stays out of the way unless a test wants it: these tests run the round.
QUIET_SWEEP = pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 3600}], indirect=True, ids=["no-sweep"]
)
FAST_SWEEP = pytest.mark.parametrize(
    "booking_settings", [{"hold_sweep_seconds": 0.1}], indirect=True, ids=["sweep-0.1s"]
)
# NOW is Tuesday 1 September 2026; next week's Monday 7 closes on Saturday 5 at 23:59 (the
# test activity: two days before, 23:59). Thursday 10:00 is 62 h before: too early; Friday
# 10:00 is 38 h before: due.
THURSDAY = datetime(2026, 9, 3, 10, 0, tzinfo=PARIS)
FRIDAY = datetime(2026, 9, 4, 10, 0, tzinfo=PARIS)
SATURDAY = datetime(2026, 9, 5, 10, 0, tzinfo=PARIS)


@pytest.fixture
async def nudges(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, [WEEK, BASKET]) as tap:
        yield tap


async def round_at(town: Town, when: datetime, *, batch: int = 200) -> int:
    return await reminders.emit_reminders(
        lambda: unit_of_work(town.client.app),
        now=when,
        week_hours=48,
        basket_hours=24,
        batch=batch,
    )


async def sent(town: Town, kind: str) -> int:
    return await town.pool.fetchval("SELECT count(*) FROM reminders_sent WHERE kind = $1", kind)


@QUIET_SWEEP
async def test_households_that_booked_nothing_are_reminded_once(
    town: Town, nudges: EventTap
) -> None:
    await consuming(town.client)
    peri = await town.activity()
    camp = await town.activity(name="Centre de loisirs", type="VACANCES", weekdays=[1, 2, 3, 4, 5])
    idle = await town.enrolled_child(peri, first_name="Léa")
    busy = await town.enrolled_child(peri, first_name="Hugo")
    await town.book(busy, peri, "2026-09-10")  # one day of next week booked: not reminded
    await town.enrolled_child(camp, first_name="Inès")  # holiday camps: not reminded
    assert await round_at(town, THURSDAY) == 0  # the deadline is still far
    assert await round_at(town, FRIDAY) == 1
    (event,) = await nudges.wait_for(1, event_type=WEEK)
    payload = event["payload"]
    assert event["tenant_id"] == TENANT
    assert payload["household_id"] == str(idle["household_id"])
    assert (payload["week_from"], payload["week_to"]) == ("2026-09-07", "2026-09-11")
    deadline = datetime.fromisoformat(payload["deadline"])
    assert deadline == datetime(2026, 9, 5, 23, 59, tzinfo=PARIS)
    assert payload["days"] == [
        {"date": day, "activity_name": peri["name"]}
        for day in ("2026-09-07", "2026-09-08", "2026-09-10", "2026-09-11")
    ]
    # Later rounds find it done, even after more time passed.
    assert await round_at(town, FRIDAY) == 0
    assert await round_at(town, SATURDAY) == 0
    await asyncio.sleep(0.5)
    assert len(nudges.of_type(WEEK)) == 1
    assert await sent(town, "week") == 1


@QUIET_SWEEP
async def test_a_waiting_list_request_counts_as_booked(town: Town, nudges: EventTap) -> None:
    peri = await town.activity(capacity=1)
    first = await town.enrolled_child(peri, first_name="Léa")
    await town.book(first, peri, "2026-09-07")
    second = await town.enrolled_child(peri, first_name="Hugo")
    answer = await town.book(second, peri, "2026-09-07")
    assert answer["waiting_list"] == 1
    assert await round_at(town, FRIDAY) == 0
    assert await sent(town, "week") == 0


@QUIET_SWEEP
async def test_an_open_basket_is_reminded_once_to_who_filled_it(
    town: Town, nudges: EventTap
) -> None:
    await consuming(town.client)
    peri = await town.activity()
    kid = await town.enrolled_child(peri)
    town.at(FRIDAY)
    basket = await town.basket(
        kid, [{"activity_id": peri["id"], "dates": ["2026-09-07", "2026-09-08"]}]
    )
    other = await town.enrolled_child(peri, first_name="Hugo")
    await town.book(other, peri, "2026-09-07")  # validated: never reminded
    # Created 30 minutes ago: the family may be filling it right now.
    fresh = FRIDAY + timedelta(minutes=30)
    assert (
        await reminders.emit_basket_reminders(
            lambda: unit_of_work(town.client.app), now=fresh, hours=24
        )
        == 0
    )
    # Friday 10:00 + 1 h 30: created long enough ago, but Monday closes in 36 h.
    later = FRIDAY + timedelta(hours=1, minutes=30)
    assert (
        await reminders.emit_basket_reminders(
            lambda: unit_of_work(town.client.app), now=later, hours=24
        )
        == 0
    )
    assert (
        await reminders.emit_basket_reminders(
            lambda: unit_of_work(town.client.app), now=SATURDAY, hours=24
        )
        == 1
    )
    (event,) = await nudges.wait_for(1, event_type=BASKET)
    payload = event["payload"]
    owner = await town.pool.fetchval(
        "SELECT account_id FROM baskets WHERE id = $1", uuid.UUID(basket["id"])
    )
    assert payload == {
        "household_id": str(kid["household_id"]),
        "account_id": str(owner),
        "basket_id": basket["id"],
        "deadline": payload["deadline"],
        "lines": 2,
    }
    assert datetime.fromisoformat(payload["deadline"]) == datetime(2026, 9, 5, 23, 59, tzinfo=PARIS)
    assert (
        await reminders.emit_basket_reminders(
            lambda: unit_of_work(town.client.app), now=SATURDAY + timedelta(hours=1), hours=24
        )
        == 0
    )
    await asyncio.sleep(0.5)
    assert len(nudges.of_type(BASKET)) == 1


@QUIET_SWEEP
async def test_two_rounds_running_together_emit_each_reminder_once(
    town: Town, nudges: EventTap
) -> None:
    await consuming(town.client)
    peri = await town.activity()
    kids = await asyncio.gather(
        *(town.enrolled_child(peri, first_name=f"Enfant{i}") for i in range(12))
    )
    town.at(NOW)
    for kid in kids[:4]:  # four baskets left open since Tuesday
        await town.basket(kid, [{"activity_id": peri["id"], "dates": ["2026-09-07"]}])
    results = await asyncio.gather(
        round_at(town, SATURDAY, batch=3), round_at(town, SATURDAY, batch=3)
    )
    assert sum(results) == 12 + 4
    weeks = await nudges.wait_for(12, event_type=WEEK)
    baskets = await nudges.wait_for(4, event_type=BASKET)
    await asyncio.sleep(0.5)
    assert len(nudges.of_type(WEEK)) == 12 and len(nudges.of_type(BASKET)) == 4
    assert {e["payload"]["household_id"] for e in weeks} == {str(k["household_id"]) for k in kids}
    assert len({e["payload"]["basket_id"] for e in baskets}) == 4
    assert (await sent(town, "week"), await sent(town, "basket")) == (12, 4)


@FAST_SWEEP
async def test_the_sweeper_runs_the_round(town: Town, nudges: EventTap) -> None:
    await consuming(town.client)
    peri = await town.activity()
    kid = await town.enrolled_child(peri)
    town.at(FRIDAY)
    (event,) = await nudges.wait_for(1, event_type=WEEK, timeout=20)
    assert event["payload"]["household_id"] == str(kid["household_id"])
    await asyncio.sleep(0.5)  # a few more sweeps
    assert len(nudges.of_type(WEEK)) == 1


@pytest.mark.parametrize(
    "booking_settings",
    [{"hold_sweep_seconds": 3600, "basket_reminder_hours": 48}],
    indirect=True,
    ids=["no-sweep"],
)
async def test_the_command_emits_the_reminders_due_now(
    town: Town, nudges: EventTap, capsys: pytest.CaptureFixture[str]
) -> None:
    """The command uses the real time: a basket opened two hours ago with a day of tomorrow,
    which closes for booking tomorrow at 23:59 (Paris): between 24 and 48 hours from now
    whatever the hour the test runs, so within the 48 hours set here, and never passed."""
    await consuming(town.client)
    now = datetime.now(UTC)
    today = now.astimezone(PARIS).date()
    tomorrow = today + timedelta(days=1)
    activity = await town.activity(
        name="Accueil du soir — vacances",
        type="VACANCES",
        period_from=today.isoformat(),
        period_to=(today + timedelta(days=30)).isoformat(),
        weekdays=[1, 2, 3, 4, 5, 6, 7],
        booking_deadline={"days_before": 0, "at": "23:59"},
        cancel_deadline={"days_before": 0, "at": "00:00"},
    )
    kid = await town.enrolled_child(activity)
    town.at(now - timedelta(hours=2))
    basket = await town.basket(kid, [{"activity_id": activity["id"], "dates": [str(tomorrow)]}])
    capsys.readouterr()
    code = await asyncio.to_thread(emit_reminders_command, town.settings, argparse.Namespace())
    assert code == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == '{"week": 0, "basket": 1}'
    (event,) = await nudges.wait_for(1, event_type=BASKET, timeout=20)
    assert event["payload"]["basket_id"] == basket["id"]
    deadline = datetime.fromisoformat(event["payload"]["deadline"]).astimezone(PARIS)
    assert deadline.date() == tomorrow
