"""Handlers of the events the identity service consumes, one per event type."""

from __future__ import annotations

from identity.state import STATE
from identity.usecases import guardian_invitations, households
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


async def on_guardian_invitation_requested(ctx: HandlerContext, event: Event) -> None:
    """family's onboarding run: the guardian's account, already linked, invited once."""
    await guardian_invitations.invite_guardian(
        UnitOfWork.for_event(ctx, tenant=event.tenant_id),
        ctx.app[STATE].settings,
        event.tenant_id,
        event.payload,
    )


HANDLERS: dict[str, EventHandler] = {
    "family.HouseholdLinked": on_household_linked,
    "family.HouseholdAnonymised": on_household_anonymised,
    "family.GuardianInvitationRequested": on_guardian_invitation_requested,
}
