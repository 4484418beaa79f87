"""Handlers of the events the family service consumes, one per event type."""

from __future__ import annotations

from family.usecases import onboarding
from shared import tenant_features
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event
from shared.uow import UnitOfWork


async def on_guardian_invitation_answered(ctx: HandlerContext, event: Event) -> None:
    """identity invited a guardian of an onboarding run (or could not): the run learns it."""
    await onboarding.record_answer(
        UnitOfWork.for_event(ctx, tenant=event.tenant_id), event.tenant_id, event.payload
    )


HANDLERS: dict[str, EventHandler] = {
    "identity.GuardianInvitationAnswered": on_guardian_invitation_answered,
    "identity.TenantFeaturesChanged": tenant_features.on_tenant_features_changed,
}
