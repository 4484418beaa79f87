"""Onboarding invitations are asked for at a pace: each is an email, and a town's thousands of
families must not reach the mail server at once. Here 3 a minute, released every 0.1 s: the
first one at once, the next two by the ticker, then nothing until the minute has passed;
the run shows how many wait their turn; none is asked for twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from family.settings import FamilySettings
from shared.testing.bus import EventTap
from shared.testing.plugin import AMQP_URL

REQUESTED = "family.GuardianInvitationRequested"


@pytest.fixture
def family_settings(make_settings: Callable[..., Any]) -> FamilySettings:
    return make_settings(
        FamilySettings, onboarding_invitations_per_minute=3, onboarding_tick_seconds=0.1
    )


@pytest.fixture
async def requests(bus_namespace: Any) -> AsyncIterator[EventTap]:
    async with EventTap(AMQP_URL, bus_namespace.name, [REQUESTED]) as tap:
        yield tap


async def asked(town: Any) -> int:
    return await town.pool.fetchval(
        "SELECT count(*) FROM onboarding_guardians WHERE requested_at IS NOT NULL"
    )


async def a_minute_later(town: Any) -> None:
    await town.pool.execute(
        "UPDATE onboarding_guardians SET requested_at = requested_at - interval '61 seconds'"
        " WHERE requested_at IS NOT NULL"
    )


async def test_invitations_are_asked_for_at_the_pace_each_once(
    town: Any, requests: EventTap
) -> None:
    staff = town.staff()
    households = [
        await town.household(
            guardians=[town.guardian(first, "Martin"), town.guardian(first, "Durand")]
        )
        for first in ("Anne", "Bruno", "Chloé")
    ]
    run = await town.call(
        "POST",
        "/tenants/epagny/onboarding-runs",
        staff,
        {"household_ids": [h["id"] for h in households]},
        status=201,
    )
    # 3 a minute over ticks of 0.1 s: one a tick; the first asked for with the run itself.
    assert (run["total"], run["pending"], run["queued"]) == (6, 6, 5)
    assert [g["requested_at"] is not None for g in run["guardians"]] == [True] + [False] * 5

    # The ticker asks for the next two, then the minute is full.
    await requests.wait_for(3, event_type=REQUESTED)
    await asyncio.sleep(0.5)
    assert await asked(town) == 3
    assert len(requests.of_type(REQUESTED)) == 3
    progress = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    assert (progress["pending"], progress["queued"], progress["done"]) == (6, 3, False)
    (summary,) = (await town.call("GET", "/tenants/epagny/onboarding-runs", staff))["items"]
    assert (summary["pending"], summary["queued"]) == (6, 3)

    # A minute later, the rest, in the run's order.
    await a_minute_later(town)
    events = await requests.wait_for(6, event_type=REQUESTED)
    names = [e["payload"]["display_name"] for e in events]
    assert names == [g["name"] for g in run["guardians"]]
    await asyncio.sleep(0.3)
    assert Counter(e["payload"]["guardian_id"] for e in requests.of_type(REQUESTED)) == {
        g["guardian_id"]: 1 for g in run["guardians"]
    }
    progress = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    assert progress["queued"] == 0

    # Resumed with no answer yet: the six go back to the queue, asked for again at the pace
    # (identity answers a guardian once: no second email).
    resumed = await town.call("POST", f"/tenants/epagny/onboarding-runs/{run['id']}/resume", staff)
    assert (resumed["pending"], resumed["queued"]) == (6, 6)  # the minute is full again
    await a_minute_later(town)
    await requests.wait_for(9, event_type=REQUESTED)
    await asyncio.sleep(0.5)
    assert len(requests.of_type(REQUESTED)) == 9
    progress = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    assert progress["queued"] == 3


async def test_a_household_anonymised_while_its_guardians_wait_is_not_invited(
    town: Any, requests: EventTap
) -> None:
    staff = town.staff()
    first = await town.household(
        guardians=[town.guardian("Anne", "Martin"), town.guardian("Paul", "Martin")]
    )
    second = await town.household(
        guardians=[town.guardian("Zoé", "Durand"), town.guardian("Marc", "Durand")]
    )
    run = await town.call(
        "POST",
        "/tenants/epagny/onboarding-runs",
        staff,
        {"household_ids": [first["id"], second["id"]]},
        status=201,
    )
    await requests.wait_for(3, event_type=REQUESTED)  # the minute is full; Marc waits
    family = await town.linked_family(second)
    me = "/tenants/epagny/me/household"
    asked = await town.call(
        "POST", f"{me}/deletion-request", family, {"message": "Nous partons."}, status=202
    )
    await town.call(
        "POST", f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", staff, status=200
    )
    report = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    waiting = report["guardians"][3]
    assert (waiting["state"], waiting["reason"], waiting["email"]) == (
        "skipped",
        "household_anonymised",
        None,
    )
    assert report["queued"] == 0
    await a_minute_later(town)
    await asyncio.sleep(0.5)
    assert len(requests.of_type(REQUESTED)) == 3
