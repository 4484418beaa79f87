"""The household an account belongs to, as the family service tells us: the next tokens
carry it; an anonymised household is forgotten, and never linked again."""

from __future__ import annotations

import uuid

from identity import store
from identity.state import utcnow
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

    Accounts are unlinked when their household is this one, whichever accounts the event
    lists; a listed account linked meanwhile to another household keeps that one.
    """
    now = utcnow()
    async with uow:
        await store.lock_household(uow.conn, tenant, household_id)
        recorded = await store.record_anonymised_household(
            uow.conn, tenant, household_id, deletion_request_id, now=now
        )
        unlinked = await store.unlink_household(uow.conn, tenant, household_id, now=now)
        if not recorded and not unlinked:
            return  # already done
        revoked = await store.revoke_sessions_of(uow.conn, unlinked, now=now) if unlinked else 0
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
