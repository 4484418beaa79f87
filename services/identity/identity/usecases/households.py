"""The households an account belongs to, as the family service tells us, and the current
one its tokens carry (the first linked, then the one it switches to); an anonymised
household is forgotten, and never linked again."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from identity import store
from identity.domain.errors import NotYourHousehold
from identity.state import IdentityState, utcnow
from identity.usecases.audit import Origin
from identity.usecases.profile import own_account
from identity.usecases.sessions import issue_tokens
from identity.usecases.tenants import require_tenant
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


async def link_household(
    uow: UnitOfWork, tenant: str, account_id: uuid.UUID, household_id: uuid.UUID
) -> None:
    async with uow:
        await store.lock_household(uow.conn, tenant, household_id)
        if await store.is_household_anonymised(uow.conn, tenant, household_id):
            # A late or redelivered link to a household since anonymised: never link it again.
            log.warning(
                "household_link_to_anonymised_household",
                account_id=str(account_id),
                household_id=str(household_id),
            )
            return
        linked = await store.link_household(uow.conn, tenant, account_id, household_id)
        if not linked:
            # Not an account of that tenant (deleted, or a producer bug): retrying cannot help.
            log.warning("household_link_unknown_account", account_id=str(account_id))


async def forget_household(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, deletion_request_id: uuid.UUID | None
) -> None:
    """A household was anonymised (deletion request): its accounts lose it and their sessions
    end, so that no new token carries it (the family logs in again). Remembered, so that a
    late link to it is ignored. Safe to run again.

    Every account linked to it loses it, whichever accounts the event lists; those whose
    current household it was move to another of theirs (or none), and only their sessions
    end: the others' tokens name another household.
    """
    now = utcnow()
    async with uow:
        await store.lock_household(uow.conn, tenant, household_id)
        recorded = await store.record_anonymised_household(
            uow.conn, tenant, household_id, deletion_request_id, now=now
        )
        unlinked, current = await store.unlink_household(uow.conn, tenant, household_id, now=now)
        if not recorded and not unlinked:
            return  # already done
        revoked = await store.revoke_sessions_of(uow.conn, current, now=now) if current else 0
        details = {
            "household_id": str(household_id),
            "deletion_request_id": str(deletion_request_id) if deletion_request_id else None,
        }
        entries = [
            store.AuditEntry(tenant, "household_anonymised", account_id=account_id, details=details)
            for account_id in unlinked
        ] or [store.AuditEntry(tenant, "household_anonymised", details=details)]
        await store.audit(uow.conn, *entries)
    log.info(
        "household_anonymised",
        household_id=str(household_id),
        accounts_unlinked=len(unlinked),
        refresh_tokens_revoked=revoked,
    )


async def switch_household(
    uow: UnitOfWork,
    pool: asyncpg.Pool,
    state: IdentityState,
    slug: str,
    account_id: uuid.UUID,
    household_id: uuid.UUID,
    *,
    origin: Origin,
) -> dict[str, Any]:
    """The account's current household becomes another of its households (else
    NotYourHousehold): a new session whose tokens carry it; a refresh token in hand gives
    it too from now on."""
    tenant = await require_tenant(pool, slug)
    account = await own_account(pool, slug, account_id)
    now = utcnow()
    async with uow:
        # Serialised with the household's anonymisation, which moves its accounts away.
        await store.lock_household(uow.conn, slug, household_id)
        if not await store.set_current_household(uow.conn, slug, account.id, household_id):
            raise NotYourHousehold(
                errors=[{"field": "household_id", "detail": NotYourHousehold.detail}]
            )
        await store.audit(
            uow.conn,
            origin.entry(
                slug,
                "household_switched",
                account_id=account.id,
                details={
                    "household_id": str(household_id),
                    "previous_household_id": str(account.household_id)
                    if account.household_id
                    else None,
                },
            ),
        )
        account = await store.get_account(uow.conn, slug, account.id)
        assert account is not None
        return await issue_tokens(uow.conn, state, tenant, account, now=now)
