"""The accounting export of a régie for a period (domain/accounting.py says what it holds):
a read, no unit of work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from billing import store
from billing.domain.accounting import csv_bytes
from billing.domain.errors import InvalidPeriod, RegieNotFound
from billing.store import Conn


@dataclass(frozen=True)
class Export:
    filename: str
    content: bytes


async def accounting_csv(
    conn: Conn, tenant: str, regie_id: uuid.UUID, start: date, end: date
) -> Export:
    if end < start:
        raise InvalidPeriod()
    regie = await store.get_regie(conn, tenant, regie_id)
    if regie is None:
        raise RegieNotFound()
    entries = await store.accounting_entries(conn, tenant, regie_id, start, end)
    return Export(
        f"export-comptable-{regie['code']}-{start:%Y%m%d}-{end:%Y%m%d}.csv",
        csv_bytes(regie["code"], entries),
    )
