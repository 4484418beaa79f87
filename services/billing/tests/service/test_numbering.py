"""Gapless numbering per régie, year and kind: concurrent finalisations on parallel
connections never give a gap or a duplicate; a rolled-back finalisation gives its number
back; numbers restart each year and per régie."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

import asyncpg
import pytest

from billing import store
from billing.store import bookings as bookings_store
from billing.usecases.documents import finalise_invoice
from shared.uow import UnitOfWork

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)


async def drafts(billing, regie_id, count):
    """`count` draft invoices of a régie, one charged day each."""
    ids = []
    async with billing.pool.acquire() as conn:
        for _ in range(count):
            household = uuid.uuid4()
            invoice = await store.new_draft(conn, "epagny", regie_id, household, "basket")
            booking_id = uuid.uuid4()
            await bookings_store.record_booked(
                conn,
                "epagny",
                [
                    {
                        "booking_id": booking_id,
                        "household_id": household,
                        "child_id": uuid.uuid4(),
                        "child_name": "Léa",
                        "activity_id": uuid.uuid4(),
                        "activity_name": "Cantine",
                        "day": date(2026, 9, 3),
                        "late": False,
                        "basket_id": None,
                    }
                ],
            )
            charge = {
                "booking_id": booking_id,
                "invoice_id": invoice["id"],
                "unit": "meal",
                "unit_cents": 415,
                "quantity": 1,
                "bracket": "QF ≥ 801",
                "qf": 900,
                "rank": 1,
                "grid_id": None,
            }
            await store.insert_charges(conn, "epagny", [charge])
            ids.append(invoice["id"])
    return ids


async def finalise(billing, invoice_id, now=NOW, fail=False):
    uow = UnitOfWork.on(billing.pool, producer="billing", tenant="epagny")
    async with uow:
        invoice = await store.lock_invoice(uow.conn, invoice_id)
        issued = await finalise_invoice(uow, invoice, now=now)
        # Hold the counter row a little: the others must wait, not skip or repeat.
        await asyncio.sleep(0.01)
        if fail:
            raise RuntimeError("the finalisation fails after taking its number")
    return issued["number"]


async def test_concurrent_finalisations_never_give_a_gap_or_a_duplicate(billing):
    regie = await billing.regie()
    ids = await drafts(billing, uuid.UUID(regie["id"]), 24)
    results = await asyncio.gather(
        *(finalise(billing, i) for i in ids[:12]),
        *(finalise(billing, i, fail=True) for i in ids[12:18]),
        return_exceptions=True,
    )
    numbers = [r for r in results if isinstance(r, str)]
    assert len(numbers) == 12 and all(isinstance(r, RuntimeError) for r in results[12:])
    assert sorted(numbers) == [f"F-CANTINE-2026-{n:06d}" for n in range(1, 13)]
    # The failed ones gave their numbers back: the next ones follow without a gap.
    more = await asyncio.gather(*(finalise(billing, i) for i in ids[12:]))
    assert sorted(more) == [f"F-CANTINE-2026-{n:06d}" for n in range(13, 25)]
    seqs = await billing.pool.fetch("SELECT seq FROM invoices WHERE number IS NOT NULL")
    assert sorted(r["seq"] for r in seqs) == list(range(1, 25))


async def test_numbers_are_per_regie_and_per_year(billing):
    cantine = await billing.regie()
    creche = await billing.regie(code="CRECHE", name="Régie petite enfance")
    [a, b] = await drafts(billing, uuid.UUID(cantine["id"]), 2)
    [c] = await drafts(billing, uuid.UUID(creche["id"]), 1)
    assert await finalise(billing, a) == "F-CANTINE-2026-000001"
    assert await finalise(billing, c) == "F-CRECHE-2026-000001"
    new_year = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)
    assert await finalise(billing, b, now=new_year) == "F-CANTINE-2027-000001"


async def test_an_issued_invoice_never_changes_and_the_ledger_only_grows(billing):
    regie = await billing.regie()
    [a] = await drafts(billing, uuid.UUID(regie["id"]), 1)
    await finalise(billing, a)

    with pytest.raises(asyncpg.RaiseError, match="never changes"):
        await billing.pool.execute("UPDATE invoices SET total_cents = 1 WHERE id = $1", a)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await billing.pool.execute("DELETE FROM ledger")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await billing.pool.execute("UPDATE ledger SET amount_cents = 0")
