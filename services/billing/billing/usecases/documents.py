"""Issuing documents inside an open unit of work: finalising a draft invoice (its number, its
lines, the credits deducted from it, its ledger entries, billing.InvoiceIssued) and issuing a
credit note for cancelled days. Called by the prepaid and campaign use cases, which enter
the unit of work; these functions never do."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from billing import store
from billing.domain.documents import local_date, payer_copies, regie_copy
from billing.domain.ledger import allocate
from billing.domain.lines import Charge, Line, credit_amount, group_lines
from billing.domain.numbering import document_number
from billing.domain.pricing import quantity_text
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import families as families_store
from shared.uow import UnitOfWork


def charge_of(row: Mapping[str, Any]) -> Charge:
    return Charge(
        booking_id=row["booking_id"],
        child_id=row["child_id"],
        child_name=row["child_name"],
        activity_id=row["activity_id"],
        activity_name=row["activity_name"],
        day=row["day"],
        late=row["late"],
        unit=row["unit"],
        unit_cents=row["unit_cents"],
        quantity=Decimal(row["quantity"]),
        bracket=row["bracket"],
        qf=row.get("qf"),
        rank=row.get("rank") or 1,
    )


async def finalise_invoice(
    uow: UnitOfWork,
    invoice: dict[str, Any],
    *,
    now: datetime,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> dict[str, Any] | None:
    """Number a locked draft and issue it; None (the draft goes) when nothing is left to
    bill in it."""
    issued = await finalise_invoices(
        uow, [invoice], now=now, issue_date=issue_date, due_date=due_date
    )
    return issued[0] if issued else None


async def finalise_invoices(
    uow: UnitOfWork,
    invoices: list[dict[str, Any]],
    *,
    now: datetime,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> list[dict[str, Any]]:
    """Number locked drafts and issue them, in a few statements whatever their number (a
    campaign's thousands): lines rounded per line, the payers' credits of the régie deducted
    (oldest first, never beyond an invoice), ledger entries, one billing.InvoiceIssued each.
    Drafts with nothing left to bill go. Prepaid invoices are due at once; campaigns pass
    their due date. Returns the issued invoices, in numbering order."""
    if not invoices:
        return []
    conn = uow.conn
    by_invoice: dict[uuid.UUID, list[Charge]] = defaultdict(list)
    for row in await store.invoices_charges(conn, [i["id"] for i in invoices]):
        by_invoice[row["invoice_id"]].append(charge_of(row))
    empty = [i["id"] for i in invoices if not by_invoice[i["id"]]]
    if empty:
        await store.delete_drafts(conn, empty)
    todo = [i for i in invoices if by_invoice[i["id"]]]
    by_regie: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for invoice in todo:
        by_regie[invoice["regie_id"]].append(invoice)
    issued = []
    for regie_id, group in by_regie.items():
        issued.extend(await _issue(uow, regie_id, group, by_invoice, now, issue_date, due_date))
    return issued


async def _issue(
    uow: UnitOfWork,
    regie_id: uuid.UUID,
    invoices: list[dict[str, Any]],
    charges: dict[uuid.UUID, list[Charge]],
    now: datetime,
    issue_date: date | None,
    due_date: date | None,
) -> list[dict[str, Any]]:
    conn, tenant = uow.conn, invoices[0]["tenant"]
    regie = await catalog_store.get_regie(conn, tenant, regie_id)
    assert regie is not None
    issue_date = issue_date or local_date(now)
    due_date = due_date or issue_date
    first = await catalog_store.take_numbers(
        conn, regie_id, issue_date.year, "invoice", len(invoices)
    )
    payers = sorted({i["payer_id"] for i in invoices}, key=str)
    await credits_store.lock_payers(conn, tenant, payers)
    credits: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for credit in await credits_store.available_credits(conn, tenant, payers, regie_id):
        credits[credit["payer_id"]].append(credit)
    printed = await _payers_printed(
        uow.conn, tenant, {i["payer_id"]: i["household_id"] for i in invoices}
    )
    regie_printed = regie_copy(regie)
    accounts = await _payer_accounts(conn, tenant, payers)
    rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for offset, invoice in enumerate(invoices):
        seq = first + offset
        number = document_number("invoice", regie["code"], issue_date.year, seq)
        lines = _charge_lines(invoice["id"], group_lines(charges[invoice["id"]]))
        total = sum(r["amount_cents"] for r in lines)
        payer_id = invoice["payer_id"]
        available = credits[payer_id]
        taken = allocate([(c["id"], c["available_cents"]) for c in available], total)
        for credit_note_id, cents in taken:
            credit = next(c for c in available if c["id"] == credit_note_id)
            credit["available_cents"] -= cents  # a payer may have several invoices here
            lines.append(_credit_line(invoice["id"], len(lines) + 1, credit, cents))
        credit_cents = sum(cents for _, cents in taken)
        rows.extend(lines)
        updates.append(
            {
                "id": invoice["id"],
                "number": number,
                "year": issue_date.year,
                "seq": seq,
                "total_cents": total,
                "credit_cents": credit_cents,
                "payer": printed[payer_id],
            }
        )
        entry = {
            "tenant": tenant,
            "regie_id": regie_id,
            "payer_id": payer_id,
            "household_id": invoice["household_id"],
            "document_id": invoice["id"],
            "at": now,
        }
        entries.append({**entry, "kind": "invoice", "amount_cents": total})
        entries.extend(
            {**entry, "kind": "allocation", "related_id": credit_id, "amount_cents": cents}
            for credit_id, cents in taken
        )
        uow.emit(
            "billing.InvoiceIssued",
            {
                "invoice_id": invoice["id"],
                "regie_id": regie_id,
                "regie_name": regie["name"],
                "household_id": invoice["household_id"],
                "payer_id": payer_id,
                "payer_account_id": accounts.get(payer_id),
                "number": number,
                "issue_date": issue_date,
                "due_date": due_date,
                "total_cents": total,
                "credit_cents": credit_cents,
                "amount_due_cents": total - credit_cents,
                "origin": invoice["origin"],
                "basket_id": invoice["basket_id"],
                "campaign_id": invoice["campaign_id"],
            },
            tenant=tenant,
        )
    await store.insert_invoice_lines(conn, rows)
    await credits_store.append_ledger(conn, entries)
    return await store.issue_invoices(
        conn,
        updates,
        issue_date=issue_date,
        due_date=due_date,
        regie=regie_printed,
        issued_at=now,
    )


async def _payers_printed(
    conn: Any, tenant: str, household_of: dict[uuid.UUID, uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    """The payers as their documents print them (household contact, or a named payer's)."""
    households = {
        h["household_id"]: h
        for h in await families_store.households_of(conn, tenant, list(set(household_of.values())))
    }
    named = {p["id"]: p for p in await families_store.payers_of(conn, tenant, list(household_of))}
    return payer_copies(household_of, households, named, household_of)


async def _payer_accounts(
    conn: Any, tenant: str, payer_ids: list[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The account of each named payer who has one (a separated parent paying alone): their
    documents' events name it, so only they are told. The household itself has none."""
    return {
        p["id"]: p["account_id"]
        for p in await families_store.payers_of(conn, tenant, payer_ids)
        if p["account_id"] is not None
    }


def _charge_lines(invoice_id: uuid.UUID, lines: list[Line]) -> list[dict[str, Any]]:
    """The charges' lines; a charge's line is found again by its grouping key (store)."""
    rows = []
    for position, line in enumerate(lines, start=1):
        rows.append(
            {
                "id": uuid.uuid4(),
                "invoice_id": invoice_id,
                "position": position,
                "kind": "charge",
                "label": line.label,
                "detail": line.bracket,
                "child_id": line.child_id,
                "activity_id": line.activity_id,
                "unit": line.unit,
                "unit_cents": line.unit_cents,
                "quantity": line.quantity,
                "amount_cents": line.amount_cents,
                "period_from": line.period_from,
                "period_to": line.period_to,
                "child_name": line.child_name,
                "activity_name": line.activity_name,
            }
        )
    return rows


def _credit_line(
    invoice_id: uuid.UUID, position: int, credit: dict[str, Any], cents: int
) -> dict[str, Any]:
    """A credit deducted, shown on the invoice as a line of its own [002]: a credit note, or
    what a payment paid beyond the invoices it settled (an overpayment)."""
    if credit.get("kind") == "payment":
        label = f"Trop-perçu du paiement {credit['number']} déduit"
        detail = f"Paiement du {credit['issue_date']:%d/%m/%Y}"
    else:
        label = f"Avoir {credit['number']} déduit"
        detail = f"Avoir du {credit['issue_date']:%d/%m/%Y}"
    return {
        "id": uuid.uuid4(),
        "invoice_id": invoice_id,
        "position": position,
        "kind": "credit",
        "label": label,
        "detail": detail,
        "unit_cents": -cents,
        "quantity": Decimal(1),
        "amount_cents": -cents,
        "credit_note_id": credit["id"] if credit.get("kind") != "payment" else None,
    }


async def credit_days(
    uow: UnitOfWork, tenant: str, booking_ids: list[uuid.UUID], *, reason: str, now: datetime
) -> list[dict[str, Any]]:
    """Cancelled days that were charged: a day still on a draft leaves it; the days of
    issued invoices are credited, one credit note per régie and payer (a day shared by
    percentage is credited to each of its payers). Days credited already,
    or never charged, change nothing (a redelivered cancellation credits nothing twice)."""
    conn = uow.conn
    charges = await store.lock_charges(conn, tenant, booking_ids)
    drafts = [(c["booking_id"], c["part"]) for c in charges if c["invoice_status"] == "draft"]
    if drafts:
        await store.delete_charges(conn, drafts)
    issued = [c for c in charges if c["invoice_status"] == "issued" and not c["credited"]]
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = defaultdict(list)
    for charge in issued:
        groups[(charge["regie_id"], charge["payer_id"])].append(charge)
    notes = []
    for (regie_id, payer_id), group in groups.items():
        note = await _credit_note(uow, tenant, regie_id, payer_id, group, reason, now)
        if note is not None:
            notes.append(note)
    return notes


async def _credit_note(
    uow: UnitOfWork,
    tenant: str,
    regie_id: uuid.UUID,
    payer_id: uuid.UUID,
    charges: list[dict[str, Any]],
    reason: str,
    now: datetime,
) -> dict[str, Any] | None:
    conn = uow.conn
    await credits_store.lock_payers(conn, tenant, [payer_id])
    by_line: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for charge in charges:
        by_line[charge["line_id"]].append(charge)
    before = await store.credited_quantities(conn, list(by_line))
    credit_note_id = uuid.uuid4()
    lines, credited = [], []
    for position, (line_id, days) in enumerate(by_line.items(), start=1):
        first = days[0]
        quantity = sum((Decimal(d["quantity"]) for d in days), Decimal(0))
        unit_cents = first["unit_cents"]
        line_row_id = uuid.uuid4()
        lines.append(
            {
                "id": line_row_id,
                "position": position,
                "invoice_line_id": line_id,
                "label": first["line_label"],
                "detail": f"Annulation de {quantity_text(first['unit'], quantity)} "
                f"({first['bracket']})",
                "child_id": first["child_id"],
                "activity_id": first["activity_id"],
                "unit": first["unit"],
                "unit_cents": unit_cents,
                "quantity": quantity,
                "amount_cents": credit_amount(
                    unit_cents, Decimal(before.get(line_id) or 0), quantity
                ),
                "period_from": min(d["day"] for d in days),
                "period_to": max(d["day"] for d in days),
                "child_name": first["child_name"],
                "activity_name": first["activity_name"],
            }
        )
        credited.extend((d["booking_id"], d["part"], line_row_id, d["quantity"]) for d in days)
    total = sum(x["amount_cents"] for x in lines)
    if total == 0:
        return None  # free days: nothing to give back
    regie = await catalog_store.get_regie(conn, tenant, regie_id)
    assert regie is not None
    household_id = charges[0]["household_id"]
    printed = await _payers_printed(conn, tenant, {payer_id: household_id})
    issue_date = local_date(now)
    seq = await catalog_store.take_numbers(conn, regie_id, issue_date.year, "credit_note", 1)
    number = document_number("credit_note", regie["code"], issue_date.year, seq)
    note = await credits_store.insert_credit_note(
        conn,
        {
            "id": credit_note_id,
            "tenant": tenant,
            "regie_id": regie_id,
            "household_id": household_id,
            "payer_id": payer_id,
            "number": number,
            "year": issue_date.year,
            "seq": seq,
            "issue_date": issue_date,
            "reason": reason,
            "total_cents": total,
            "payer": printed[payer_id],
            "regie": regie_copy(regie),
        },
    )
    await credits_store.insert_credit_note_lines(conn, credit_note_id, lines)
    await credits_store.insert_credited_days(conn, credited)
    await credits_store.append_ledger(
        conn,
        [
            {
                "tenant": tenant,
                "regie_id": regie_id,
                "payer_id": payer_id,
                "household_id": household_id,
                "kind": "credit_note",
                "document_id": credit_note_id,
                "amount_cents": -total,
                "at": now,
            }
        ],
    )
    accounts = await _payer_accounts(conn, tenant, [payer_id])
    uow.emit(
        "billing.CreditNoteIssued",
        {
            "credit_note_id": credit_note_id,
            "regie_id": regie_id,
            "regie_name": regie["name"],
            "household_id": household_id,
            "payer_id": payer_id,
            "payer_account_id": accounts.get(payer_id),
            "number": number,
            "issue_date": issue_date,
            "total_cents": total,
            "reason": reason,
            "invoice_ids": sorted({c["invoice_id"] for c in charges}, key=str),
        },
        tenant=tenant,
    )
    return note
