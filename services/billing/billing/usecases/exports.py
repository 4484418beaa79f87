"""The accounting export of a régie for a period (domain/accounting.py says what it holds):
its documents and what settled them; a read, no unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from billing.domain.accounting import csv_bytes
from billing.domain.errors import InvalidPeriod, RegieNotFound
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import payments as payments_store
from billing.store import reports as reports_store


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes


async def accounting_csv(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> Export:
    if end < start:
        raise InvalidPeriod()
    regie = await catalog_store.get_regie(conn, tenant, regie_id)
    if regie is None:
        raise RegieNotFound()
    entries = await reports_store.accounting_entries(conn, tenant, regie_id, start, end)
    # What settled them (payments, their excess deducted, reversals, refunds), day by day
    # after the documents of the day, an excess deducted under its invoice; the sort is
    # stable: rows of one rank keep their query's order.
    entries += await payments_store.accounting_payment_entries(conn, tenant, regie_id, start, end)
    entries.sort(key=lambda e: (e["issue_date"], e["doc_rank"], e["number"], e["rank"]))
    return Export(
        f"export-comptable-{regie['code']}-{start:%Y%m%d}-{end:%Y%m%d}.csv",
        csv_bytes(regie["code"], entries),
    )
