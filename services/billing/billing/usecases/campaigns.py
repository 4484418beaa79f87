"""Postpaid campaigns of a régie for a period [002]: a draft (one invoice per payer, from the
bookings or the attendance of the régie's activities, with each activity's rules) that staff
review with its errors and warnings, refresh, then finalise (numbers, billing.InvoiceIssued
each) or cancel. A day is charged once ever: a campaign run twice, or a corrective campaign
after a finalised one, only bills what was not billed yet. Days of the régie's prepaid
activities left unbilled (no grid when they were booked) are caught up by the campaign."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from billing import store
from billing.domain.documents import due_date, local_date
from billing.domain.errors import (
    CampaignInProgress,
    CampaignNotDraft,
    CampaignNotFound,
    InvalidPeriod,
    RegieNotFound,
)
from billing.domain.lines import group_lines
from billing.domain.rules import DayFacts, verdict
from billing.store import Conn
from billing.store import bookings as bookings_store
from billing.store import campaigns as campaigns_store
from billing.store import catalog as catalog_store
from billing.usecases.documents import charge_of, finalise_invoices
from billing.usecases.invoices import invoices_with_lines
from billing.usecases.pricing import pricing_book, rules_of
from shared.uow import UnitOfWork

ISSUES = {
    "price-grid-missing": (
        "error",
        "Aucune grille tarifaire ne couvre ces jours : ils ne sont pas facturés.",
    ),
    "activity-not-configured": (
        "error",
        "La facturation de cette activité n'est pas paramétrée : ses jours ne sont pas facturés.",
    ),
    "quotient-unknown": (
        "warning",
        "QF inconnu ou expiré : le tarif maximum est appliqué.",
    ),
    "attendance-missing": (
        "warning",
        "Présence non pointée : ces jours ne sont pas facturés (une campagne corrective "
        "pourra les facturer).",
    ),
}


async def create_campaign(
    uow: UnitOfWork, tenant: str, data: dict[str, Any], *, actor: uuid.UUID, now: datetime
) -> uuid.UUID:
    if data["period_to"] < data["period_from"]:
        raise InvalidPeriod()
    async with uow:
        # The régie row, locked, serialises the campaigns of a régie.
        regie = await catalog_store.lock_regie(uow.conn, tenant, data["regie_id"])
        if regie is None:
            raise RegieNotFound()
        if await campaigns_store.overlapping_draft(
            uow.conn, tenant, regie["id"], data["period_from"], data["period_to"]
        ):
            raise CampaignInProgress()
        campaign = await campaigns_store.insert_campaign(
            uow.conn,
            {
                "tenant": tenant,
                "regie_id": regie["id"],
                "period_from": data["period_from"],
                "period_to": data["period_to"],
                "due_date": data.get("due_date"),
                "created_by": actor,
                "now": now,
            },
        )
        await _draft(uow, tenant, campaign, now)
    return campaign["id"]


async def refresh_campaign(
    uow: UnitOfWork, tenant: str, campaign_id: uuid.UUID, *, now: datetime
) -> None:
    """Draft again from what billing knows now (new prices, QFs, attendance)."""
    async with uow:
        campaign = await _draft_campaign(uow, tenant, campaign_id)
        await _draft(uow, tenant, campaign, now)


async def cancel_campaign(uow: UnitOfWork, tenant: str, campaign_id: uuid.UUID) -> None:
    """Its drafts go; their days are billable again."""
    async with uow:
        campaign = await _draft_campaign(uow, tenant, campaign_id)
        await store.delete_campaign_drafts(uow.conn, campaign["id"])
        await campaigns_store.set_campaign_status(uow.conn, campaign["id"], "cancelled")


async def finalise_campaign(
    uow: UnitOfWork, tenant: str, campaign_id: uuid.UUID, *, actor: uuid.UUID, now: datetime
) -> int:
    """Number every draft and issue it (one billing.InvoiceIssued each); returns how many."""
    async with uow:
        campaign = await _draft_campaign(uow, tenant, campaign_id)
        regie = await catalog_store.get_regie(uow.conn, tenant, campaign["regie_id"])
        assert regie is not None
        issue_date = local_date(now)
        due = campaign["due_date"] or due_date(issue_date, regie["payment_delay_days"])
        drafts = await store.lock_campaign_drafts(uow.conn, campaign["id"])
        issued = await finalise_invoices(uow, drafts, now=now, issue_date=issue_date, due_date=due)
        await campaigns_store.set_campaign_status(
            uow.conn, campaign["id"], "finalised", actor=actor, now=now, issue_date=issue_date
        )
    return len(issued)


async def _draft_campaign(uow: UnitOfWork, tenant: str, campaign_id: uuid.UUID) -> dict[str, Any]:
    campaign = await campaigns_store.lock_campaign(uow.conn, tenant, campaign_id)
    if campaign is None:
        raise CampaignNotFound()
    if campaign["status"] != "draft":
        raise CampaignNotDraft()
    return campaign


async def _draft(uow: UnitOfWork, tenant: str, campaign: dict[str, Any], now: datetime) -> None:
    conn = uow.conn
    await store.delete_campaign_drafts(conn, campaign["id"])
    start, end = campaign["period_from"], campaign["period_to"]
    activities = {
        a["activity_id"]: a
        for a in await catalog_store.list_activities(conn, tenant, campaign["regie_id"])
    }
    issues = _Issues()
    billable = []
    for day in await bookings_store.unbilled_bookings(conn, tenant, list(activities), start, end):
        activity = activities[day["activity_id"]]
        source = (
            activity["postpaid_source"] if activity["billing_mode"] == "postpaid" else "bookings"
        )
        facts = DayFacts(day["status"], day["charged_cancel"], day["attendance"], day["justified"])
        decided = verdict(source, rules_of(activity), facts)
        if decided.warning:
            issues.add(decided.warning, day)
        if decided.bill:
            billable.append(day)
    book = await pricing_book(conn, tenant, {d["household_id"] for d in billable}, list(activities))
    # Per payer: the household, or a separated parent its child's billing rule names.
    charges: dict[tuple[uuid.UUID, uuid.UUID], list[dict[str, Any]]] = defaultdict(list)
    for day in billable:
        parts, error = book.charges(day["household_id"], day)
        if not parts:
            issues.add(error or "price-grid-missing", day)
            continue
        if parts[0]["qf"] is None:
            issues.add("quotient-unknown", day)
        for part in parts:
            charges[(part["payer_id"], day["household_id"])].append(part)
    for day in await bookings_store.unconfigured_bookings(conn, tenant, start, end):
        issues.add("activity-not-configured", day)
    invoices = await store.insert_campaign_drafts(
        conn, tenant, campaign["regie_id"], campaign["id"], list(charges)
    )
    rows = []
    for (payer_id, _), items in charges.items():
        for charge in items:
            charge["invoice_id"] = invoices[payer_id]
            rows.append(charge)
    await store.insert_charges(conn, tenant, rows)
    await store.drop_empty_drafts(conn, campaign["id"])
    await campaigns_store.replace_issues(conn, campaign["id"], issues.rows())
    await campaigns_store.touch_campaign(conn, campaign["id"], now)


class _Issues:
    """Issues gathered per kind, household, child and activity, with their days."""

    def __init__(self) -> None:
        self._days: dict[tuple[Any, ...], list[date]] = defaultdict(list)
        self._names: dict[tuple[Any, ...], str] = {}

    def add(self, code: str, day: dict[str, Any]) -> None:
        key = (code, day["household_id"], day["child_id"], day["activity_id"])
        self._days[key].append(day["day"])
        self._names[key] = f"{day['activity_name']} — {day['child_name']}"

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for key, days in self._days.items():
            code, household_id, child_id, activity_id = key
            severity, text = ISSUES[code]
            first, last = min(days), max(days)
            span = (
                f"le {first:%d/%m/%Y}" if first == last else f"du {first:%d/%m} au {last:%d/%m/%Y}"
            )
            out.append(
                {
                    "severity": severity,
                    "code": code,
                    "detail": f"{self._names[key]} ({len(days)} jour(s), {span}) : {text}",
                    "household_id": household_id,
                    "child_id": child_id,
                    "child_name": self._names[key].split(" — ")[-1],
                    "activity_id": activity_id,
                    "day": first,
                }
            )
        return out


# --- reads -------------------------------------------------------------------------------


async def campaign(conn: Conn, tenant: str, campaign_id: uuid.UUID) -> dict[str, Any]:
    """The campaign with its issues and, while a draft, the total its drafts would issue."""
    row = await campaigns_store.get_campaign(conn, tenant, campaign_id)
    if row is None:
        raise CampaignNotFound()
    row["issues"] = await campaigns_store.campaign_issues(conn, campaign_id)
    if row["status"] == "draft":
        by_invoice: dict[uuid.UUID, list[Any]] = defaultdict(list)
        for charge in await store.campaign_charges(conn, campaign_id):
            by_invoice[charge["invoice_id"]].append(charge_of(charge))
        row["draft_cents"] = sum(
            line.amount_cents for items in by_invoice.values() for line in group_lines(items)
        )
    else:
        row["draft_cents"] = 0
    return row


async def campaigns(conn: Conn, tenant: str, regie_id: uuid.UUID | None) -> list[dict[str, Any]]:
    return await campaigns_store.list_campaigns(conn, tenant, regie_id)


async def campaign_invoices(
    conn: Conn, tenant: str, campaign_id: uuid.UUID, *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The campaign's invoices with their lines: drafts priced as they would be issued."""
    row = await campaigns_store.get_campaign(conn, tenant, campaign_id)
    if row is None:
        raise CampaignNotFound()
    if row["status"] != "draft":
        return await invoices_with_lines(
            conn, tenant, {"campaign_id": campaign_id, "limit": limit, "offset": offset}
        )
    drafts = (await store.campaign_drafts(conn, campaign_id))[offset : offset + limit]
    by_invoice: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for charge in await store.campaign_charges(conn, campaign_id):
        by_invoice[charge["invoice_id"]].append(charge_of(charge))
    out = []
    for invoice in drafts:
        lines = group_lines(by_invoice[invoice["id"]])
        out.append(
            {
                **invoice,
                "total_cents": sum(x.amount_cents for x in lines),
                "remaining_cents": None,
                "lines": [
                    {
                        "kind": "charge",
                        "label": x.label,
                        "detail": x.bracket,
                        "child_id": x.child_id,
                        "activity_id": x.activity_id,
                        "unit": x.unit,
                        "unit_cents": x.unit_cents,
                        "quantity": x.quantity,
                        "amount_cents": x.amount_cents,
                        "period_from": x.period_from,
                        "period_to": x.period_to,
                        "credit_note_id": None,
                    }
                    for x in lines
                ],
            }
        )
    return out
