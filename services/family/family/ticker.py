"""The family service's ticker: every `ONBOARDING_TICK_SECONDS` it asks identity for the next
queued invitations of the onboarding runs, at the onboarding pace
(`usecases.onboarding.release_queued`). Every process may run it: a release holds its lock
and the rows it asks for, so the pace holds across processes; what a stopped process left
queued, the next tick of any process asks for."""

from __future__ import annotations

from aiohttp import web

from family.settings import SETTINGS
from family.usecases import onboarding
from shared.periodic import Job, periodic_jobs
from shared.uow import unit_of_work


async def _release_invitations(app: web.Application) -> int:
    return await onboarding.release_queued(unit_of_work(app), app[SETTINGS].onboarding_pace())


onboarding_ticker = periodic_jobs(
    "onboarding-ticker",
    [Job("onboarding_invitations_asked", _release_invitations)],
    lambda app: app[SETTINGS].onboarding_pace().tick.total_seconds(),
)
