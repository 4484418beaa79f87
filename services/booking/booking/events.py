"""Handlers of the events booking consumes: the children and documents read models from the
family service."""

from __future__ import annotations

from booking import store
from shared.events.consumer import EventHandler, HandlerContext
from shared.events.envelope import Event


async def child_changed(ctx: HandlerContext, event: Event) -> None:
    """Upsert the child; an older event arriving after a newer one changes nothing."""
    await store.upsert_child(ctx.conn, event.tenant_id, event.payload, event.occurred_at)


async def document_validated(ctx: HandlerContext, event: Event) -> None:
    await store.upsert_document(
        ctx.conn, event.tenant_id, event.payload, "valid", event.occurred_at
    )


async def document_rejected(ctx: HandlerContext, event: Event) -> None:
    await store.upsert_document(
        ctx.conn, event.tenant_id, event.payload, "rejected", event.occurred_at
    )


HANDLERS: dict[str, EventHandler] = {
    "family.ChildRegistered": child_changed,
    "family.ChildUpdated": child_changed,
    "family.DocumentValidated": document_validated,
    "family.DocumentRejected": document_rejected,
}
