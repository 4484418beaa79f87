"""Supporting documents of a household: uploads by families and staff, staff validation
(with a validity end) or rejection (with a reason), downloads; and the room a household
has for files waiting for staff (documents and proposed photos)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from family import store
from family.domain import catalog
from family.domain.errors import (
    DocumentAlreadyDecided,
    DocumentNotFound,
    InvalidField,
    TooManyPendingUploads,
)
from family.usecases import Actor, File, utcnow
from family.usecases.health_records import log_access
from shared.uow import UnitOfWork

Conn = asyncpg.Connection | asyncpg.Pool


async def ensure_room(uow: UnitOfWork, household_id: uuid.UUID, limit: int) -> None:
    """Refuse a family's new file while `limit` files of its household wait for staff (the
    count is read under the household row's lock, so two uploads at once cannot both pass
    the last place)."""
    await store.lock_household(uow.conn, household_id)
    if await store.pending_uploads(uow.conn, household_id) >= limit:
        raise TooManyPendingUploads(limit)


async def upload_document(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    document_type: str,
    member_id: uuid.UUID | None,
    file: File,
    room: int | None,
) -> dict[str, Any]:
    """A document about the household or one of its members, waiting for staff; `room`:
    how many files the household may have waiting (None: no limit, staff's uploads)."""
    async with uow:
        return await add_document(
            uow,
            actor,
            household_id,
            document_type=document_type,
            member_id=member_id,
            file=file,
            room=room,
        )


async def add_document(
    uow: UnitOfWork,
    actor: Actor,
    household_id: uuid.UUID,
    *,
    document_type: str,
    member_id: uuid.UUID | None,
    file: File,
    room: int | None,
) -> dict[str, Any]:
    """`upload_document` in the caller's open unit of work."""
    document_id = uuid.uuid4()
    if room is not None:
        await ensure_room(uow, household_id, room)
    types = await store.catalog(uow.conn, "document_types", actor.tenant, catalog.DOCUMENT_TYPES)
    if document_type not in {t["code"] for t in types}:
        raise InvalidField(
            "document_type",
            "Type de document inconnu ; types possibles : "
            + ", ".join(t["code"] for t in types)
            + ".",
        )
    member_kind = await _member_kind(uow.conn, actor.tenant, household_id, member_id)
    await store.insert_document(
        uow.conn,
        {
            "id": document_id,
            "tenant": actor.tenant,
            "household_id": household_id,
            "member_kind": member_kind,
            "member_id": member_id,
            "document_type": document_type,
            "filename": file.filename,
            "content_type": file.content_type,
            "size": file.size,
            "sha256": file.sha256,
            "content": file.content,
            "uploaded_by": actor.account_id,
            "uploaded_at": utcnow(),
        },
    )
    stored = await _document(uow.conn, actor.tenant, document_id)
    uow.emit("family.DocumentUploaded", await _event_payload(uow.conn, stored), tenant=actor.tenant)
    return stored


async def _event_payload(conn: Conn, document: dict[str, Any]) -> dict[str, Any]:
    """What the document events say of a document (uploaded, validated, rejected)."""
    accounts = await store.linked_accounts(conn, document["household_id"])
    return {
        "document_id": document["id"],
        "household_id": document["household_id"],
        "child_id": document["member_id"] if document["member_kind"] == "child" else None,
        "member_id": document["member_id"],
        "member_kind": document["member_kind"],
        "document_type": document["document_type"],
        # The tenant's own label: notify and booking need no list of their own.
        "document_label": document["document_label"],
        "account_ids": [a["account_id"] for a in accounts],
    }


async def _member_kind(
    conn: Conn, tenant: str, household_id: uuid.UUID, member_id: uuid.UUID | None
) -> str | None:
    if member_id is None:
        return None
    for table, kind in (("children", "child"), ("guardians", "guardian")):
        if await store.get_member(conn, table, tenant, household_id, member_id):
            return kind
    raise InvalidField("member_id", "Cette personne ne fait pas partie du foyer.")


async def _document(conn: Conn, tenant: str, document_id: uuid.UUID, **lock: bool) -> dict:
    document = await store.get_document(conn, tenant, document_id, **lock)
    if document is None:
        raise DocumentNotFound()
    return document


async def document(
    pool: Conn, tenant: str, document_id: uuid.UUID, household_id: uuid.UUID | None = None
) -> dict[str, Any]:
    """A document's details (`household_id`: only if it is that household's)."""
    found = await _document(pool, tenant, document_id)
    if household_id is not None and found["household_id"] != household_id:
        raise DocumentNotFound()
    return found


async def documents(
    pool: Conn,
    tenant: str,
    *,
    household_id: uuid.UUID | None,
    status: str,
    document_type: str | None,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """A page of the tenant's (or one household's) documents; `status` "all" or one."""
    rows, total = await store.list_documents(
        pool,
        tenant,
        household_id=household_id,
        status=None if status == "all" else status,
        document_type=document_type,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    return {"items": rows, "total": total, "page": page, "per_page": per_page}


async def document_file(
    uow: UnitOfWork, actor: Actor, document: dict[str, Any], *, logged: bool
) -> File:
    """The file; a `logged` download (staff's) of health data (certificat médical) is
    written in the health access log in the same transaction, as a read of a health record
    is."""
    async with uow:
        if logged and catalog.is_health_document(document["document_type"]):
            member_kind = document["member_kind"]
            await log_access(
                uow,
                actor,
                document["household_id"],
                document["member_id"] if member_kind == "child" else None,
                "document-download",
                member_kind=member_kind,
                member_id=document["member_id"],
                document_id=document["id"],
            )
        content = await store.document_content(uow.conn, document["id"])
    return File(document["filename"], document["content_type"], content)


async def validate_document(
    uow: UnitOfWork, actor: Actor, document_id: uuid.UUID, valid_until: date | None
) -> dict[str, Any]:
    """Staff validate a document until a date (default: 31 August ending the school year;
    DocumentValidated)."""
    today = date.today()
    valid_until = valid_until or catalog.end_of_school_year(today)
    if valid_until < today:
        raise InvalidField("valid_until", "La fin de validité ne peut pas être dans le passé.")
    return await _decide(uow, actor, document_id, "validated", valid_until=valid_until)


async def reject_document(
    uow: UnitOfWork, actor: Actor, document_id: uuid.UUID, reason: str
) -> dict[str, Any]:
    """Staff reject a document with a reason the family will read (DocumentRejected)."""
    return await _decide(uow, actor, document_id, "rejected", reason=reason)


async def _decide(
    uow: UnitOfWork,
    actor: Actor,
    document_id: uuid.UUID,
    decision: str,
    *,
    valid_until: date | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    async with uow:
        await decide_in(uow, actor, document_id, decision, valid_until=valid_until, reason=reason)
        return await _document(uow.conn, actor.tenant, document_id)


async def decide_in(
    uow: UnitOfWork,
    actor: Actor,
    document_id: uuid.UUID,
    decision: str,
    *,
    valid_until: date | None = None,
    reason: str | None = None,
) -> None:
    """Decide a pending document in the caller's open unit of work (a change's proof is
    decided with the change); DocumentValidated or DocumentRejected."""
    now = utcnow()
    document = await _document(uow.conn, actor.tenant, document_id, for_update=True)
    if document["status"] != "pending":
        raise DocumentAlreadyDecided()
    await store.decide_document(
        uow.conn,
        document_id,
        status=decision,
        valid_until=valid_until,
        reason=reason,
        decided_by=actor.account_id,
        now=now,
    )
    payload = await _event_payload(uow.conn, document)
    if decision == "validated":
        uow.emit(
            "family.DocumentValidated",
            {**payload, "valid_until": valid_until},
            tenant=actor.tenant,
        )
    else:
        uow.emit("family.DocumentRejected", {**payload, "reason": reason}, tenant=actor.tenant)
