"""Refunding a credit note (staff): its whole available amount goes back to the payer, as a
refund numbered V-<CODE>-<year>-NNNNNN and a ledger entry; the credit note is then no longer
deducted from the next invoice (availability derives from the ledger)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from billing.domain.documents import local_date
from billing.domain.errors import CreditNoteNotFound
from billing.domain.numbering import document_number
from billing.domain.refunds import refundable
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from shared.uow import UnitOfWork


async def refund_credit_note(
    uow: UnitOfWork,
    tenant: str,
    credit_note_id: uuid.UUID,
    method: str,
    reference: str,
    actor: uuid.UUID,
    *,
    now: datetime,
) -> uuid.UUID:
    """Refund what is left of a credit note; NothingToRefund (409) when nothing is."""
    async with uow:
        row = await refund_in(
            uow, tenant, credit_note_id, method=method, reference=reference, actor=actor, now=now
        )
    return row["id"]


async def refund_in(
    uow: UnitOfWork,
    tenant: str,
    credit_note_id: uuid.UUID,
    *,
    method: str,
    reference: str,
    actor: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """The refund of what is left of a credit note, inside the caller's open unit of work
    (staff's refund, or billing's own to a wallet: `actor` None). Returns the refund."""
    conn = uow.conn
    note = await credits_store.lock_credit_note(conn, tenant, credit_note_id)
    if note is None:
        raise CreditNoteNotFound()
    # Same lock as issuing invoices: a concurrent invoice cannot deduct it meanwhile.
    await credits_store.lock_payers(conn, tenant, [note["payer_id"]])
    amount = refundable(await credits_store.credit_note_available(conn, credit_note_id))
    regie = await catalog_store.get_regie(conn, tenant, note["regie_id"])
    assert regie is not None
    year = local_date(now).year
    seq = await catalog_store.take_numbers(conn, note["regie_id"], year, "refund", 1)
    refund_id = uuid.uuid4()
    row = await credits_store.insert_refund(
        conn,
        {
            "id": refund_id,
            "tenant": tenant,
            "regie_id": note["regie_id"],
            "household_id": note["household_id"],
            "payer_id": note["payer_id"],
            "credit_note_id": credit_note_id,
            "number": document_number("refund", regie["code"], year, seq),
            "year": year,
            "seq": seq,
            "amount_cents": amount,
            "method": method,
            "reference": reference,
            "created_by": actor,
            "created_at": now,
        },
    )
    await credits_store.append_ledger(
        conn,
        [
            {
                "tenant": tenant,
                "regie_id": note["regie_id"],
                "payer_id": note["payer_id"],
                "household_id": note["household_id"],
                "kind": "refund",
                "document_id": refund_id,
                "related_id": credit_note_id,
                "amount_cents": amount,
                "at": now,
            }
        ],
    )
    return row


async def refund(conn: Conn, tenant: str, refund_id: uuid.UUID) -> dict[str, Any]:
    row = await credits_store.get_refund(conn, tenant, refund_id)
    assert row is not None
    return row


async def refunds(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return await credits_store.list_refunds(conn, tenant, filters)
