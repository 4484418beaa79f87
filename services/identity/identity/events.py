"""Handlers of the events the identity service consumes, one per event type."""

from __future__ import annotations

from identity.usecases import households
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def on_household_linked(ctx: HandlerContext, event: Event) -> None:
    """The family service linked an account to a household: the next tokens carry it."""
    await households.link_household(
        UnitOfWork.for_event(ctx, tenant=event.tenant_id),
        event.tenant_id,
        event.payload["account_id"],
        event.payload["household_id"],
    )


async def on_household_anonymised(ctx: HandlerContext, event: Event) -> None:
    """A household was anonymised: its accounts lose it, their sessions end."""
    await households.forget_household(
        UnitOfWork.for_event(ctx, tenant=event.tenant_id),
        event.tenant_id,
        event.payload["household_id"],
        event.payload.get("deletion_request_id"),
    )


HANDLERS: dict[str, EventHandler] = {
    "family.HouseholdLinked": on_household_linked,
    "family.HouseholdAnonymised": on_household_anonymised,
}
