"""Certificates as PDF, a page per régie (domain/certificates.py says what each certifies):
attendance of a child over a period, payments over a period (the invoices and what settled
them, the payments received), and the yearly childcare expenses for the tax credit. Reads:
no unit of work. `payer_ids` narrows the documents to
those payers' (a separated parent's own; None: the household's, for staff)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from billing import store
from billing.domain.certificates import (
    PAYMENTS_NOTE,
    TAX_CREDIT_NOTE,
    attendance_by_regie,
    childcare_by_regie,
    period_title,
)
from billing.domain.documents import named_payer_copy, payer_copy, regie_copy
from billing.domain.errors import ChildNotFound, InvalidPeriod, NothingToCertify
from billing.domain.payments import LABELS as PAYMENT_LABELS
from billing.render import PdfRenderer, logo_uri
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import families as families_store
from billing.store import payments as payments_store
from billing.store import reports as reports_store
from billing.usecases.pdfs import Pdf


async def _issuers(conn: Conn, tenant: str, regie_ids: Iterable[uuid.UUID]) -> list[dict[str, Any]]:
    """The régies that certify, with their logos, in a stable order (by name)."""
    pages = []
    for regie_id in set(regie_ids):
        regie = await catalog_store.get_regie(conn, tenant, regie_id)
        if regie is None:
            continue
        logo = await catalog_store.regie_logo(conn, tenant, regie_id)
        pages.append(
            {
                "regie_id": regie_id,
                "regie": regie_copy(regie),
                "logo": logo_uri(logo["logo"], logo["logo_type"]) if logo else None,
            }
        )
    return sorted(pages, key=lambda p: (p["regie"]["name"], str(p["regie_id"])))


async def _addressee(
    conn: Conn, tenant: str, household_id: uuid.UUID, payer_ids: Sequence[uuid.UUID] | None
) -> dict[str, Any]:
    """Whom the certificate is made out to: the named payer it is about (a separated parent,
    for their own share), else the household's billing contact."""
    named = [p for p in payer_ids or () if p != household_id]
    if named:
        payer = await families_store.get_payer(conn, tenant, sorted(named, key=str)[0])
        if payer is not None:
            return named_payer_copy(payer)
    return payer_copy(await families_store.get_household(conn, tenant, household_id))


async def attendance_certificate(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    household_id: uuid.UUID,
    query: dict[str, Any],
    *,
    today: date,
) -> Pdf:
    """The days a child of the household was present, per activity, over a period."""
    child = await families_store.get_child(conn, tenant, query["child_id"])
    if child is None or child["household_id"] != household_id:
        raise ChildNotFound()
    start, end = query["start"], query["end"]
    if end < start:
        raise InvalidPeriod()
    days = await reports_store.present_days(
        conn, tenant, child["child_id"], start, end, query.get("activity_id")
    )
    by_regie = attendance_by_regie(days)
    if not by_regie:
        raise NothingToCertify("Aucune présence n'a été pointée pour cet enfant sur la période.")
    pages = []
    for page in await _issuers(conn, tenant, by_regie):
        items = by_regie[page["regie_id"]]
        pages.append({**page, "rows": items, "total_days": sum(i.count for i in items)})
    name = f"{child['first_name']} {child['last_name']}".strip()
    context = {
        "kind": "attendance",
        "title": "Attestation de présence",
        "subtitle": f"Période {period_title(start, end)}",
        "period": period_title(start, end),
        "child": name,
        "birth_date": child["birth_date"],
        "addressee": payer_copy(await families_store.get_household(conn, tenant, household_id)),
        "pages": pages,
        "note": None,
        "issued_on": today,
        "footer": f"Attestation de présence — {name}",
    }
    content = await renderer.render("certificate.html.j2", context)
    return Pdf(f"attestation-presence-{start:%Y%m%d}-{end:%Y%m%d}.pdf", content)


async def payments_certificate(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    household_id: uuid.UUID,
    query: dict[str, Any],
    *,
    payer_ids: Sequence[uuid.UUID] | None,
    today: date,
) -> Pdf:
    """The invoices issued over a period and what settled them, and the payments received
    over the period (reversed ones left out)."""
    start, end = query["start"], query["end"]
    if end < start:
        raise InvalidPeriod()
    received: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for payment in await payments_store.list_payments(
        conn,
        tenant,
        {
            "household_id": household_id,
            "payer_ids": payer_ids,
            "received_from": start,
            "received_to": end,
            "status": "recorded",
            "limit": 10_000,
        },
    ):
        received[payment["regie_id"]].append(
            {**payment, "method_label": PAYMENT_LABELS.get(payment["method"], payment["method"])}
        )
    rows = await store.list_invoices(
        conn,
        tenant,
        {
            "household_id": household_id,
            "payer_ids": payer_ids,
            "issued_from": start,
            "issued_to": end,
            "limit": 10_000,
        },
    )
    if not rows and not received:
        raise NothingToCertify("Aucune facture n'a été émise sur la période.")
    by_regie: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: (r["issue_date"], r["number"])):
        by_regie[row["regie_id"]].append(row)
    pages = []
    for page in await _issuers(conn, tenant, {*by_regie, *received}):
        items = by_regie.get(page["regie_id"], [])
        credit = sum(i["credit_cents"] for i in items)
        paid = sum(i["paid_cents"] for i in items)
        payments = sorted(received.get(page["regie_id"], []), key=lambda p: p["number"])
        pages.append(
            {
                **page,
                "rows": items,
                "payments": payments,
                "received_cents": sum(p["amount_cents"] for p in payments),
                "total_cents": sum(i["total_cents"] for i in items),
                "credit_cents": credit,
                "paid_cents": paid,
                "settled_cents": credit + paid,
                "remaining_cents": sum(i["remaining_cents"] for i in items),
            }
        )
    addressee = await _addressee(conn, tenant, household_id, payer_ids)
    context = {
        "kind": "payments",
        "title": "Attestation de paiement",
        "subtitle": f"Factures émises {period_title(start, end)}",
        "period": period_title(start, end),
        "addressee": addressee,
        "pages": pages,
        "note": PAYMENTS_NOTE,
        "issued_on": today,
        "footer": f"Attestation de paiement — {addressee['name']}",
    }
    content = await renderer.render("certificate.html.j2", context)
    return Pdf(f"attestation-paiement-{start:%Y%m%d}-{end:%Y%m%d}.pdf", content)


async def childcare_certificate(
    conn: Conn,
    renderer: PdfRenderer,
    tenant: str,
    household_id: uuid.UUID,
    year: int,
    *,
    payer_ids: Sequence[uuid.UUID] | None,
    today: date,
) -> Pdf:
    """The childcare expenses of a calendar year per child under 6, for the tax credit."""
    children = {
        c["child_id"]: c
        for c in await families_store.household_children(conn, tenant, [household_id])
    }
    amounts = await reports_store.childcare_amounts(conn, tenant, household_id, year, payer_ids)
    by_regie = childcare_by_regie(amounts, children, year)
    if not by_regie:
        raise NothingToCertify(
            f"Aucuns frais de garde d'enfant de moins de 6 ans n'ont été facturés en {year}."
        )
    pages = []
    for page in await _issuers(conn, tenant, by_regie):
        items = by_regie[page["regie_id"]]
        pages.append({**page, "rows": items, "total_cents": sum(i.net_cents for i in items)})
    addressee = await _addressee(conn, tenant, household_id, payer_ids)
    context = {
        "kind": "childcare",
        "title": f"Attestation fiscale {year} — frais de garde des enfants de moins de 6 ans",
        "subtitle": "Crédit d'impôt pour frais de garde des jeunes enfants "
        "(article 200 quater B du code général des impôts)",
        "year": year,
        "addressee": addressee,
        "pages": pages,
        "note": TAX_CREDIT_NOTE,
        "issued_on": today,
        "footer": f"Attestation fiscale {year} — {addressee['name']}",
    }
    content = await renderer.render("certificate.html.j2", context)
    return Pdf(f"attestation-fiscale-{year}.pdf", content)
