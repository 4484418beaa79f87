"""A service's periodic jobs run in the background of each process: every pause, each job
does one round (`Job.run(app)` says how many things it did). Several processes may run them:
every job is written so that what one process did is no longer to do for the others (each
re-reads, under lock, the rows it changes); a failed round is logged and tried again next
time, it never stops the loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from aiohttp import web

from shared.logging import get_logger

log = get_logger(__name__)

# How long a stopping service waits for a round in flight before cancelling it.
STOP_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class Job:
    """A periodic job: `run(app)` does one round and says how many things it did."""

    name: str
    run: Callable[[web.Application], Awaitable[int]]


async def _loop(
    app: web.Application,
    jobs: Sequence[Job],
    pause: float,
    stop: asyncio.Event,
    busy_again: bool,
) -> None:
    while not stop.is_set():
        busy = False
        for job in jobs:
            if stop.is_set():
                break
            try:
                done = await job.run(app)
                if done:
                    busy = True
                    log.info(job.name, count=done)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A cancellation landing mid-query may come back as another error (the
                # rollback of a busy connection): `stop` ends the loop all the same.
                if stop.is_set():
                    break
                log.warning("periodic_job_failed", job=job.name, error=repr(exc))
        if busy and busy_again:
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)


def periodic_jobs(
    name: str,
    jobs: Sequence[Job],
    pause: Callable[[web.Application], float],
    *,
    busy_again: bool = False,
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An app context running `jobs` every `pause(app)` seconds until the app stops (a pause
    of 0 or less: not in the background, the service's command runs them). `busy_again`: a
    round that did something is followed at once by the next (a backlog drains at full
    speed, an idle service waits its pause)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        seconds = pause(app)
        if seconds <= 0:
            yield
            return
        stop = asyncio.Event()
        task = asyncio.create_task(_loop(app, jobs, seconds, stop, busy_again), name=name)
        yield
        stop.set()
        # The round in flight finishes (its transaction commits or rolls back on its own);
        # cancelled mid-transaction, its connection would go back to a closing pool dirty.
        await asyncio.wait({task}, timeout=STOP_GRACE_SECONDS)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context
