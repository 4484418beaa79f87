"""Direct-debit batches and rejections (staff).

A batch collects, on a date, a régie's issued invoices still due whose payer has a mandate
active since before the invoice was issued, each invoice once: every debit is recorded at
once as a payment (method direct_debit) and pre-notified to the family
(billing.DirectDebitAnnounced); the pain.008 file goes to the bank, sealed at rest (it holds
IBANs) and every download is logged in the households' bank details access log.

A rejection (recorded by staff, or imported from the bank's pain.002 report or a CSV)
reverses the debit's payment (the invoice is due again), tells the family
(billing.DirectDebitRejected) and counts against the mandate: the second suspends it
(billing.MandateSuspended) [000]. A debit is rejected once, however often it is reported.

Locks, always in this order: the régie's creditor settings, the payers (advisory), the
mandates, the items. A rejection takes its item first (no batch ever locks an item).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Collection
from datetime import date, datetime
from typing import Any

from billing.domain.direct_debit import (
    Creditor,
    Debit,
    FileRefused,
    PastCollection,
    ReportError,
    collection_date_refusal,
    end_to_end_id,
    pain008,
    parse_report,
    reason_label,
    sequence_type,
)
from billing.domain.documents import local_date
from billing.domain.errors import (
    BatchNotFound,
    DirectDebitFileRefused,
    DirectDebitNotConfigured,
    DirectDebitNotFound,
    InvalidCollectionDate,
    InvalidRejectionReport,
    NothingToCollect,
    RegieNotFound,
)
from billing.domain.mandates import after_rejection
from billing.domain.numbering import document_number
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import direct_debit as dd_store
from billing.store import families as families_store
from billing.usecases import payments
from billing.usecases.mandates import creditor_aad, mandate_aad, mandate_payload, open_account
from shared.uow import UnitOfWork
from shared.vault import Sealed, Vault, aad_for


def batch_aad(tenant: str, batch_id: uuid.UUID) -> bytes:
    return aad_for("billing", "direct_debit_batch", tenant, batch_id)


# --- batches -------------------------------------------------------------------------------


async def run_batch(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    regie_id: uuid.UUID,
    collection_date: date,
    *,
    actor: uuid.UUID,
    now: datetime,
) -> tuple[uuid.UUID, bool]:
    """The batch of what is new to collect on that date: (its id, True); when nothing is new
    and a batch of the régie already falls on that date, (that batch, False) — running it
    again adds nothing twice; NothingToCollect otherwise."""
    async with uow:
        conn = uow.conn
        regie = await catalog_store.get_regie(conn, tenant, regie_id)
        if regie is None:
            raise RegieNotFound()
        settings = await dd_store.lock_creditor(conn, tenant, regie_id)
        if settings is None:
            raise DirectDebitNotConfigured()
        refusal = collection_date_refusal(
            collection_date, local_date(now), settings["prenotification_days"]
        )
        if refusal:
            raise InvalidCollectionDate(
                refusal, errors=[{"field": "collection_date", "detail": refusal}]
            )
        rows = await dd_store.invoices_to_collect(conn, tenant, regie_id)
        if rows:
            # Payers, then mandates, locked; then read again: what a payment or a revocation
            # changed meanwhile is seen.
            await credits_store.lock_payers(
                conn, tenant, sorted({r["payer_id"] for r in rows}, key=str)
            )
            await dd_store.lock_mandates(conn, tenant, sorted({r["mandate_id"] for r in rows}))
            rows = await dd_store.invoices_to_collect(conn, tenant, regie_id)
        if not rows:
            existing = await dd_store.latest_batch_on(conn, tenant, regie_id, collection_date)
            if existing is None:
                raise NothingToCollect()
            return existing, False
        batch_id = await _make_batch(
            uow, vault, tenant, regie, settings, rows, collection_date, actor=actor, now=now
        )
    return batch_id, True


async def _make_batch(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    regie: dict[str, Any],
    settings: dict[str, Any],
    rows: list[dict[str, Any]],
    collection_date: date,
    *,
    actor: uuid.UUID,
    now: datetime,
) -> uuid.UUID:
    conn = uow.conn
    mandate_ids = list(dict.fromkeys(r["mandate_id"] for r in rows))
    mandates = {m["id"]: m for m in await dd_store.mandates_by_id(conn, tenant, mandate_ids)}
    past: dict[uuid.UUID, list[PastCollection]] = defaultdict(list)
    for c in await dd_store.collections_of(conn, mandate_ids):
        past[c["mandate_id"]].append(PastCollection(c["sequence_type"], c["status"] == "rejected"))
    accounts = {
        m_id: open_account(vault, m, mandate_aad(tenant, m_id)) for m_id, m in mandates.items()
    }
    year = local_date(now).year
    seq = await catalog_store.take_numbers(conn, regie["id"], year, "direct_debit_batch", 1)
    number = document_number("direct_debit_batch", regie["code"], year, seq)
    batch_id = uuid.uuid4()
    items: list[dict[str, Any]] = []
    debits: list[Debit] = []
    for position, row in enumerate(rows, start=1):
        mandate = mandates[row["mandate_id"]]
        kind = sequence_type(past[mandate["id"]])
        past[mandate["id"]].append(PastCollection(kind, rejected=False))
        reference = end_to_end_id(number, position)
        items.append(
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                "batch_id": batch_id,
                "position": position,
                "mandate_id": mandate["id"],
                "invoice_id": row["invoice_id"],
                "invoice_number": row["invoice_number"],
                "household_id": row["household_id"],
                "payer_id": row["payer_id"],
                "end_to_end_id": reference,
                "sequence_type": kind,
                "amount_cents": row["remaining_cents"],
            }
        )
        debits.append(
            Debit(
                end_to_end_id=reference,
                amount_cents=row["remaining_cents"],
                sequence_type=kind,
                rum=mandate["rum"],
                signed_on=mandate["signed_on"],
                holder=mandate["holder"],
                account=accounts[mandate["id"]],
                description=f"Facture {row['invoice_number']} - {regie['name']}",
            )
        )
    creditor = Creditor(
        name=settings["creditor_name"],
        creditor_id=settings["creditor_id"],
        account=open_account(vault, settings, creditor_aad(tenant, regie["id"])),
    )
    try:
        # sepaxml builds the file and checks it against the XSD: CPU work, off the loop.
        content, message_id = await asyncio.to_thread(pain008, creditor, collection_date, debits)
    except FileRefused:
        raise DirectDebitFileRefused() from None
    for item in items:
        paid = await payments.apply_payment_in(
            uow,
            tenant,
            regie_id=regie["id"],
            payer_id=item["payer_id"],
            household_id=item["household_id"],
            method="direct_debit",
            amount_cents=item["amount_cents"],
            received_on=collection_date,
            invoice_ids=[item["invoice_id"]],
            reference={
                "batch": number,
                "rum": mandates[item["mandate_id"]]["rum"],
                "end_to_end_id": item["end_to_end_id"],
            },
            recorded_by=None,
            now=now,
        )
        item["payment_id"] = paid["id"]
    sealed = vault.seal(content, batch_aad(tenant, batch_id))
    await dd_store.insert_batch(
        conn,
        {
            "id": batch_id,
            "tenant": tenant,
            "regie_id": regie["id"],
            "number": number,
            "year": year,
            "seq": seq,
            "collection_date": collection_date,
            "item_count": len(items),
            "total_cents": sum(i["amount_cents"] for i in items),
            "message_id": message_id,
            "key_id": sealed.key_id,
            "sealed_file": sealed.blob,
            "created_by": actor,
            "created_at": now,
        },
    )
    await dd_store.insert_items(conn, items)
    payer_accounts = await _payer_accounts(conn, tenant, {i["payer_id"] for i in items})
    for item in items:
        uow.emit(
            "billing.DirectDebitAnnounced",
            _debit_payload(mandates[item["mandate_id"]], item, collection_date, payer_accounts),
            tenant=tenant,
        )
    return batch_id


async def _payer_accounts(
    conn: Conn, tenant: str, payer_ids: set[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """The account of each named payer (a separated parent paying alone: only they are told)."""
    return {
        p["id"]: p["account_id"]
        for p in await families_store.payers_of(conn, tenant, list(payer_ids))
    }


def _debit_payload(
    mandate: dict[str, Any],
    item: dict[str, Any],
    collection_date: date,
    payer_accounts: dict[uuid.UUID, uuid.UUID | None],
    **extra: Any,
) -> dict[str, Any]:
    return mandate_payload(
        mandate,
        payer_account_id=payer_accounts.get(item["payer_id"]),
        invoice_id=item["invoice_id"],
        invoice_number=item["invoice_number"],
        amount_cents=item["amount_cents"],
        collection_date=collection_date,
        **extra,
    )


async def batch(conn: Conn, tenant: str, batch_id: uuid.UUID) -> dict[str, Any]:
    row = await dd_store.get_batch(conn, tenant, batch_id)
    if row is None:
        raise BatchNotFound()
    return {**row, "items": await dd_store.batch_items(conn, batch_id)}


async def household_debits(
    conn: Conn,
    tenant: str,
    household_id: uuid.UUID,
    payer_ids: Collection[uuid.UUID] | None,
    limit: int,
) -> list[dict[str, Any]]:
    """The household's debits, announced (pre-notified) or collected, and rejected ones."""
    return await dd_store.household_items(
        conn, tenant, household_id, None if payer_ids is None else list(payer_ids), limit
    )


async def batches(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return await dd_store.list_batches(conn, tenant, filters)


async def batch_file(
    uow: UnitOfWork,
    vault: Vault,
    tenant: str,
    batch_id: uuid.UUID,
    *,
    actor: uuid.UUID,
    roles: list[str],
    now: datetime,
) -> tuple[str, bytes]:
    """The batch's pain.008 file (its name, its bytes), opened from the vault; the download
    is written in the access log of every household it debits, in the same transaction."""
    async with uow:
        row = await dd_store.batch_file(uow.conn, tenant, batch_id)
        if row is None:
            raise BatchNotFound()
        content = vault.open(Sealed(row["key_id"], row["sealed_file"]), batch_aad(tenant, batch_id))
        await dd_store.log_access(
            uow.conn,
            [
                {
                    "tenant": tenant,
                    "household_id": h["household_id"],
                    "mandate_id": h["mandate_id"],
                    "batch_id": batch_id,
                    "account_id": actor,
                    "roles": roles,
                    "purpose": "pain008",
                    "accessed_at": now,
                }
                for h in await dd_store.batch_households(uow.conn, batch_id)
            ],
        )
    return f"{row['number']}.xml", content


# --- rejections ----------------------------------------------------------------------------


async def record_rejection(
    uow: UnitOfWork,
    tenant: str,
    *,
    item_id: uuid.UUID | None,
    invoice_id: uuid.UUID | None,
    reason_code: str,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """Staff record one rejection, of a debit or of the invoice it collected. Recorded again:
    `applied` False, nothing changes."""
    by, value = ("item_id", item_id) if item_id is not None else ("invoice_id", invoice_id)
    async with uow:
        found = await dd_store.find_items(uow.conn, tenant, by, [value])
        if not found:
            raise DirectDebitNotFound()
        applied = await _reject_all(uow, tenant, found, reason_code.upper(), "staff", actor, now)
        (item,) = await dd_store.find_items(uow.conn, tenant, "item_id", [found[0]["id"]])
        mandate = await dd_store.get_mandate(uow.conn, tenant, item["mandate_id"])
    return {"applied": bool(applied), "item": item, "mandate": mandate}


async def import_rejections(
    uow: UnitOfWork, tenant: str, content: bytes, *, actor: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """The bank's report of rejections (pain.002 XML or CSV), applied in one transaction:
    the debits rejected now, those rejected before (unchanged) and the references that
    match no debit of the tenant (reported, not guessed)."""
    try:
        reported = parse_report(content)
    except ReportError as exc:
        raise InvalidRejectionReport(
            str(exc), errors=[{"field": "file", "detail": str(exc)}]
        ) from None
    source = "pain002" if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") else "csv"
    async with uow:
        conn = uow.conn
        codes: dict[uuid.UUID, str] = {}
        items: dict[uuid.UUID, dict[str, Any]] = {}
        unmatched: list[str] = []
        for by in ("end_to_end_id", "invoice_number", "message_id"):
            wanted = {getattr(r, by): r.reason_code for r in reported if getattr(r, by)}
            if not wanted:
                continue
            found = await dd_store.find_items(conn, tenant, by, list(wanted))
            matched = {item[by] for item in found}
            unmatched.extend(ref for ref in wanted if ref not in matched)
            for item in found:
                items.setdefault(item["id"], item)
                codes.setdefault(item["id"], wanted[item[by]])
        before = [i["end_to_end_id"] for i in items.values() if i["status"] == "rejected"]
        todo = [i for i in items.values() if i["status"] != "rejected"]
        applied_ids = await _reject_all(uow, tenant, todo, codes, source, actor, now)
        applied = (
            await dd_store.find_items(conn, tenant, "item_id", applied_ids) if applied_ids else []
        )
    return {"applied": applied, "already_rejected": before, "unmatched": unmatched}


async def _reject_all(
    uow: UnitOfWork,
    tenant: str,
    items: list[dict[str, Any]],
    codes: str | dict[uuid.UUID, str],
    source: str,
    actor: uuid.UUID,
    now: datetime,
) -> list[uuid.UUID]:
    """Apply the rejection of each item not rejected yet; the ids of those applied now."""
    conn = uow.conn
    if not items:
        return []
    await credits_store.lock_payers(conn, tenant, sorted({i["payer_id"] for i in items}, key=str))
    await dd_store.lock_mandates(conn, tenant, sorted({i["mandate_id"] for i in items}))
    payer_accounts = await _payer_accounts(conn, tenant, {i["payer_id"] for i in items})
    applied = []
    for item in sorted(items, key=lambda i: (i["batch_number"], i["position"])):
        code = codes if isinstance(codes, str) else codes[item["id"]]
        if await _reject(uow, tenant, item, code, source, actor, now, payer_accounts):
            applied.append(item["id"])
    return applied


async def _reject(
    uow: UnitOfWork,
    tenant: str,
    item: dict[str, Any],
    code: str,
    source: str,
    actor: uuid.UUID,
    now: datetime,
    payer_accounts: dict[uuid.UUID, uuid.UUID | None],
) -> bool:
    conn = uow.conn
    if await dd_store.lock_item(conn, item["id"]) == "rejected":
        return False
    label = reason_label(code)
    recorded = await dd_store.insert_rejection(
        conn,
        {
            "tenant": tenant,
            "item_id": item["id"],
            "reason_code": code,
            "reason_label": label,
            "source": source,
            "recorded_by": actor,
            "recorded_at": now,
        },
    )
    if not recorded:
        return False
    await payments.reverse_payment_in(
        uow,
        tenant,
        item["payment_id"],
        reason=f"Prélèvement rejeté par la banque : {code} ({label})",
        now=now,
    )
    mandate = await dd_store.get_mandate(conn, tenant, item["mandate_id"])
    assert mandate is not None
    outcome = after_rejection(mandate["status"], mandate["rejections"])
    await dd_store.count_rejection(
        conn, mandate["id"], rejections=outcome.rejections, suspend=outcome.suspended, now=now
    )
    uow.emit(
        "billing.DirectDebitRejected",
        _debit_payload(
            mandate,
            item,
            item["collection_date"],
            payer_accounts,
            reason_code=code,
            reason_label=label,
            rejections=outcome.rejections,
        ),
        tenant=tenant,
    )
    if outcome.suspended:
        uow.emit(
            "billing.MandateSuspended",
            mandate_payload(mandate, rejections=outcome.rejections),
            tenant=tenant,
        )
    return True
