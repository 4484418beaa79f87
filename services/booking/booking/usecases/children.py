"""The children and documents booking knows, from the family service's events, and who may
act for a child."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booking import store
from booking.domain.actors import Actor
from booking.domain.errors import ChildNotFound
from booking.domain.names import SEARCH_LIMIT, search_words
from shared.uow import UnitOfWork


async def child_for(
    conn: store.Conn, tenant: str, actor: Actor, child_id: uuid.UUID
) -> dict[str, Any]:
    """The child, when the actor may act for it (staff: any child of the tenant); another
    household's child is not found: not even its existence is told."""
    child = await store.get_child(conn, tenant, child_id)
    if child is None or not actor.may_act_for(child["household_id"]):
        raise ChildNotFound()
    return child


async def child_changed(
    uow: UnitOfWork, tenant: str, child: dict[str, Any], occurred_at: datetime
) -> None:
    """A child registered or updated: kept as the event says; an older event arriving after
    a newer one changes nothing."""
    async with uow:
        await store.upsert_child(uow.conn, tenant, child, occurred_at)


async def document_decided(
    uow: UnitOfWork, tenant: str, document: dict[str, Any], status: str, occurred_at: datetime
) -> None:
    """A supporting document uploaded (waiting), validated or rejected (with its label, shown
    when a document an enrollment requires is missing); a later event wins."""
    async with uow:
        await store.upsert_document(uow.conn, tenant, document, status, occurred_at)


async def household_anonymised(
    uow: UnitOfWork, tenant: str, household_id: uuid.UUID, occurred_at: datetime
) -> None:
    """The household asked to be forgotten: its children's names and personal details go,
    their bookings stay (occupancy, meals and billing counts)."""
    async with uow:
        await store.anonymise_household(uow.conn, tenant, household_id, occurred_at)


async def search_children(conn: store.Conn, tenant: str, query: str) -> list[dict[str, Any]]:
    """Children of the tenant whose name holds every word of the query (accents ignored), to
    add one present without a booking; nothing for a blank query."""
    words = search_words(query)
    if not words:
        return []
    return await store.search_children(conn, tenant, words, SEARCH_LIMIT)
