"""Requests to the town ("demandes"): a family writes on a topic of the tenant's list, about
a child or not, with an optional attachment; staff answer (RequestAnswered); both sides see
the whole thread. Status: open (waiting for the town), answered (waiting for the family),
closed (final).

`household_id` says whose door a call comes through: the family's own household, or None
for staff (any request of the tenant).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from family import store
from family.domain import catalog
from family.domain.errors import AttachmentNotFound, InvalidField, RequestIsClosed, RequestNotFound
from family.usecases import Actor, File, utcnow
from shared.uow import UnitOfWork

Conn = asyncpg.Connection | asyncpg.Pool


def _attachment(file: File | None) -> dict[str, Any]:
    if file is None:
        return {}
    return {
        "filename": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "content": file.content,
    }


async def thread(conn: Conn, row: dict[str, Any]) -> dict[str, Any]:
    """The request with its messages (each attachment described, not its content)."""
    messages = await store.request_messages(conn, row["id"])
    for message in messages:
        message["attachment"] = (
            {k: message[k] for k in ("filename", "content_type", "size", "sha256")}
            if message["filename"]
            else None
        )
    return {**row, "messages": messages, "message_count": len(messages)}


async def _request(
    conn: Conn,
    tenant: str,
    request_id: uuid.UUID,
    household_id: uuid.UUID | None,
    *,
    lock: bool = False,
) -> dict[str, Any]:
    row = await store.get_request(conn, tenant, request_id, for_update=lock)
    if row is None or (household_id is not None and row["household_id"] != household_id):
        raise RequestNotFound()
    return row


async def send_request(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    data: dict[str, Any],
    file: File | None,
) -> dict[str, Any]:
    """A family writes to the town: a new request with its first message; returns it."""
    request_id, now = uuid.uuid4(), utcnow()
    async with uow:
        conn = uow.conn
        topics = {
            t["code"]: t["label"]
            for t in await store.catalog(
                conn, "request_topics", actor.tenant, catalog.REQUEST_TOPICS
            )
        }
        if data["topic"] not in topics:
            raise InvalidField(
                "topic", "Sujet inconnu ; sujets possibles : " + ", ".join(topics) + "."
            )
        if data["child_id"] is not None and not await store.get_member(
            conn, "children", actor.tenant, household_id, data["child_id"]
        ):
            raise InvalidField("child_id", "Cet enfant ne fait pas partie du foyer.")
        await store.insert_request(
            conn,
            {
                "id": request_id,
                "tenant": actor.tenant,
                "household_id": household_id,
                "topic": data["topic"],
                "child_id": data["child_id"],
                "subject": data["subject"] or topics[data["topic"]],
                "created_by": actor.account_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        await store.insert_message(
            conn,
            {
                "id": uuid.uuid4(),
                "request_id": request_id,
                "side": "family",
                "author_id": actor.account_id,
                "body": data["message"],
                "created_at": now,
                **_attachment(file),
            },
        )
        row = await store.get_request(conn, actor.tenant, request_id)
        assert row is not None
        return await thread(conn, row)


async def write_message(
    uow: UnitOfWork,
    actor: Actor,
    request_id: uuid.UUID,
    household_id: uuid.UUID | None,
    data: dict[str, Any],
    file: File | None,
) -> dict[str, Any]:
    """A message on a request: the family's (through its household: the request is open
    again) or staff's answer (`household_id` None: answered, or closed with `close`;
    RequestAnswered). Returns the thread."""
    side = "family" if household_id is not None else "staff"
    async with uow:
        conn = uow.conn
        row = await _request(conn, actor.tenant, request_id, household_id, lock=True)
        try:
            status = catalog.status_after_message(
                row["status"], side, close=side == "staff" and data["close"]
            )
        except catalog.RequestClosed:
            raise RequestIsClosed() from None
        now = utcnow()
        await store.insert_message(
            conn,
            {
                "id": uuid.uuid4(),
                "request_id": row["id"],
                "side": side,
                "author_id": actor.account_id,
                "body": data["message"],
                "created_at": now,
                **_attachment(file),
            },
        )
        await store.set_request_status(conn, row["id"], status, now)
        if side == "staff":
            accounts = await store.linked_accounts(conn, row["household_id"])
            uow.emit(
                "family.RequestAnswered",
                {
                    "request_id": row["id"],
                    "household_id": row["household_id"],
                    "child_id": row["child_id"],
                    "topic": row["topic"],
                    # The tenant's own label: notify needs no list of its own.
                    "topic_label": row["topic_label"],
                    "subject": row["subject"],
                    "status": status,
                    "account_ids": [a["account_id"] for a in accounts],
                },
                tenant=actor.tenant,
            )
        updated = await store.get_request(conn, row["tenant"], row["id"])
        assert updated is not None
        return await thread(conn, updated)


async def close_request(
    uow: UnitOfWork, tenant: str, request_id: uuid.UUID, household_id: uuid.UUID | None
) -> dict[str, Any]:
    """Close a request (either side; closing a closed one changes nothing)."""
    async with uow:
        row = await _request(uow.conn, tenant, request_id, household_id, lock=True)
        if row["status"] != "closed":
            await store.set_request_status(uow.conn, row["id"], "closed", utcnow())
            row = await _request(uow.conn, tenant, request_id, None)
        return await thread(uow.conn, row)


async def request_thread(
    pool: asyncpg.Pool, tenant: str, request_id: uuid.UUID, household_id: uuid.UUID | None
) -> dict[str, Any]:
    """A request with its whole thread."""
    async with pool.acquire() as conn:
        return await thread(conn, await _request(conn, tenant, request_id, household_id))


async def requests(
    pool: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None,
    status: str,
    topic: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """A page of requests, latest activity first; `status` "all" or one."""
    rows, total = await store.list_requests(
        pool,
        tenant,
        household_id=household_id,
        status=None if status == "all" else status,
        topic=topic,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


async def attachment(
    pool: asyncpg.Pool,
    tenant: str,
    request_id: uuid.UUID,
    message_id: uuid.UUID,
    household_id: uuid.UUID | None,
) -> File:
    """A message's attachment."""
    async with pool.acquire() as conn:
        row = await _request(conn, tenant, request_id, household_id)
        found = await store.message_attachment(conn, row["id"], message_id)
    if found is None:
        raise AttachmentNotFound()
    return File(found["filename"], found["content_type"], found["content"])
