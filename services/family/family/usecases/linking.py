"""A family account linked to its household: with the subscriber code the town's letter
gives (a few wrong codes per quarter hour), or by staff (HouseholdLinked either way)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from family import store
from family.domain import codes, throttle
from family.domain.errors import (
    AlreadyLinked,
    NotLinked,
    TooManyWrongCodes,
    WrongCode,
    WrongHousehold,
)
from family.usecases import Actor, utcnow
from family.usecases.households import household_file
from shared.uow import UnitOfWork


async def link(
    uow: UnitOfWork,
    tenant: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID,
    *,
    linked_by: str,
    now: datetime,
) -> None:
    """Link an account (not linked yet) to the household (HouseholdLinked)."""
    await store.link_account(
        uow.conn,
        tenant=tenant,
        account_id=account_id,
        household_id=household_id,
        linked_by=linked_by,
        now=now,
    )
    uow.emit(
        "family.HouseholdLinked",
        {"household_id": household_id, "account_id": account_id, "linked_by": linked_by},
        tenant=tenant,
    )


async def linked_household(
    pool: asyncpg.Pool, tenant: str, account_id: uuid.UUID, claimed: str | None
) -> uuid.UUID:
    """The household the family account is linked to (NotLinked); `claimed`, the household
    its token names, if any, must be that one (WrongHousehold)."""
    household_id = await store.household_of_account(pool, tenant, account_id)
    if household_id is None:
        raise NotLinked()
    if claimed and claimed != str(household_id):
        raise WrongHousehold()
    return household_id


async def link_with_code(
    uow: UnitOfWork, actor: Actor, typed: str, policy: throttle.LinkPolicy
) -> uuid.UUID:
    """A family links its account with its subscriber code; returns the household's id.
    A wrong code counts (it is recorded, then WrongCode); past the policy's tries,
    TooManyWrongCodes until enough failures leave the window."""
    now = utcnow()
    household: dict[str, Any] | None = None
    async with uow:
        # One decision at a time per account: parallel guesses cannot pass the limit.
        await store.lock(uow.conn, f"link:{actor.tenant}:{actor.account_id}")
        failures = await store.link_failures(
            uow.conn, actor.tenant, actor.account_id, now - policy.window
        )
        decision = throttle.decide(failures, now=now, policy=policy)
        if not decision.allowed:
            minutes = max(1, round(decision.retry_after / timedelta(minutes=1)))
            raise TooManyWrongCodes(decision.retry_after_seconds, minutes)
        code = codes.normalise(typed)
        household = await store.household_by_code(uow.conn, actor.tenant, code) if code else None
        if household is None:
            await store.record_link_failure(
                uow.conn, actor.tenant, actor.account_id, now, prune_before=now - policy.window
            )
        else:
            current = await store.household_of_account(uow.conn, actor.tenant, actor.account_id)
            if current is not None and current != household["id"]:
                raise AlreadyLinked()
            if current is None:
                await link(
                    uow,
                    actor.tenant,
                    actor.account_id,
                    household["id"],
                    linked_by="subscriber_code",
                    now=now,
                )
    if household is None:  # raised after the commit: the failure must count
        raise WrongCode(errors=[{"field": "code", "detail": WrongCode.detail}])
    return household["id"]


async def link_account(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, account_id: uuid.UUID
) -> tuple[dict[str, Any], bool]:
    """Staff link a family account to the household; returns the file and whether the
    link is new (an account already linked to it stays so; to another: AlreadyLinked)."""
    async with uow:
        await store.lock(uow.conn, f"link:{actor.tenant}:{account_id}")
        current = await store.household_of_account(uow.conn, actor.tenant, account_id)
        if current is not None and current != household_id:
            raise AlreadyLinked("Ce compte est déjà rattaché à un autre foyer.")
        created = current is None
        if created:
            await link(uow, actor.tenant, account_id, household_id, linked_by="staff", now=utcnow())
        return await household_file(uow.conn, actor.tenant, household_id), created
