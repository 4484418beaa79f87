"""A family account linked to its households: with the subscriber code the town's letter
gives (a few wrong codes per quarter hour), or by staff (HouseholdLinked either way). An
account may be linked to several households (a guardian of two households): its token names
the current one."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from family import store
from family.domain import codes, subscriptions, throttle
from family.domain.errors import (
    InvalidField,
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
    """Link an account (not linked to it yet) to the household (HouseholdLinked)."""
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
    """The household the family account is on (NotLinked when linked to none): `claimed`,
    the household its token names, must be one of the account's (WrongHousehold); without
    a claim, its only household, or the first linked of several."""
    linked = await store.households_of_account(pool, tenant, account_id)
    if not linked:
        raise NotLinked()
    if not claimed:
        return linked[0]
    for household_id in linked:
        if claimed == str(household_id):
            return household_id
    raise WrongHousehold()


async def account_households(
    pool: asyncpg.Pool, tenant: str, account_id: uuid.UUID, claimed: str | None
) -> list[dict[str, Any]]:
    """The account's households for its switcher ("Mes abonnements"), each named by its
    guardians, with its children's first names and whether it is the current one (the
    one its token names; without a claim, the one `linked_household` gives)."""
    rows = await store.account_households(pool, tenant, account_id)
    current = claimed or (str(rows[0]["id"]) if rows else None)
    return [
        {
            "id": r["id"],
            "label": subscriptions.household_label(r["guardian_last_names"]),
            "children": list(r["children"]),
            "linked_at": r["linked_at"],
            "current": str(r["id"]) == current,
        }
        for r in rows
    ]


async def link_with_code(
    uow: UnitOfWork, actor: Actor, typed: str, policy: throttle.LinkPolicy
) -> tuple[uuid.UUID, bool]:
    """A family links its account with its subscriber code; returns the household's id and
    whether the account has other households too (a subscription added to them).
    A wrong code counts (it is recorded, then WrongCode); past the policy's tries,
    TooManyWrongCodes until enough failures leave the window."""
    now = utcnow()
    household: dict[str, Any] | None = None
    others = False
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
            # Another household's code adds a subscription; the same code again, nothing.
            linked = await store.households_of_account(uow.conn, actor.tenant, actor.account_id)
            others = any(h != household["id"] for h in linked)
            if household["id"] not in linked:
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
    return household["id"], others


async def link_account(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, account_id: uuid.UUID
) -> tuple[dict[str, Any], bool]:
    """Staff link a family account to the household; returns the file and whether the
    link is new (an account already linked to it stays so; one linked to other households
    gets this one too). Family knows accounts only by their links: one linked in another
    tenant is refused (422 naming account_id); one never linked cannot be told apart (identity
    ignores a link to an account of another tenant)."""
    async with uow:
        if await store.account_of_another_tenant(uow.conn, actor.tenant, account_id):
            raise InvalidField("account_id", "Ce compte n'existe pas.")
        await store.lock(uow.conn, f"link:{actor.tenant}:{account_id}")
        linked = await store.households_of_account(uow.conn, actor.tenant, account_id)
        created = household_id not in linked
        if created:
            await link(uow, actor.tenant, account_id, household_id, linked_by="staff", now=utcnow())
        return await household_file(uow.conn, actor.tenant, household_id), created
