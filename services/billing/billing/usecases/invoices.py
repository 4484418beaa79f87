"""Reading invoices, credit notes and payers' accounts. A family reads only what its
`Viewer` sees: its household's joint documents and its own payer's (another household's,
or the other separated parent's, document is "not found", never "forbidden": its existence
is not told); staff read their tenant's (no viewer)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

from billing import store
from billing.domain.documents import Viewer
from billing.domain.errors import CreditNoteNotFound, InvoiceNotFound
from billing.domain.ledger import Entry, balance, credits
from billing.store import Conn
from billing.store import credits as credits_store
from billing.store import reminders as reminders_store


def narrowed(filters: dict[str, Any], viewer: Viewer | None) -> dict[str, Any]:
    """A family's filters always narrowed to what it sees."""
    if viewer is None:
        return filters
    return {**filters, "household_id": viewer.household_id, "payer_ids": viewer.payer_ids}


async def invoices_with_lines(
    conn: Conn, tenant: str, filters: dict[str, Any], viewer: Viewer | None = None
) -> list[dict[str, Any]]:
    rows = await store.list_invoices(conn, tenant, narrowed(filters, viewer))
    lines: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for line in await store.invoice_lines(conn, [r["id"] for r in rows]):
        lines[line["invoice_id"]].append(line)
    rows = [{**row, "lines": lines[row["id"]]} for row in rows]
    return await _with_reminders(conn, tenant, rows)


async def _with_reminders(
    conn: Conn, tenant: str, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each invoice with the reminders sent for it and whether it went to recovery."""
    ids = [r["id"] for r in rows]
    sent: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for reminder in await reminders_store.invoice_reminders(conn, tenant, ids):
        sent[reminder["invoice_id"]].append(reminder)
    recovered = await reminders_store.in_recovery(conn, ids)
    return [{**r, "reminders": sent[r["id"]], "in_recovery": r["id"] in recovered} for r in rows]


async def invoice(
    conn: Conn, tenant: str, invoice_id: uuid.UUID, viewer: Viewer | None = None
) -> dict[str, Any]:
    row = await store.get_invoice(conn, tenant, invoice_id)
    if row is None or row["status"] != "issued":
        raise InvoiceNotFound()
    if viewer is not None and not viewer.sees(row):
        raise InvoiceNotFound()
    row["lines"] = await store.invoice_lines(conn, [invoice_id])
    (row,) = await _with_reminders(conn, tenant, [row])
    return row


async def credit_notes(
    conn: Conn, tenant: str, filters: dict[str, Any], viewer: Viewer | None = None
) -> list[dict[str, Any]]:
    rows = await credits_store.list_credit_notes(conn, tenant, narrowed(filters, viewer))
    lines: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for line in await credits_store.credit_note_lines(conn, [r["id"] for r in rows]):
        lines[line["credit_note_id"]].append(line)
    return [{**row, "lines": lines[row["id"]], "allocations": None} for row in rows]


async def credit_note(
    conn: Conn, tenant: str, credit_note_id: uuid.UUID, viewer: Viewer | None = None
) -> dict[str, Any]:
    row = await credits_store.get_credit_note(conn, tenant, credit_note_id)
    if row is None or (viewer is not None and not viewer.sees(row)):
        raise CreditNoteNotFound()
    row["lines"] = await credits_store.credit_note_lines(conn, [credit_note_id])
    row["allocations"] = await credits_store.credit_note_allocations(conn, credit_note_id)
    return row


async def account(conn: Conn, tenant: str, payer_id: uuid.UUID) -> dict[str, Any]:
    """The payer's ledger and the balance derived from it, per régie and in all."""
    entries = await credits_store.payer_ledger(conn, tenant, payer_id)
    by_regie: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_regie[entry["regie_id"]].append(entry)

    def derived(rows: list[dict[str, Any]]) -> int:
        return balance(
            Entry(r["kind"], r["document_id"], r["amount_cents"], r["related_id"]) for r in rows
        )

    ledger = [
        Entry(r["kind"], r["document_id"], r["amount_cents"], r["related_id"]) for r in entries
    ]
    return {
        "payer_id": payer_id,
        "balance_cents": derived(entries),
        "credit_cents": sum(max(0, cents) for cents in credits(ledger).values()),
        "regies": [
            {
                "regie_id": regie_id,
                "regie_name": rows[0]["regie_name"],
                "balance_cents": derived(rows),
            }
            for regie_id, rows in by_regie.items()
        ],
        "entries": entries,
    }
