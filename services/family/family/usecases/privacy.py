"""A family's rights over its data: everything held about its household (export), and
deletion requests, which staff refuse (with a reason) or grant by anonymising the household
(HouseholdAnonymised: what identifies the family goes, ids and quotients stay)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from family import store
from family.domain.errors import DeletionAlreadyHandled, DeletionPending, DeletionRequestNotFound
from family.schemas import (
    AccessLogOut,
    ChangeOut,
    DeletionRequestOut,
    DocumentOut,
    HealthOut,
    HouseholdOut,
    QuotientOut,
    RequestOut,
)
from family.usecases import Actor, utcnow
from family.usecases.changes import change_body
from family.usecases.health_records import read_health
from family.usecases.households import household, household_file
from family.usecases.members import child_payload
from shared.uow import UnitOfWork
from shared.vault import Vault

# Everything of a household fits in one page of the export.
_ALL = 10_000


async def export(
    pool: asyncpg.Pool, vault: Vault, tenant: str, household_id: uuid.UUID
) -> dict[str, Any]:
    """Everything held about the household, as the family downloads it."""
    async with pool.acquire() as conn:
        file = HouseholdOut().dump(await household_file(conn, tenant, household_id))
        health = []
        for child in file["children"]:
            record = await read_health(conn, vault, tenant, household_id, uuid.UUID(child["id"]))
            if record is not None:
                health.append(HealthOut().dump(record))
        quotients = QuotientOut(many=True).dump(await store.quotients(conn, household_id))
        rows, _ = await store.list_changes(
            conn, tenant, status=None, household_id=household_id, limit=_ALL, offset=0
        )
        changes = [ChangeOut().dump(change_body(r, vault, reveal=True)) for r in rows]
        log = AccessLogOut().dump({"items": await store.health_access_log(conn, household_id)})[
            "items"
        ]
        documents, _ = await store.list_documents(
            conn,
            tenant,
            household_id=household_id,
            status=None,
            document_type=None,
            limit=_ALL,
            offset=0,
        )
        requests, _ = await store.list_requests(
            conn,
            tenant,
            household_id=household_id,
            status=None,
            topic=None,
            limit=_ALL,
            offset=0,
        )
        for row in requests:
            row["messages"] = await store.request_messages(conn, row["id"])
            for message in row["messages"]:
                message["attachment"] = (
                    {"filename": message["filename"], "size": message["size"]}
                    if message["filename"]
                    else None
                )
        deletions = await store.deletion_requests_of(conn, household_id)
    return {
        "household": file,
        "health_records": health,
        "quotients": quotients,
        "changes": changes,
        "health_access_log": log,
        "documents": DocumentOut(many=True).dump(documents),
        "requests": RequestOut(many=True).dump(requests),
        "deletion_requests": DeletionRequestOut(many=True).dump(deletions),
        "exported_at": utcnow(),
    }


# --- deletion requests -------------------------------------------------------------------


async def ask_for_deletion(
    uow: UnitOfWork, actor: Actor, household_id: uuid.UUID, message: str
) -> dict[str, Any]:
    """A family asks for the deletion of its household's data (one pending at a time)."""
    async with uow:
        row = await store.insert_deletion_request(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": actor.tenant,
                "household_id": household_id,
                "requested_by": actor.account_id,
                "requested_at": utcnow(),
                "message": message,
            },
        )
        if row is None:
            raise DeletionPending()
    return row


async def deletion_requests_of(pool: asyncpg.Pool, household_id: uuid.UUID) -> dict[str, Any]:
    """The household's deletion requests and their outcome (one page: all of them)."""
    rows = await store.deletion_requests_of(pool, household_id)
    return {"items": rows, "total": len(rows), "page": 1, "per_page": len(rows)}


async def deletion_requests(
    pool: asyncpg.Pool, tenant: str, *, status: str, page: int, per_page: int
) -> dict[str, Any]:
    """A page of the tenant's deletion requests, oldest first; `status` "all" or one."""
    rows, total = await store.list_deletion_requests(
        pool,
        tenant,
        status=None if status == "all" else status,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


async def anonymise(uow: UnitOfWork, actor: Actor, request_id: uuid.UUID) -> dict[str, Any]:
    """Grant a deletion request: names become « Anonyme »; contact details, contacts,
    health records, documents, requests and pending changes are erased; ids, quotients and
    the birth year stay for accounting; linked accounts are unlinked. Children's new names
    go out as ChildUpdated (booking keeps names), then HouseholdAnonymised."""
    return await _handle(uow, actor, request_id, "anonymised")


async def reject_deletion(
    uow: UnitOfWork, actor: Actor, request_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Refuse a deletion request with a reason (e.g. legal retention)."""
    return await _handle(uow, actor, request_id, "rejected", reason)


async def _handle(
    uow: UnitOfWork, actor: Actor, request_id: uuid.UUID, decision: str, reason: str | None = None
) -> dict[str, Any]:
    now = utcnow()
    async with uow:
        conn = uow.conn
        row = await store.get_deletion_request(conn, actor.tenant, request_id, for_update=True)
        if row is None:
            raise DeletionRequestNotFound()
        if row["status"] != "pending":
            raise DeletionAlreadyHandled()
        if decision == "anonymised":
            household_id = row["household_id"]
            await household(conn, actor.tenant, household_id, lock=True)
            accounts = await store.anonymise_household(conn, household_id, now)
            for child in await store.members(conn, "children", household_id):
                # Booking keeps children's names: they must go there too.
                uow.emit("family.ChildUpdated", child_payload(child), tenant=actor.tenant)
            uow.emit(
                "family.HouseholdAnonymised",
                {
                    "household_id": household_id,
                    "deletion_request_id": request_id,
                    "account_ids": accounts,
                },
                tenant=actor.tenant,
            )
            await store.clear_deletion_messages(conn, household_id)
        await store.handle_deletion_request(
            conn, request_id, status=decision, handled_by=actor.account_id, reason=reason, now=now
        )
        handled = await store.get_deletion_request(conn, actor.tenant, request_id)
    assert handled is not None
    return handled
