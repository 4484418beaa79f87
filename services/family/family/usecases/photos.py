"""Children's photos: staff put or remove one at once (a family proposes it: see
`changes.propose_photo`); staff and the child's own family get it back."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

import asyncpg

from family import store
from family.domain.errors import ChangeNotFound, NoPhoto, NoProposedPhoto
from family.usecases import Actor, File, utcnow
from family.usecases.members import child
from shared import files
from shared.uow import UnitOfWork


async def put_photo(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
) -> dict[str, Any]:
    """The child's photo (replacing any); `data`: content_type (already read from the
    content) and content."""
    await child(uow.conn, actor.tenant, household_id, child_id)
    content = data["content"]
    row = await store.put_photo(
        uow.conn,
        tenant=actor.tenant,
        household_id=household_id,
        child_id=child_id,
        content_type=data["content_type"],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        updated_by=actor.account_id,
        now=now,
    )
    await store.touch_household(uow.conn, household_id, now)
    return row


async def remove_photo(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, child_id: uuid.UUID, *, now: datetime
) -> bool:
    """False when the child had no photo."""
    await child(uow.conn, actor.tenant, household_id, child_id)
    deleted = await store.delete_photo(uow.conn, actor.tenant, child_id)
    if deleted:
        await store.touch_household(uow.conn, household_id, now)
    return deleted


async def replace_photo(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    child_id: uuid.UUID,
    *,
    content_type: str,
    content: bytes,
) -> dict[str, Any]:
    """Staff put a child's photo, applied at once; returns its description."""
    async with uow:
        return await put_photo(
            uow,
            actor,
            household_id,
            child_id,
            {"content_type": content_type, "content": content},
            now=utcnow(),
        )


async def delete_photo(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, child_id: uuid.UUID
) -> None:
    """Staff remove a child's photo, at once (NoPhoto when there is none)."""
    async with uow:
        if not await remove_photo(uow, actor, household_id, child_id, now=utcnow()):
            raise NoPhoto()


async def child_photo(
    pool: asyncpg.Pool, tenant: str, household_id: uuid.UUID, child_id: uuid.UUID
) -> File:
    """The child's photo, named after the child."""
    async with pool.acquire() as conn:
        row = await child(conn, tenant, household_id, child_id)
        photo = await store.get_photo(conn, tenant, child_id, content=True)
    if photo is None:
        raise NoPhoto()
    name = files.clean_filename(f"photo {row['first_name']}", photo["content_type"])
    return File(name, photo["content_type"], photo["content"], sha256=photo["sha256"])


async def proposed_photo(
    pool: asyncpg.Pool, tenant: str, change_id: uuid.UUID, household_id: uuid.UUID | None
) -> File:
    """The image a family proposed, while its change waits (`household_id`: the family's
    own household only; None: staff, any of the tenant)."""
    change = await store.get_change(pool, tenant, change_id)
    if household_id is not None and change is not None and change["household_id"] != household_id:
        change = None
    if change is None or change["entity"] != "photo":
        raise ChangeNotFound()
    content = await store.pending_photo(pool, change["id"])
    if content is None:
        raise NoProposedPhoto()
    content_type = change["proposed"]["content_type"]
    return File(files.clean_filename("photo proposée", content_type), content_type, content)
