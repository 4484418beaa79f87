"""Handlers of the events the identity service consumes."""

from __future__ import annotations

from identity import store
from identity.runtime import utcnow
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def on_household_linked(ctx: HandlerContext, event: Event) -> None:
    """The family service linked an account to a household: the next tokens carry it."""
    tenant = event.tenant_id
    household_id = event.payload["household_id"]
    account_id = event.payload["account_id"]
    await store.lock_household(ctx.conn, tenant, household_id)
    if await store.is_household_anonymised(ctx.conn, tenant, household_id):
        # A late or redelivered link to a household since anonymised: never link it again.
        log.warning(
            "household_link_to_anonymised_household",
            account_id=str(account_id),
            household_id=str(household_id),
        )
        return
    linked = await store.link_household(ctx.conn, tenant, account_id, household_id)
    if not linked:
        # Not an account of that tenant (deleted, or a producer bug): retrying cannot help.
        log.warning("household_link_unknown_account", account_id=str(account_id))


async def on_household_anonymised(ctx: HandlerContext, event: Event) -> None:
    """A household was anonymised (deletion request): its accounts lose it and their sessions
    end, so that no new token carries it (the family logs in again). Remembered, so that a
    late HouseholdLinked to it is ignored. Safe to run again.

    Accounts are unlinked when their household is this one, listed in account_ids or not; a
    listed account linked meanwhile to another household keeps that one.
    """
    tenant = event.tenant_id
    household_id = event.payload["household_id"]
    deletion_request_id = event.payload.get("deletion_request_id")
    now = utcnow()
    await store.lock_household(ctx.conn, tenant, household_id)
    recorded = await store.record_anonymised_household(
        ctx.conn, tenant, household_id, deletion_request_id, now=now
    )
    unlinked = await store.unlink_household(ctx.conn, tenant, household_id, now=now)
    if not recorded and not unlinked:
        return  # already done
    revoked = await store.revoke_sessions_of(ctx.conn, unlinked, now=now) if unlinked else 0
    details = {
        "household_id": str(household_id),
        "deletion_request_id": str(deletion_request_id) if deletion_request_id else None,
    }
    entries = [
        store.AuditEntry(tenant, "household_anonymised", account_id=account_id, details=details)
        for account_id in unlinked
    ] or [store.AuditEntry(tenant, "household_anonymised", details=details)]
    await store.audit(ctx.conn, *entries)
    log.info(
        "household_anonymised",
        household_id=str(household_id),
        accounts_unlinked=len(unlinked),
        refresh_tokens_revoked=revoked,
    )


HANDLERS = {
    "family.HouseholdLinked": on_household_linked,
    "family.HouseholdAnonymised": on_household_anonymised,
}
