"""Reminders of unpaid invoices and their recovery (domain/reminders.py says the rules).

- Each régie's reminder schedule, set by staff.
- `send_reminders`: every issued invoice still owing something past its due date plus the
  offset of its next level gets that reminder, recorded once per invoice and level, and
  billing.InvoiceReminded (notify emails it). Called alike by the sweeper, the
  `send-reminders` command and staff's "run now"; it works in chunks of invoices, one
  transaction each, so that thousands of overdue invoices never make one long transaction.
- Overdue invoices and households for staff (reads).
- Collection dockets: after the last reminder (and the days the régie sets), staff send a
  régie's unpaid invoices to recovery by the treasury; each is then in recovery for good.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from billing import store
from billing.domain.documents import Viewer, local_date, payer_copies, regie_copy
from billing.domain.errors import (
    DocketNotFound,
    InvoiceNotFound,
    NoReminderSchedule,
    NothingToRecover,
    NotRecoverable,
    RegieNotFound,
)
from billing.domain.reminders import (
    LastReminder,
    Schedule,
    amount_due,
    days_late,
    docket_csv,
    docket_number,
    next_level,
    recoverable,
)
from billing.render import PdfRenderer, logo_uri
from billing.store import Conn
from billing.store import catalog as catalog_store
from billing.store import credits as credits_store
from billing.store import families as families_store
from billing.store import reminders as rstore
from shared.logging import get_logger
from shared.uow import UnitOfWork

log = get_logger(__name__)


# --- schedules ---------------------------------------------------------------------------


def schedule_of(row: dict[str, Any] | None) -> Schedule:
    """A régie's schedule; a régie that has none sends no reminder."""
    if row is None or row.get("offsets_days") is None:
        return Schedule()
    return Schedule(
        offsets_days=tuple(row["offsets_days"]),
        minimum_cents=row["minimum_cents"],
        recovery_after_days=row["recovery_after_days"],
    )


def _schedule_out(regie_id: uuid.UUID, row: dict[str, Any] | None) -> dict[str, Any]:
    schedule = schedule_of(row)
    return {
        "regie_id": regie_id,
        "offsets_days": list(schedule.offsets_days),
        "minimum_cents": schedule.minimum_cents,
        "recovery_after_days": schedule.recovery_after_days,
        "configured": row is not None,
        "updated_at": row["updated_at"] if row else None,
    }


async def schedule(conn: Conn, tenant: str, regie_id: uuid.UUID) -> dict[str, Any]:
    if await catalog_store.get_regie(conn, tenant, regie_id) is None:
        raise RegieNotFound()
    return _schedule_out(regie_id, await rstore.get_schedule(conn, tenant, regie_id))


async def set_schedule(
    uow: UnitOfWork,
    tenant: str,
    regie_id: uuid.UUID,
    data: dict[str, Any],
    actor: uuid.UUID,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The schedule applies from the next run: reminders sent stay as they were."""
    async with uow:
        if await catalog_store.get_regie(uow.conn, tenant, regie_id) is None:
            raise RegieNotFound()
        row = await rstore.upsert_schedule(uow.conn, tenant, regie_id, data, actor, now)
    return _schedule_out(regie_id, row)


# --- sending reminders -------------------------------------------------------------------


def _last(state: dict[str, Any]) -> LastReminder | None:
    if state["last_level"] is None:
        return None
    return LastReminder(state["last_level"], state["last_reminded_on"])


def _due(state: dict[str, Any]) -> int:
    return amount_due(state["remaining_cents"], state["pending_credit_cents"])


def _plan(states: Iterable[dict[str, Any]], today: date) -> list[tuple[dict[str, Any], int]]:
    """The invoices that get a reminder today, with its level."""
    planned = []
    for state in states:
        level = next_level(
            schedule_of(state),
            due_date=state["due_date"],
            amount_due_cents=_due(state),
            last=_last(state),
            in_recovery=state["in_recovery"],
            today=today,
        )
        if level is not None:
            planned.append((state, level))
    return planned


def _sent(state: dict[str, Any], level: int) -> dict[str, Any]:
    return {
        "invoice_id": state["id"],
        "tenant": state["tenant"],
        "regie_id": state["regie_id"],
        "household_id": state["household_id"],
        "number": state["number"],
        "due_date": state["due_date"],
        "level": level,
        "last": schedule_of(state).is_last(level),
        "amount_due_cents": _due(state),
    }


def _event(state: dict[str, Any], level: int) -> dict[str, Any]:
    return {
        "invoice_id": state["id"],
        "regie_id": state["regie_id"],
        "regie_name": state["regie_name"],
        "household_id": state["household_id"],
        "payer_id": state["payer_id"],
        "payer_account_id": state["payer_account_id"],
        "number": state["number"],
        "issue_date": state["issue_date"],
        "due_date": state["due_date"],
        "total_cents": state["total_cents"],
        "amount_due_cents": _due(state),
        "level": level,
        "last": schedule_of(state).is_last(level),
    }


async def _lock_payers_in(uow: UnitOfWork, states: Iterable[dict[str, Any]]) -> None:
    """Take the lock of the invoices' payers, the one every payment (any method), its
    reversal and the issuing of invoices take: whatever they change about these invoices is
    committed before the caller reads them again, or waits for its commit. Tenants in
    order, payers in order (credits_store.lock_payers): never a deadlock between two runs."""
    by_tenant: dict[str, set[uuid.UUID]] = defaultdict(set)
    for state in states:
        by_tenant[state["tenant"]].add(state["payer_id"])
    for tenant in sorted(by_tenant):
        await credits_store.lock_payers(uow.conn, tenant, sorted(by_tenant[tenant], key=str))


async def _remind_chunk_in(
    uow: UnitOfWork, chunk: list[uuid.UUID], *, today: date, now: datetime
) -> list[dict[str, Any]]:
    """Remind what is due in a chunk of invoices, inside the caller's unit of work. The
    payers of the invoices to remind are locked, then the invoices read again, so that a
    payment or a docket committed meanwhile is seen; the (invoice, level) key makes a second
    reminder of a level impossible, whoever else runs."""
    conn = uow.conn
    planned = _plan(await rstore.invoice_states(conn, chunk), today)
    if not planned:
        return []
    await _lock_payers_in(uow, [state for state, _ in planned])
    planned = _plan(await rstore.invoice_states(conn, [s["id"] for s, _ in planned]), today)
    inserted = await rstore.insert_reminders(
        conn,
        [
            {
                "invoice_id": state["id"],
                "level": level,
                "tenant": state["tenant"],
                "regie_id": state["regie_id"],
                "household_id": state["household_id"],
                "payer_id": state["payer_id"],
                "reminded_on": today,
                "amount_due_cents": _due(state),
                "last": schedule_of(state).is_last(level),
                "at": now,
            }
            for state, level in planned
        ],
    )
    new = {(r["invoice_id"], r["level"]) for r in inserted}
    sent = []
    for state, level in planned:
        if (state["id"], level) not in new:
            continue  # another run recorded it first
        uow.emit("billing.InvoiceReminded", _event(state, level), tenant=state["tenant"])
        sent.append(_sent(state, level))
    return sent


@dataclass(frozen=True)
class Run:
    today: date
    dry_run: bool
    reminders: list[dict[str, Any]]


async def send_reminders(
    new_uow: Callable[[], UnitOfWork],
    pool: asyncpg.Pool,
    *,
    now: datetime,
    tenant: str | None = None,
    regie_id: uuid.UUID | None = None,
    batch_size: int = 200,
    dry_run: bool = False,
) -> Run:
    """Send every reminder due today (Europe/Paris) to one tenant's invoices (None: every
    tenant's, the sweeper), in chunks of `batch_size` invoices, one transaction each.
    `dry_run`: what would be sent, nothing written."""
    today = local_date(now)
    after: uuid.UUID | None = None
    reminders: list[dict[str, Any]] = []
    while True:
        if dry_run:
            chunk = await rstore.reminder_chunk(
                pool, tenant=tenant, regie_id=regie_id, today=today, after=after, limit=batch_size
            )
            states = await rstore.invoice_states(pool, chunk) if chunk else []
            reminders.extend(_sent(s, level) for s, level in _plan(states, today))
        else:
            uow = new_uow()
            async with uow:
                chunk = await rstore.reminder_chunk(
                    uow.conn,
                    tenant=tenant,
                    regie_id=regie_id,
                    today=today,
                    after=after,
                    limit=batch_size,
                )
                if chunk:
                    reminders.extend(await _remind_chunk_in(uow, chunk, today=today, now=now))
        if len(chunk) < batch_size:
            break
        after = chunk[-1]
    if reminders and not dry_run:
        log.info("invoices_reminded", count=len(reminders), tenant=tenant, today=str(today))
    return Run(today, dry_run, reminders)


# --- overdue invoices --------------------------------------------------------------------


def _overdue_out(row: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        **row,
        "invoice_id": row["id"],
        "payer_name": (row["payer"] or {}).get("name"),
        "days_late": days_late(row["due_date"], today),
        "last_reminder_level": row["last_level"],
        "last_reminded_on": row["last_reminded_on"],
    }


async def overdue_invoices(
    conn: Conn, tenant: str, filters: dict[str, Any], *, today: date
) -> dict[str, Any]:
    rows = await rstore.overdue_invoices(conn, tenant, today, filters)
    return {
        "today": today,
        "total": rows[0]["total_count"] if rows else 0,
        "invoices": [_overdue_out(r, today) for r in rows],
    }


async def overdue_households(
    conn: Conn, tenant: str, filters: dict[str, Any], *, today: date
) -> dict[str, Any]:
    rows = await rstore.overdue_households(conn, tenant, today, filters)
    return {
        "today": today,
        "total": rows[0]["total_count"] if rows else 0,
        "households": [{**r, "days_late": days_late(r["oldest_due_date"], today)} for r in rows],
    }


async def invoice_reminders(
    conn: Conn, tenant: str, invoice_id: uuid.UUID, viewer: Viewer | None
) -> dict[str, Any]:
    """The reminders of an invoice and whether it went to recovery (a family: its own
    invoices only; another's is not found)."""
    invoice = await store.get_invoice(conn, tenant, invoice_id)
    if invoice is None or invoice["status"] != "issued":
        raise InvoiceNotFound()
    if viewer is not None and not viewer.sees(invoice):
        raise InvoiceNotFound()
    return {
        "invoice_id": invoice_id,
        "reminders": await rstore.invoice_reminders(conn, tenant, [invoice_id]),
        "in_recovery": bool(await rstore.in_recovery(conn, [invoice_id])),
    }


# --- recovery ----------------------------------------------------------------------------


def _recoverable(states: Iterable[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return [
        s
        for s in states
        if recoverable(
            schedule_of(s),
            due_date=s["due_date"],
            amount_due_cents=_due(s),
            last=_last(s),
            in_recovery=s["in_recovery"],
            today=today,
        )
    ]


def _candidate_out(state: dict[str, Any], today: date) -> dict[str, Any]:
    return {**_overdue_out(state, today), "amount_due_cents": _due(state)}


async def recoverable_invoices(
    conn: Conn, tenant: str, regie_id: uuid.UUID, *, today: date
) -> list[dict[str, Any]]:
    """The régie's invoices that may go to recovery today (what a docket would take)."""
    if await catalog_store.get_regie(conn, tenant, regie_id) is None:
        raise RegieNotFound()
    states = await rstore.recovery_candidates(conn, tenant, regie_id, today)
    return [_candidate_out(s, today) for s in _recoverable(states, today)]


async def _debtors(conn: Conn, tenant: str, states: list[dict[str, Any]]) -> dict[uuid.UUID, Any]:
    """Each payer as the treasury must find them: their current name and address (a move
    since the invoice counts), else as the invoice printed them."""
    household_of = {s["payer_id"]: s["household_id"] for s in states}
    households = {
        h["household_id"]: h
        for h in await families_store.households_of(conn, tenant, list(set(household_of.values())))
    }
    named = {p["id"]: p for p in await families_store.payers_of(conn, tenant, list(household_of))}
    current = payer_copies(household_of, households, named, household_of)
    printed = {s["payer_id"]: s["payer"] or {} for s in states}
    return {
        payer_id: copy if copy.get("address") else {**copy, **printed[payer_id]}
        for payer_id, copy in current.items()
    }


async def create_docket(
    uow: UnitOfWork,
    tenant: str,
    regie_id: uuid.UUID,
    *,
    invoice_ids: list[uuid.UUID] | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """Gather the régie's invoices that may go to recovery today (or those of
    `invoice_ids`, each of which must) on a numbered collection docket; each is in recovery
    from then on. Dockets of a régie are made one at a time (its schedule is locked), and
    the invoices' payers are locked (as payments lock them) and the invoices read again,
    so that one paid or reminded meanwhile is seen."""
    today = local_date(now)
    async with uow:
        conn = uow.conn
        regie = await catalog_store.get_regie(conn, tenant, regie_id)
        if regie is None:
            raise RegieNotFound()
        if await rstore.lock_schedule(conn, tenant, regie_id) is None:
            raise NoReminderSchedule()
        candidates = await rstore.recovery_candidates(conn, tenant, regie_id, today)
        chosen = _recoverable(candidates, today)
        if invoice_ids is not None:
            wanted = set(invoice_ids)
            chosen = [s for s in chosen if s["id"] in wanted]
            missing = wanted - {s["id"] for s in chosen}
            if missing:
                raise NotRecoverable(invoice_ids=sorted(str(i) for i in missing))
        if not chosen:
            raise NothingToRecover()
        await _lock_payers_in(uow, chosen)
        states = _recoverable(await rstore.invoice_states(conn, [s["id"] for s in chosen]), today)
        if invoice_ids is not None and len(states) != len(chosen):
            gone = {s["id"] for s in chosen} - {s["id"] for s in states}
            raise NotRecoverable(invoice_ids=sorted(str(i) for i in gone))
        if not states:
            raise NothingToRecover()
        states.sort(key=lambda s: (s["due_date"], s["number"]))
        debtors = await _debtors(conn, tenant, states)
        seq = await rstore.next_docket_seq(conn, regie_id, today.year)
        docket_id = uuid.uuid4()
        items = [
            {
                "invoice_id": s["id"],
                "docket_id": docket_id,
                "position": position,
                "tenant": tenant,
                "household_id": s["household_id"],
                "payer_id": s["payer_id"],
                "number": s["number"],
                "issue_date": s["issue_date"],
                "due_date": s["due_date"],
                "total_cents": s["total_cents"],
                "amount_due_cents": _due(s),
                "debtor": debtors[s["payer_id"]],
                "last_reminder_level": s["last_level"],
                "last_reminded_on": s["last_reminded_on"],
            }
            for position, s in enumerate(states, start=1)
        ]
        docket = await rstore.insert_docket(
            conn,
            {
                "id": docket_id,
                "tenant": tenant,
                "regie_id": regie_id,
                "number": docket_number(regie["code"], today.year, seq),
                "year": today.year,
                "seq": seq,
                "created_on": today,
                "invoice_count": len(items),
                "total_cents": sum(i["amount_due_cents"] for i in items),
                "regie": regie_copy(regie),
                "created_by": actor,
                "created_at": now,
            },
        )
        await rstore.insert_items(conn, items)
    log.info("recovery_docket_created", number=docket["number"], invoices=len(items))
    return {**docket, "regie_code": regie["code"], "items": items}


async def docket(conn: Conn, tenant: str, docket_id: uuid.UUID) -> dict[str, Any]:
    row = await rstore.get_docket(conn, tenant, docket_id)
    if row is None:
        raise DocketNotFound()
    return {**row, "items": await rstore.docket_items(conn, docket_id)}


async def dockets(conn: Conn, tenant: str, filters: dict[str, Any]) -> list[dict[str, Any]]:
    return await rstore.list_dockets(conn, tenant, filters)


@dataclass(frozen=True)
class DocketFile:
    filename: str
    content: bytes


async def docket_export(conn: Conn, tenant: str, docket_id: uuid.UUID) -> DocketFile:
    """The docket as the finance office sends it: a CSV row per invoice."""
    row = await docket(conn, tenant, docket_id)
    return DocketFile(f"bordereau-{row['number']}.csv", docket_csv(row, row["items"]))


async def docket_pdf(
    conn: Conn, renderer: PdfRenderer, tenant: str, docket_id: uuid.UUID
) -> DocketFile:
    """The docket printed, for the régisseur to sign."""
    row = await docket(conn, tenant, docket_id)
    logo = await catalog_store.regie_logo(conn, tenant, row["regie_id"])
    context = {
        "docket": row,
        "regie": row["regie"],
        "items": row["items"],
        "logo": logo_uri(logo["logo"], logo["logo_type"]) if logo else None,
        "footer": f"Bordereau n° {row['number']} — {row['regie'].get('name') or ''}",
    }
    content = await renderer.render("recovery_docket.html.j2", context)
    return DocketFile(f"bordereau-{row['number']}.pdf", content)
