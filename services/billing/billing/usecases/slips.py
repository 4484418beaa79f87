"""Payment documents: a payment's receipt as a PDF, a remittance slip as a CSV and a PDF.
Reads: no unit of work."""

from __future__ import annotations

import uuid
from typing import Any

from billing.domain.accounting import remittance_csv as csv_of
from billing.domain.documents import Viewer, local_date
from billing.domain.payments import LABELS, reference_text
from billing.render import PdfRenderer
from billing.store import Conn
from billing.usecases import payments
from billing.usecases.exports import Export
from billing.usecases.pdfs import Pdf, _logo


async def receipt_pdf(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    payment_id: uuid.UUID,
    viewer: Viewer | None = None,
) -> Pdf:
    row = await payments.payment(conn, tenant, payment_id, viewer)
    context = {
        **row,
        "payer": row["payer"],
        "regie": row["regie"],
        "logo": await _logo(conn, tenant, row["regie_id"]),
        "method_label": LABELS.get(row["method"], row["method"]),
        "reference_text": reference_text(row["method"], row["reference"]),
        "reversed_on": local_date(row["reversed_at"]) if row["reversed_at"] else None,
        "footer": f"Reçu n° {row['number']} — {row['regie'].get('name') or ''}",
    }
    content = await renderer.render("receipt.html.j2", context)
    return Pdf(f"recu-{row['number']}.pdf", content)


def _slip_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            **r,
            "payer_name": (r.get("payer") or {}).get("name") or "",
            "reference_text": reference_text(r["method"], r.get("reference") or {}),
        }
        for r in rows
    ]


async def remittance_csv(conn: Conn, tenant: str, remittance_id: uuid.UUID) -> Export:
    row = await payments.remittance(conn, tenant, remittance_id)
    return Export(f"bordereau-{row['number']}.csv", csv_of(row, row["payments"]))


async def remittance_pdf(
    conn: Conn, renderer: PdfRenderer, tenant: str, remittance_id: uuid.UUID
) -> Pdf:
    row = await payments.remittance(conn, tenant, remittance_id)
    context = {
        **row,
        "regie": row["regie"],
        "payments": _slip_rows(row["payments"]),
        "logo": await _logo(conn, tenant, row["regie_id"]),
        "method_label": LABELS.get(row["method"], row["method"]),
        "created_on": local_date(row["created_at"]),
        "footer": f"Bordereau de remise n° {row['number']} — {row['regie'].get('name') or ''}",
    }
    content = await renderer.render("remittance.html.j2", context)
    return Pdf(f"bordereau-{row['number']}.pdf", content)
