"""Handlers of the events the identity service consumes."""

from __future__ import annotations

from identity import store
from shared.events.consumer import HandlerContext
from shared.events.envelope import Event
from shared.logging import get_logger

log = get_logger(__name__)


async def on_household_linked(ctx: HandlerContext, event: Event) -> None:
    """The family service linked an account to a household: the next tokens carry it."""
    linked = await store.link_household(
        ctx.conn, event.tenant_id, event.payload["account_id"], event.payload["household_id"]
    )
    if not linked:
        # Not an account of that tenant (deleted, or a producer bug): retrying cannot help.
        log.warning("household_link_unknown_account", account_id=str(event.payload["account_id"]))


HANDLERS = {"family.HouseholdLinked": on_household_linked}
