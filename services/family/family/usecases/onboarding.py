"""Onboarding runs: staff invite the guardians of imported households in one action. The
run records every guardian (pending, or skipped with the reason) and asks identity, through
the outbox, for one invitation per pending guardian (GuardianInvitationRequested); identity
creates the account already linked to the household and emails the invitation, then answers
(GuardianInvitationAnswered), which moves the guardian to invited (the account linked here
too: HouseholdLinked) or skipped (email used by another account). Each request is an email:
the pending guardians are queued and asked for at the onboarding pace (so many a minute,
all towns together), the first ones at once, the others by the service's ticker
(`release_queued`), which carries on after a restart. Never twice: a guardian pending or
invited in a run is left out of the next ones; resuming a run queues again its guardians
asked for and not answered, and identity answers a guardian once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain import onboarding
from family.domain.errors import InvalidField, OnboardingRunNotFound
from family.usecases import Actor, utcnow
from family.usecases.linking import link
from shared.uow import UnitOfWork


async def start_run(
    uow: UnitOfWork,
    actor: Actor,
    household_ids: list[uuid.UUID] | None,
    pace: onboarding.Pace,
) -> dict[str, Any]:
    """A run for the guardians of these households (None: every household without a linked
    account, whose guardians were not invited yet); the first ones asked for at once."""
    now = utcnow()
    run_id = uuid.uuid4()
    async with uow:
        # One run started at a time per tenant: two at once cannot both ask for a guardian.
        await store.lock(uow.conn, f"onboarding:{actor.tenant}")
        if household_ids is not None:
            household_ids = list(dict.fromkeys(household_ids))
            unknown = await store.unknown_households(uow.conn, actor.tenant, household_ids)
            if unknown:
                raise InvalidField(
                    "household_ids",
                    f"Foyer(s) inconnu(s) : {', '.join(str(i) for i in unknown[:5])}.",
                )
        found = await store.guardians_to_onboard(uow.conn, actor.tenant, household_ids)
        if household_ids is None:
            found = [g for g in found if not g["already_invited"]]
        if not found:
            raise InvalidField(
                "household_ids" if household_ids is not None else "all",
                "Aucun responsable à inviter : les familles importées ont déjà toutes été "
                "invitées.",
            )
        planned = onboarding.plan(found)
        await store.insert_onboarding_run(
            uow.conn, actor.tenant, run_id, actor.account_id, planned, now=now
        )
        await _release(uow, pace, now)
        return await get_run(uow.conn, actor.tenant, run_id)


async def resume_run(
    uow: UnitOfWork, actor: Actor, run_id: uuid.UUID, pace: onboarding.Pace
) -> dict[str, Any]:
    """Ask identity again, at the pace, for the guardians asked for and still pending (none
    answered twice, none emailed twice: identity answers a guardian once); those still
    queued keep their place."""
    now = utcnow()
    async with uow:
        if not await store.lock_onboarding_run(uow.conn, actor.tenant, run_id):
            raise OnboardingRunNotFound()
        await store.requeue_onboarding_run(uow.conn, run_id)
        await _release(uow, pace, now)
        return await get_run(uow.conn, actor.tenant, run_id)


async def release_queued(uow: UnitOfWork, pace: onboarding.Pace) -> int:
    """One tick of the onboarding pace: ask for the next queued guardians (of any town) the
    last minute leaves room for; returns how many."""
    async with uow:
        return await _release(uow, pace, utcnow())


async def _release(uow: UnitOfWork, pace: onboarding.Pace, now: datetime) -> int:
    # One release at a time (every process ticks): the minute's count stays true.
    await store.lock(uow.conn, "onboarding:release")
    asked = await store.onboarding_asked_since(uow.conn, now - pace.window)
    room = pace.releasable(asked)
    if room == 0:
        return 0
    guardians = await store.queued_onboarding_guardians(uow.conn, room)
    for guardian in guardians:
        uow.emit(
            "family.GuardianInvitationRequested",
            {
                "run_id": guardian["run_id"],
                "household_id": guardian["household_id"],
                "guardian_id": guardian["guardian_id"],
                "email": guardian["email"],
                "display_name": guardian["name"],
                "requested_by": guardian["requested_by"],
            },
            tenant=guardian["tenant"],
        )
    if guardians:
        await store.mark_onboarding_asked(uow.conn, guardians, now=now)
    return len(guardians)


async def record_answer(uow: UnitOfWork, tenant: str, answer: dict[str, Any]) -> None:
    """identity's answer for a guardian: invited (the account linked to the household here
    too, unless it is linked already) or skipped with the reason. An answer for a guardian
    answered already changes nothing."""
    invited = answer["outcome"] == "invited"
    async with uow:
        row = await store.answer_onboarding_guardian(
            uow.conn,
            tenant,
            answer["run_id"],
            answer["guardian_id"],
            state="invited" if invited else "skipped",
            reason=None if invited else answer["outcome"],
            account_id=answer["account_id"],
            now=utcnow(),
        )
        if row is None or not invited:
            return
        account_id = answer["account_id"]
        await store.lock(uow.conn, f"link:{tenant}:{account_id}")
        # An account linked to other households gets this one too (several subscriptions).
        if row["household_id"] not in await store.households_of_account(
            uow.conn, tenant, account_id
        ):
            await link(
                uow, tenant, account_id, row["household_id"], linked_by="staff", now=utcnow()
            )


async def get_run(
    pool: asyncpg.Pool | asyncpg.Connection, tenant: str, run_id: uuid.UUID
) -> dict[str, Any]:
    """The run: its counts, the reasons of the guardians skipped, and every guardian."""
    run = await store.onboarding_run(pool, tenant, run_id)
    if run is None:
        raise OnboardingRunNotFound()
    guardians = await store.onboarding_guardians(pool, run_id)
    states = Counter(g["state"] for g in guardians)
    for g in guardians:
        g["reason_label"] = onboarding.REASONS.get(g["reason"]) if g["reason"] else None
    return {
        **run,
        "total": len(guardians),
        "pending": states["pending"],
        "queued": sum(1 for g in guardians if g["state"] == "pending" and g["queued"]),
        "invited": states["invited"],
        "skipped": states["skipped"],
        "done": states["pending"] == 0,
        "skipped_by_reason": dict(Counter(g["reason"] for g in guardians if g["reason"])),
        "guardians": guardians,
    }


async def list_runs(pool: asyncpg.Pool, tenant: str, *, page: int, per_page: int) -> dict[str, Any]:
    items, total = await store.onboarding_runs(
        pool, tenant, limit=per_page, offset=(page - 1) * per_page
    )
    for item in items:
        item["done"] = item["pending"] == 0
    return {"items": items, "total": total, "page": page, "per_page": per_page}
