"""Payments: recording money received for a payer, spreading it over its invoices, reversing
it (a bounced cheque, a rejected direct debit), counter payments and remittance slips.

`apply_payment_in` and `reverse_payment_in` run inside the caller's open unit of work: the
card notification, the direct-debit batch and the wallet call them beside their own
changes. Both lock the payer (`credits_store.lock_payers`, the lock issuing invoices takes too), so
that two payments at once never settle an invoice beyond what it owes. Everything they
settle is written in the ledger (domain/ledger.py), which alone says what remains due and
what credit is left; `billing.PaymentReceived` leaves with the same commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from billing.domain.documents import local_date, payer_copies, regie_copy
from billing.domain.errors import (
    HouseholdNotFound,
    InvoiceNotFound,
    InvoiceNotPayable,
    NothingToRemit,
    PayerNotFound,
    PaymentAlreadyReversed,
    PaymentNotFound,
    RegieNotFound,
    RemittanceNotFound,
)
from billing.domain.ledger import spread
from billing.domain.numbering import document_number
from billing.domain.payment_lines import PaidLine, spread_over_lines
from billing.domain.payments import COUNTER_METHODS, METHODS, counter_reference
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import families as families_store
from billing.store import payments as payments_store
from shared.uow import UnitOfWork


async def apply_payment_in(
    uow: UnitOfWork,
    tenant: str,
    *,
    regie_id: uuid.UUID,
    payer_id: uuid.UUID,
    household_id: uuid.UUID,
    method: str,
    amount_cents: int,
    received_on: date,
    invoice_ids: Sequence[uuid.UUID] | None,
    reference: Mapping[str, str],
    recorded_by: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    """Record a payment (its receipt number) and spread it over `invoice_ids` in that order
    or, when None, over the payer's unpaid invoices of the régie oldest first, never beyond
    what each still owes; the rest is the payer's credit. Returns the payment's id, number,
    allocations (invoice, amount, what it still owes after, its basket) and credit."""
    if method not in METHODS:
        raise ValueError(f"unknown payment method {method!r}")
    if amount_cents <= 0:
        raise ValueError("a payment is a positive amount")
    conn = uow.conn
    regie = await catalog_store.get_regie(conn, tenant, regie_id)
    if regie is None:
        raise RegieNotFound()
    await credits_store.lock_payers(conn, tenant, [payer_id])
    owed = await _owed(conn, tenant, regie_id, payer_id, invoice_ids)
    taken, credit = spread(amount_cents, [(i["id"], i["remaining_cents"]) for i in owed])
    year = local_date(now).year
    seq = await catalog_store.take_numbers(conn, regie_id, year, "payment", 1)
    number = document_number("payment", regie["code"], year, seq)
    payment_id = uuid.uuid4()
    printed = await _payer_printed(conn, tenant, payer_id, household_id)
    await payments_store.insert_payment(
        conn,
        {
            "id": payment_id,
            "tenant": tenant,
            "regie_id": regie_id,
            "household_id": household_id,
            "payer_id": payer_id,
            "number": number,
            "year": year,
            "seq": seq,
            "method": method,
            "amount_cents": amount_cents,
            "credit_cents": credit,
            "received_on": received_on,
            "reference": dict(reference),
            "recorded_by": recorded_by,
            "payer": printed,
            "regie": regie_copy(regie),
            "created_at": now,
        },
    )
    if taken:
        await payments_store.insert_allocations(conn, payment_id, taken)
        remaining = {i["id"]: i["remaining_cents"] for i in owed}
        await _pay_lines(conn, payment_id, taken, remaining, now)
    entry = {
        "tenant": tenant,
        "regie_id": regie_id,
        "payer_id": payer_id,
        "household_id": household_id,
        "kind": "payment",
        "related_id": payment_id,
        "at": now,
    }
    entries = [{**entry, "document_id": i, "amount_cents": -cents} for i, cents in taken]
    if credit:
        entries.append({**entry, "document_id": payment_id, "amount_cents": -credit})
    await credits_store.append_ledger(conn, entries)
    by_id = {i["id"]: i for i in owed}
    allocations = [
        {
            "invoice_id": invoice_id,
            "invoice_number": by_id[invoice_id]["number"],
            "basket_id": by_id[invoice_id]["basket_id"],
            "amount_cents": cents,
            "remaining_cents": by_id[invoice_id]["remaining_cents"] - cents,
        }
        for invoice_id, cents in taken
    ]
    uow.emit(
        "billing.PaymentReceived",
        {
            "payment_id": payment_id,
            "regie_id": regie_id,
            "regie_name": regie["name"],
            "household_id": household_id,
            "payer_id": payer_id,
            "payer_account_id": await _payer_account(conn, tenant, payer_id),
            "number": number,
            "method": method,
            "amount_cents": amount_cents,
            "received_on": received_on,
            "allocations": allocations,
            "credit_cents": credit,
        },
        tenant=tenant,
    )
    return {
        "id": payment_id,
        "number": number,
        "allocations": allocations,
        "credit_cents": credit,
    }


async def _pay_lines(
    conn: Conn,
    payment_id: uuid.UUID,
    taken: Sequence[tuple[uuid.UUID, int]],
    remaining: Mapping[uuid.UUID, int],
    now: datetime,
) -> None:
    """Each allocation spread over its invoice's lines (domain/payment_lines.py), read under
    the payer's lock as what the invoices owe."""
    lines: dict[uuid.UUID, list[PaidLine]] = {invoice_id: [] for invoice_id, _ in taken}
    for row in await payments_store.lines_paid(conn, list(lines)):
        lines[row["invoice_id"]].append(PaidLine(row["id"], row["amount_cents"], row["paid_cents"]))
    rows = [
        (position, invoice_id, line_id, cents)
        for position, (invoice_id, amount) in enumerate(taken, start=1)
        for line_id, cents in spread_over_lines(amount, lines[invoice_id], remaining[invoice_id])
    ]
    await payments_store.insert_payment_lines(conn, payment_id, rows, now)


async def _owed(
    conn: Conn,
    tenant: str,
    regie_id: uuid.UUID,
    payer_id: uuid.UUID,
    invoice_ids: Sequence[uuid.UUID] | None,
) -> list[dict[str, Any]]:
    """The invoices a payment settles, in order, with what each still owes (read under the
    payer's lock: no other payment moves them meanwhile)."""
    if invoice_ids is None:
        return await payments_store.owed_invoices(conn, tenant, payer_id, regie_id)
    ordered = list(dict.fromkeys(invoice_ids))
    rows = {r["id"]: r for r in await payments_store.invoices_by_id(conn, tenant, ordered)}
    owed = []
    for invoice_id in ordered:
        row = rows.get(invoice_id)
        if row is None or row["status"] != "issued":
            raise InvoiceNotFound(invoice_id=str(invoice_id))
        if row["regie_id"] != regie_id or row["payer_id"] != payer_id:
            raise InvoiceNotPayable(
                "Cette facture relève d'une autre régie ou d'un autre payeur : "
                "elle se règle par un paiement séparé.",
                invoice_id=str(invoice_id),
            )
        owed.append(row)
    return owed


async def _payer_printed(
    conn: Conn, tenant: str, payer_id: uuid.UUID, household_id: uuid.UUID
) -> dict[str, Any]:
    """The payer as the receipt prints it (a named payer's own copy, else the household's)."""
    households = {
        h["household_id"]: h
        for h in await families_store.households_of(conn, tenant, [household_id])
    }
    named = {p["id"]: p for p in await families_store.payers_of(conn, tenant, [payer_id])}
    return payer_copies([payer_id], households, named, {payer_id: household_id})[payer_id]


async def _payer_account(conn: Conn, tenant: str, payer_id: uuid.UUID) -> uuid.UUID | None:
    """The account of a named payer paying alone (a separated parent): only they are told."""
    for payer in await families_store.payers_of(conn, tenant, [payer_id]):
        return payer["account_id"]
    return None


async def reverse_payment_in(
    uow: UnitOfWork, tenant: str, payment_id: uuid.UUID, *, reason: str, now: datetime
) -> dict[str, Any]:
    """Undo a payment (a rejected direct debit, a bounced cheque): the opposite of each of
    its ledger entries (its invoices owe again what it settled; what of its excess was
    deducted from later invoices is owed again by them), the payment marked reversed with
    the reason. Never twice: PaymentAlreadyReversed (409)."""
    conn = uow.conn
    payment = await payments_store.lock_payment(conn, tenant, payment_id)
    if payment is None:
        raise PaymentNotFound()
    if payment["status"] == "reversed":
        raise PaymentAlreadyReversed()
    await credits_store.lock_payers(conn, tenant, [payment["payer_id"]])
    entries = await payments_store.payment_entries(conn, payment_id)
    opposite = [
        {
            "tenant": e["tenant"],
            "regie_id": e["regie_id"],
            "payer_id": e["payer_id"],
            "household_id": e["household_id"],
            "kind": e["kind"],
            "document_id": e["document_id"],
            "related_id": e["related_id"],
            "amount_cents": -e["amount_cents"],
            "at": now,
        }
        for e in entries
    ]
    if opposite:
        await credits_store.append_ledger(conn, opposite)
    await payments_store.reverse_payment_lines(conn, payment_id, now)
    row = await payments_store.mark_reversed(conn, payment_id, reason, now)
    assert row is not None
    invoices = [
        e["document_id"]
        for e in entries
        if e["document_id"] != payment_id and e["kind"] in ("payment", "allocation")
    ]
    return {
        "id": payment_id,
        "number": payment["number"],
        "status": "reversed",
        "amount_cents": payment["amount_cents"],
        "invoice_ids": list(dict.fromkeys(invoices)),
        "reversal_reason": reason,
        "reversed_at": now,
    }


async def start_card_payment(
    uow: UnitOfWork,
    tenant: str,
    *,
    regie_id: uuid.UUID,
    household_id: uuid.UUID,
    payer_id: uuid.UUID,
    account_id: uuid.UUID | None,
    purpose: str,
    invoice_ids: Sequence[uuid.UUID],
    amount_cents: int | None,
    email: str | None,
    now: datetime,
    **options: Any,
) -> dict[str, Any]:
    """Start an online card payment (opens its own unit of work): see usecases/card.py."""
    from billing.usecases import card  # card applies payments through this module

    return await card.start_card_payment(
        uow,
        tenant,
        regie_id=regie_id,
        household_id=household_id,
        payer_id=payer_id,
        account_id=account_id,
        purpose=purpose,
        invoice_ids=invoice_ids,
        amount_cents=amount_cents,
        email=email,
        now=now,
        **options,
    )


# --- counter payments (staff) ------------------------------------------------------------


async def record_counter_payment(
    uow: UnitOfWork, tenant: str, data: Mapping[str, Any], actor: uuid.UUID, *, now: datetime
) -> uuid.UUID:
    """A payment staff take at the counter: cash, cheque (its number and bank), CESU,
    chèques vacances, transfer; spread over the chosen invoices or the oldest unpaid."""
    method = data["method"]
    if method not in COUNTER_METHODS:
        raise ValueError(f"{method!r} is not taken at the counter")
    reference = counter_reference(method, data.get("reference") or {})
    household_id = data["household_id"]
    payer_id = data.get("payer_id") or household_id
    async with uow:
        conn = uow.conn
        if await families_store.get_household(conn, tenant, household_id) is None:
            raise HouseholdNotFound()
        if payer_id != household_id:
            payer = await families_store.get_payer(conn, tenant, payer_id)
            if payer is None or payer["household_id"] != household_id:
                raise PayerNotFound()
        paid = await apply_payment_in(
            uow,
            tenant,
            regie_id=data["regie_id"],
            payer_id=payer_id,
            household_id=household_id,
            method=method,
            amount_cents=data["amount_cents"],
            received_on=data.get("received_on") or local_date(now),
            invoice_ids=data.get("invoice_ids"),
            reference=reference,
            recorded_by=actor,
            now=now,
        )
    payment_id: uuid.UUID = paid["id"]
    return payment_id


async def reverse_payment(
    uow: UnitOfWork, tenant: str, payment_id: uuid.UUID, reason: str, *, now: datetime
) -> dict[str, Any]:
    """Staff undo a payment (a bounced cheque, a payment recorded by mistake)."""
    async with uow:
        return await reverse_payment_in(uow, tenant, payment_id, reason=reason, now=now)


# --- reads -------------------------------------------------------------------------------


async def _with_allocations(conn: Conn, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each payment with how it was spread: its allocations, each with the invoice lines it
    paid (none for a payment recorded before amounts were recorded per line)."""
    by_payment: dict[uuid.UUID, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    paid: dict[tuple[uuid.UUID, int], list[dict[str, Any]]] = {}
    for line in await payments_store.payment_lines(conn, list(by_payment)):
        paid.setdefault((line["payment_id"], line["allocation_position"]), []).append(line)
    for allocation in await payments_store.allocations(conn, list(by_payment)):
        key = (allocation["payment_id"], allocation["position"])
        by_payment[allocation["payment_id"]].append({**allocation, "lines": paid.get(key, [])})
    return [{**r, "allocations": by_payment[r["id"]]} for r in rows]


async def payment(
    conn: Conn, tenant: str, payment_id: uuid.UUID, viewer: Any = None
) -> dict[str, Any]:
    """A payment with how it was spread; a family reads only its own (else not found)."""
    row = await payments_store.get_payment(conn, tenant, payment_id)
    if row is None or (viewer is not None and not viewer.sees(row)):
        raise PaymentNotFound()
    (out,) = await _with_allocations(conn, [row])
    return out


async def payments(
    conn: Conn, tenant: str, filters: dict[str, Any], viewer: Any = None
) -> list[dict[str, Any]]:
    if viewer is not None:
        filters = {**filters, "household_id": viewer.household_id, "payer_ids": viewer.payer_ids}
    return await _with_allocations(conn, await payments_store.list_payments(conn, tenant, filters))


# --- remittance slips --------------------------------------------------------------------


async def create_remittance(
    uow: UnitOfWork,
    tenant: str,
    *,
    regie_id: uuid.UUID,
    method: str,
    payment_ids: Sequence[uuid.UUID] | None,
    received_to: date | None,
    actor: uuid.UUID,
    now: datetime,
) -> uuid.UUID:
    """Gather the régie's recorded payments of one method not yet remitted (those chosen,
    or all received up to a day) on a numbered slip (B-<CODE>-<year>-NNNNNN)."""
    async with uow:
        conn = uow.conn
        regie = await catalog_store.lock_regie(conn, tenant, regie_id)
        if regie is None:
            raise RegieNotFound()
        rows = await payments_store.lock_unremitted(
            conn, tenant, regie_id, method, payment_ids, received_to
        )
        if payment_ids is not None and len(rows) != len(set(payment_ids)):
            raise NothingToRemit(
                "Certains de ces paiements ne peuvent pas être remis : d'un autre mode, "
                "d'une autre régie, annulés ou déjà sur un bordereau."
            )
        if not rows:
            raise NothingToRemit()
        year = local_date(now).year
        seq = await catalog_store.take_numbers(conn, regie_id, year, "remittance", 1)
        remittance_id = uuid.uuid4()
        await payments_store.insert_remittance(
            conn,
            {
                "id": remittance_id,
                "tenant": tenant,
                "regie_id": regie_id,
                "method": method,
                "number": document_number("remittance", regie["code"], year, seq),
                "year": year,
                "seq": seq,
                "total_cents": sum(r["amount_cents"] for r in rows),
                "payment_count": len(rows),
                "regie": regie_copy(regie),
                "created_by": actor,
                "created_at": now,
            },
        )
        await payments_store.remit(conn, remittance_id, [r["id"] for r in rows])
    return remittance_id


async def remittance(conn: Conn, tenant: str, remittance_id: uuid.UUID) -> dict[str, Any]:
    row = await payments_store.get_remittance(conn, tenant, remittance_id)
    if row is None:
        raise RemittanceNotFound()
    row["payments"] = await payments_store.remittance_payments(conn, remittance_id)
    return row


async def remittances(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return await payments_store.list_remittances(conn, tenant, filters)
