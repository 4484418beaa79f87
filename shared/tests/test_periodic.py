"""The periodic jobs' loop: a failing round is logged and tried again, a busy round is followed
at once when asked, a pause of 0 runs nothing in the background, and the app's stop ends it."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from aiohttp import web

from shared.periodic import Job, periodic_jobs


def _context(jobs: list[Job], pause: float, *, busy_again: bool = False):
    return contextlib.asynccontextmanager(
        periodic_jobs("test-jobs", jobs, lambda _app: pause, busy_again=busy_again)
    )


async def test_a_failing_round_does_not_stop_the_loop_nor_the_other_jobs() -> None:
    rounds: list[str] = []
    third = asyncio.Event()

    async def flaky(_app: web.Application) -> int:
        rounds.append("flaky")
        if rounds.count("flaky") == 1:
            raise RuntimeError("database gone for a moment")
        if rounds.count("flaky") == 3:
            third.set()
        return 1

    async def steady(_app: web.Application) -> int:
        rounds.append("steady")
        return 0

    async with _context([Job("flaky", flaky), Job("steady", steady)], 0.01)(web.Application()):
        await asyncio.wait_for(third.wait(), 5)
    assert rounds[:4] == ["flaky", "steady", "flaky", "steady"]


@pytest.mark.parametrize(("busy_again", "drained"), [(True, 5), (False, 1)])
async def test_a_backlog_drains_without_pausing_only_when_asked(
    busy_again: bool, drained: int
) -> None:
    backlog = 5

    async def drain(_app: web.Application) -> int:
        nonlocal backlog
        if backlog:
            backlog -= 1
            return 1
        return 0

    # A pause far longer than the test: only rounds following a busy one can run.
    async with _context([Job("drain", drain)], 60, busy_again=busy_again)(web.Application()):
        await asyncio.sleep(0.2)
    assert 5 - backlog == drained


async def test_no_background_rounds_with_a_pause_of_zero_and_none_after_the_stop() -> None:
    calls = 0
    twice = asyncio.Event()

    async def job(_app: web.Application) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            twice.set()
        return 0

    async with _context([Job("job", job)], 0)(web.Application()):
        await asyncio.sleep(0.05)
    assert calls == 0

    async with _context([Job("job", job)], 0.01)(web.Application()):
        await asyncio.wait_for(twice.wait(), 5)
    stopped_at = calls
    await asyncio.sleep(0.05)
    assert calls == stopped_at


async def test_a_round_in_flight_finishes_before_the_stop() -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(_app: web.Application) -> int:
        started.set()
        await asyncio.sleep(0.2)  # a transaction under way
        finished.set()
        return 1

    async with _context([Job("slow", slow)], 60)(web.Application()):
        await asyncio.wait_for(started.wait(), 5)
    assert finished.is_set()  # not cancelled halfway
