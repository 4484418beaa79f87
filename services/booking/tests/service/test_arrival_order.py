"""The waiting list keeps arrival order while places are taken and given back at once (issue
17): bench/opening_rush.py flagged a day where a line was confirmed at validation after
another line of that day had been put on the waiting list.

The invariant, per opening day (every change to a day's bookings holds its row lock, so the
transactions that touch a day are in one order, which the booking `seq` (lines decided) and
the outbox `seq` (events written just before each commit) both follow): a line is confirmed
at validation only while nobody waits that day. So for a line C confirmed at validation,
every line W of that day put on the waiting list before it (W.seq < C.seq) has left the list
before C's validation committed: its WaitingListPromoted is before C's ReservationValidated
in the outbox. And promotions follow the waiting list: the promoted are its first, promoted
in its order. (Automatic promotion, the default and the benchmark's; every child here may
take a place: one who may not, no longer enrolled or not eligible, is passed over and keeps
its rank, and a place offered in offer mode is counted as taken.)

A later basket confirmed after an earlier one waited is therefore right when the earlier
one was promoted first and a further cancellation then found nobody waiting; the
benchmark's former check (« nobody confirmed after a waiting-list answer ») called that a
failure.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import sys
import uuid
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from booking.app import create_app
from booking.state import CLOCK
from shared.keys import POOL

from ..conftest import TENANT

Town = Any
MONDAY, TUESDAY = "2026-10-05", "2026-10-06"
BENCH = Path(__file__).resolve().parents[4] / "bench"

# Every booking of an activity with what the outbox says of it: the event that confirmed it
# at validation (None: it was put on the waiting list) and the one that promoted it.
FACTS = """
SELECT b.id, b.day, b.seq, b.status,
       (SELECT o.seq FROM outbox o
        WHERE o.type = 'booking.ReservationValidated'
          AND o.envelope -> 'payload' -> 'dates'
              @> jsonb_build_array(jsonb_build_object('booking_id', b.id::text))) AS confirmed_at,
       (SELECT o.seq FROM outbox o
        WHERE o.type = 'booking.WaitingListPromoted'
          AND o.envelope -> 'payload' ->> 'booking_id' = b.id::text) AS promoted_at
FROM bookings b WHERE b.activity_id = $1
"""


async def facts(town: Town, activity: dict[str, Any]) -> list[dict[str, Any]]:
    rows = await town.pool.fetch(FACTS, uuid.UUID(activity["id"]))
    return [dict(r) for r in rows]


def breaches(rows: list[dict[str, Any]]) -> list[str]:
    """What breaks the invariant (module docstring), day by day."""
    found: list[str] = []
    by_day: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_day[row["day"]].append(row)
    for day, day_rows in by_day.items():
        waiting = sorted((r for r in day_rows if r["confirmed_at"] is None), key=lambda r: r["seq"])
        for confirmed in (r for r in day_rows if r["confirmed_at"] is not None):
            for w in waiting:
                if w["seq"] > confirmed["seq"]:
                    break
                if w["promoted_at"] is None or w["promoted_at"] > confirmed["confirmed_at"]:
                    found.append(f"{day}: seq {confirmed['seq']} confirmed while {w['seq']} waited")
        promoted = [w["promoted_at"] for w in waiting if w["promoted_at"] is not None]
        if promoted != sorted(promoted) or any(
            w["promoted_at"] is None for w in waiting[: len(promoted)]
        ):
            found.append(f"{day}: promoted out of turn")
    return found


def bench() -> ModuleType:
    """bench/opening_rush.py, whose check of this invariant is tested here too."""
    for name in ("booking_rush", "opening_rush"):  # opening_rush imports booking_rush
        if name not in sys.modules:
            spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            sys.modules[name] = module
            spec.loader.exec_module(module)
    return sys.modules["opening_rush"]


async def cancel(town: Town, kid: dict[str, Any], booking_id: str) -> None:
    await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
        town.family(kid["household_id"]),
        {},
    )


async def test_a_place_freed_once_the_waiting_list_is_served_goes_to_the_next_arrival(
    town: Town,
) -> None:
    """The history the benchmark flagged, step by step: it is the right one."""
    activity = await town.activity(type="VACANCES", capacity=2)
    ana, ben, wil, cid = [
        await town.enrolled_child(activity, first_name=n) for n in ("Ana", "Ben", "Wil", "Cid")
    ]
    (a,) = (await town.book(ana, activity, MONDAY))["lines"]
    (b,) = (await town.book(ben, activity, MONDAY))["lines"]
    (w,) = (await town.book(wil, activity, MONDAY))["lines"]
    assert [a["outcome"], b["outcome"], w["outcome"]] == ["confirmed", "confirmed", "waiting_list"]
    await cancel(town, ana, a["booking_id"])  # Wil, first waiting, takes Ana's place
    await cancel(town, ben, b["booking_id"])  # nobody waits: the place stays free
    (c,) = (await town.book(cid, activity, MONDAY))["lines"]
    assert c["outcome"] == "confirmed"  # Cid, arrived after Wil, is confirmed at validation

    rows = await facts(town, activity)
    seq = {str(r["id"]): r["seq"] for r in rows}
    assert seq[c["booking_id"]] > seq[w["booking_id"]]  # what the former check refused
    assert breaches(rows) == []
    statuses = {str(r["id"]): r["status"] for r in rows}
    assert statuses[w["booking_id"]] == statuses[c["booking_id"]] == "booked"

    # The benchmark's check, on the same rows and answers, agrees.
    opening_rush = bench()
    lines = [
        opening_rush.Line(x["booking_id"], activity["id"], MONDAY, x["outcome"], 0.0, 0.0)
        for x in (a, b, w, c)
    ]
    stored = await opening_rush.stored_lines(town.pool, [activity["id"]], town.settings.schema)
    assert opening_rush.waiting_list_breaches(lines, stored) == ([], 1, 0)


def test_the_benchmark_check_refuses_a_confirmation_while_a_child_waits() -> None:
    """Without a database: the histories a real breach leaves."""
    opening_rush = bench()

    def line(name: str, outcome: str) -> Any:
        return opening_rush.Line(name, "activity", MONDAY, outcome, 0.0, 0.0)

    lines = [line("a", "confirmed"), line("w", "waiting_list"), line("c", "confirmed")]

    def stored(w_promoted: int | None) -> dict[str, Any]:
        return {
            "a": opening_rush.Stored(seq=1, status="cancelled", confirmed_at=1, promoted_at=None),
            "w": opening_rush.Stored(
                seq=2,
                status="booked" if w_promoted else "waiting",
                confirmed_at=None,
                promoted_at=w_promoted,
            ),
            "c": opening_rush.Stored(seq=3, status="booked", confirmed_at=5, promoted_at=None),
        }

    # Promoted before Cid's validation: right (one confirmation after a waiting answer).
    assert opening_rush.waiting_list_breaches(lines, stored(4)) == ([], 1, 0)
    # Promoted after it, or never: Cid took the place Wil was waiting for.
    for promoted in (6, None):
        found, _, _ = opening_rush.waiting_list_breaches(lines, stored(promoted))
        assert len(found) == 1 and "seq 3" in found[0] and "seq 2" in found[0]
    # Three waiting, the third promoted first and the second never: out of turn.
    waiting = [line("w", "waiting_list"), line("x", "waiting_list"), line("y", "waiting_list")]
    out = {
        "w": opening_rush.Stored(seq=2, status="booked", confirmed_at=None, promoted_at=7),
        "x": opening_rush.Stored(seq=3, status="waiting", confirmed_at=None, promoted_at=None),
        "y": opening_rush.Stored(seq=4, status="booked", confirmed_at=None, promoted_at=6),
    }
    assert opening_rush.waiting_list_breaches(waiting, out) == ([], 0, 1)
    in_turn = {**out, "x": dataclasses.replace(out["x"], status="booked", promoted_at=5)}
    assert opening_rush.waiting_list_breaches(waiting, in_turn) == ([], 0, 1)  # y before w
    in_turn["y"] = dataclasses.replace(out["y"], promoted_at=8)
    in_turn["x"] = dataclasses.replace(in_turn["x"], promoted_at=7)
    in_turn["w"] = dataclasses.replace(out["w"], promoted_at=6)
    assert opening_rush.waiting_list_breaches(waiting, in_turn) == ([], 0, 0)


@pytest.mark.parametrize(
    "booking_settings", [{}, {"group_commit": False}], indirect=True, ids=["grouped", "direct"]
)
async def test_validations_of_two_processes_racing_cancellations_keep_arrival_order(
    town: Town, aiohttp_client: Any
) -> None:
    """The opening rush in small, at the moment the days fill: validations through two
    service processes on the same database, sent at once with cancellations of confirmed days,
    so that places are freed while the waiting list forms, and sometimes while nobody
    waits."""
    activity = await town.activity(type="VACANCES", capacity=8)
    kids = list(
        await asyncio.gather(
            *(town.enrolled_child(activity, first_name=f"Enfant{i}") for i in range(32))
        )
    )
    baskets = [
        await town.basket(kid, [{"activity_id": activity["id"], "dates": [MONDAY, TUESDAY]}])
        for kid in kids
    ]
    other = await aiohttp_client(create_app(town.settings))  # a second service process
    other.app[CLOCK].fixed = town.client.app[CLOCK].fixed
    assert other.app[POOL] is not town.pool
    clients = [town.client, other]

    async def validate(i: int, *, then_cancel: bool) -> list[dict[str, Any]]:
        kid, basket, client = kids[i], baskets[i], clients[i % 2]
        headers = town.family(kid["household_id"])
        r = await client.post(
            f"/tenants/{TENANT}/baskets/{basket['id']}/validate", json={}, headers=headers
        )
        assert r.status == 200, await r.text()
        lines = (await r.json())["lines"]
        taken = [x for x in lines if x["outcome"] == "confirmed"]
        if then_cancel and taken:
            await cancel_through(i + 1, i, taken[0]["booking_id"])
        return lines

    async def cancel_through(process: int, i: int, booking_id: str) -> None:
        r = await clients[process % 2].post(
            f"/tenants/{TENANT}/bookings/{booking_id}/cancel",
            json={},
            headers=town.family(kids[i]["household_id"]),
        )
        assert r.status == 200, await r.text()

    # The first eight fill both days.
    first = [await validate(i, then_cancel=False) for i in range(8)]
    assert all(x["outcome"] == "confirmed" for lines in first for x in lines)
    # Four more wait; then, at once, six of the first cancel Monday while the others
    # validate (a third of them cancelling a confirmed day as soon as they have their
    # answer): the first cancellations promote the four, the next ones free places that
    # the next to arrive take (or promote them, if they came first).
    monday = {
        i: x["booking_id"] for i, lines in enumerate(first) for x in lines if x["date"] == MONDAY
    }
    waiting = await asyncio.gather(*(validate(i, then_cancel=False) for i in range(8, 12)))
    assert all(x["outcome"] == "waiting_list" for lines in waiting for x in lines)
    work: list[Any] = [cancel_through(i, i, monday[i]) for i in range(6)]
    work += [validate(i, then_cancel=i % 3 == 0) for i in range(12, len(kids))]
    done = await asyncio.gather(*work)
    answers = first + waiting + [x for x in done if x is not None]

    rows = await facts(town, activity)
    assert breaches(rows) == []
    # Every answer is what the rows say was decided at validation.
    confirmed_at = {str(r["id"]): r["confirmed_at"] for r in rows}
    for lines in answers:
        for x in lines:
            assert (confirmed_at[x["booking_id"]] is not None) == (x["outcome"] == "confirmed")
    # More children than places: every day full, the counters as the rows.
    counters = await town.pool.fetch(
        "SELECT d.day, d.booked, (SELECT count(*) FROM bookings b WHERE b.activity_id ="
        " d.activity_id AND b.day = d.day AND b.status = 'booked') AS rows FROM activity_days d"
        " WHERE d.activity_id = $1 AND d.day = ANY($2::date[])",
        uuid.UUID(activity["id"]),
        [r["day"] for r in rows],
    )
    assert [(r["booked"], r["rows"]) for r in counters] == [(8, 8)] * 2
    # The benchmark's check agrees.
    opening_rush = bench()
    stored = await opening_rush.stored_lines(town.pool, [activity["id"]], town.settings.schema)
    for day in (MONDAY, TUESDAY):
        day_lines = [
            opening_rush.Line(x["booking_id"], activity["id"], day, x["outcome"], 0.0, 0.0)
            for lines in answers
            for x in lines
            if x["date"] == day
        ]
        found, _, out_of_turn = opening_rush.waiting_list_breaches(day_lines, stored)
        assert (found, out_of_turn) == ([], 0)
