"""Documents as PDF: an issued invoice or a credit note as the payer downloads it (the régie's
name, address and logo, the payer's copy, lines per child, totals, legal mentions). Reads: no
unit of work; who may read what is decided as for the documents themselves."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from billing.domain.documents import Viewer
from billing.domain.sheets import credit_note_sheet, invoice_sheet
from billing.render import PdfRenderer, logo_uri
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.usecases import invoices


@dataclass(frozen=True)
class Pdf:
    filename: str
    content: bytes


async def _logo(conn: Conn, tenant: str, regie_id: uuid.UUID) -> str | None:
    row = await catalog_store.regie_logo(conn, tenant, regie_id)
    return logo_uri(row["logo"], row["logo_type"]) if row else None


def _footer(title: str, number: str, regie: dict[str, Any]) -> str:
    return f"{title} n° {number} — {regie.get('name') or ''}"


async def invoice_pdf(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    invoice_id: uuid.UUID,
    viewer: Viewer | None = None,
) -> Pdf:
    """`viewer`: a family's (its own documents only); None for staff."""
    row = await invoices.invoice(conn, tenant, invoice_id, viewer)
    sheet = invoice_sheet(row, row["lines"])
    context = {
        **sheet,
        "logo": await _logo(conn, tenant, row["regie_id"]),
        "footer": _footer("Facture", row["number"], sheet["regie"]),
    }
    content = await renderer.render("invoice.html.j2", context)
    return Pdf(f"facture-{row['number']}.pdf", content)


async def credit_note_pdf(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    credit_note_id: uuid.UUID,
    viewer: Viewer | None = None,
) -> Pdf:
    row = await invoices.credit_note(conn, tenant, credit_note_id, viewer)
    sheet = credit_note_sheet(row, row["lines"], row["allocations"])
    context = {
        **sheet,
        "logo": await _logo(conn, tenant, row["regie_id"]),
        "footer": _footer("Avoir", row["number"], sheet["regie"]),
    }
    content = await renderer.render("credit_note.html.j2", context)
    return Pdf(f"avoir-{row['number']}.pdf", content)
