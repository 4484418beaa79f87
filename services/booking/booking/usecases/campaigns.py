"""Enrollment campaigns (issue 16): staff open a school year's activities to the families'
enrollments for a window of dates; a family enrolls a child in several of them at once; each
household checks its file once a year."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from booking import store
from booking.domain import campaigns
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    ActivityInCampaign,
    CampaignNotFound,
    FileCheckNotFound,
    ForeignReference,
    InvalidCampaignField,
)
from booking.usecases.children import child_for
from booking.usecases.enrollments import enroll_in
from shared.errors import DomainError
from shared.uow import UnitOfWork

_EDITABLE = ("name", "opens_on", "closes_on", "description")


def _today(now: datetime) -> date:
    return now.astimezone(PARIS).date()


async def campaign_row(
    conn: store.Conn, tenant: str, campaign_id: uuid.UUID, *, lock: bool = False
) -> dict[str, Any]:
    row = await store.get_campaign(conn, tenant, campaign_id, lock=lock)
    if row is None:
        raise CampaignNotFound()
    return row


async def _body(
    conn: store.Conn, row: dict[str, Any], actor: Actor, now: datetime
) -> dict[str, Any]:
    """A campaign as the API shows it: its state today, its activities, and for staff what
    came of it (families: no counts)."""
    activities = await store.campaign_activities(conn, [row["id"]])
    counts = await store.campaign_counts(conn, row["id"]) if actor.staff else None
    return {
        **row,
        "state": campaigns.campaign_state(row, _today(now)),
        "activities": activities,
        "counts": counts,
    }


async def _set_activities(
    conn: asyncpg.Connection,
    tenant: str,
    campaign_id: uuid.UUID,
    activity_ids: list[uuid.UUID],
) -> None:
    """The campaign's activities become these: each of the tenant's catalogue (else 422
    naming activity_ids), none opened by another campaign (409 naming it)."""
    ids = list(dict.fromkeys(activity_ids))
    known = {r["id"] for r in await store.activities(conn, tenant, ids=ids)}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidCampaignField(
            "activity_ids",
            "Activité inconnue : " + ", ".join(str(i) for i in unknown) + ".",
        )
    taken = await store.activities_in_other_campaigns(conn, ids, campaign_id)
    if taken:
        raise _in_campaign(taken[0])
    try:
        async with conn.transaction():  # a savepoint: the transaction goes on after a race
            await store.set_campaign_activities(conn, campaign_id, ids)
    except asyncpg.UniqueViolationError:  # another campaign took it meanwhile
        taken = await store.activities_in_other_campaigns(conn, ids, campaign_id)
        if not taken:
            raise
        raise _in_campaign(taken[0]) from None


def _in_campaign(row: dict[str, Any]) -> ActivityInCampaign:
    return ActivityInCampaign(
        f"L'activité « {row['name']} » fait déjà partie d'une autre campagne d'inscriptions.",
        activity_id=str(row["id"]),
        activity_name=row["name"],
        errors=[{"field": "activity_ids", "detail": f"« {row['name']} » est déjà utilisée."}],
    )


def _check_window(opens_on: date, closes_on: date) -> None:
    if closes_on < opens_on:
        raise InvalidCampaignField(
            "closes_on", "La date de fermeture doit suivre la date d'ouverture."
        )


async def create_campaign(
    uow: UnitOfWork, tenant: str, actor: Actor, data: dict[str, Any], *, now: datetime
) -> dict[str, Any]:
    _check_window(data["opens_on"], data["closes_on"])
    async with uow:
        previous = data.get("previous_campaign_id")
        if previous is not None and await store.get_campaign(uow.conn, tenant, previous) is None:
            raise InvalidCampaignField(
                "previous_campaign_id", "Cette campagne précédente n'existe pas."
            )
        row = await store.insert_campaign(
            uow.conn,
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                **{k: data.get(k) for k in _EDITABLE},
                "school_year": data["school_year"],
                "previous_campaign_id": previous,
                "created_by": actor.account_id,
                "created_at": now,
            },
        )
        await _set_activities(uow.conn, tenant, row["id"], data["activity_ids"])
        return await _body(uow.conn, row, actor, now)


async def update_campaign(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    campaign_id: uuid.UUID,
    data: dict[str, Any],
    *,
    now: datetime,
) -> dict[str, Any]:
    """Staff change the name, window, description, activities, or archive it (archived: no
    longer shown to families, nobody enrolls through it)."""
    async with uow:
        row = await campaign_row(uow.conn, tenant, campaign_id, lock=True)
        values = {k: data[k] for k in _EDITABLE if k in data}
        _check_window(
            values.get("opens_on", row["opens_on"]), values.get("closes_on", row["closes_on"])
        )
        if "archived" in data:
            archived = row["archived_at"] is not None
            if data["archived"] != archived:
                values["archived_at"] = now if data["archived"] else None
        if values:
            row = await store.update_campaign(uow.conn, campaign_id, values)
        if "activity_ids" in data:
            await _set_activities(uow.conn, tenant, campaign_id, data["activity_ids"])
        return await _body(uow.conn, row, actor, now)


async def list_campaigns(
    conn: store.Conn, tenant: str, actor: Actor, *, now: datetime
) -> list[dict[str, Any]]:
    """Families see the campaigns not archived, staff every one."""
    rows = await store.list_campaigns(conn, tenant, archived=actor.staff)
    return [await _body(conn, row, actor, now) for row in rows]


async def get_campaign(
    conn: store.Conn, tenant: str, actor: Actor, campaign_id: uuid.UUID, *, now: datetime
) -> dict[str, Any]:
    row = await campaign_row(conn, tenant, campaign_id)
    if row["archived_at"] is not None and not actor.staff:
        raise CampaignNotFound()
    return await _body(conn, row, actor, now)


async def enroll_lines(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    campaign_id: uuid.UUID,
    *,
    child_id: uuid.UUID,
    lines: list[dict[str, Any]],
    now: datetime,
) -> list[dict[str, Any]]:
    """A child enrolled in several activities of the campaign at once, each line decided on
    its own like a single enrollment: a refused line (not eligible, a document missing,
    already enrolled...) leaves the others. Each line runs in a savepoint, so a refused
    line leaves neither rows nor events. The window closed refuses the whole request
    (a family; staff enroll at any time)."""
    async with uow:
        campaign = await campaign_row(uow.conn, tenant, campaign_id)
        if campaign["archived_at"] is not None and not actor.staff:
            raise CampaignNotFound()
        if not actor.staff:
            campaigns.require_open(campaign, _today(now))
        await child_for(uow.conn, tenant, actor, child_id)
        offered = {r["id"] for r in await store.campaign_activities(uow.conn, [campaign_id])}
        seen: set[uuid.UUID] = set()
        for i, line in enumerate(lines):
            field = f"lines.{i}.activity_id"
            if line["activity_id"] not in offered:
                raise InvalidCampaignField(field, "Cette activité n'est pas de cette campagne.")
            if line["activity_id"] in seen:
                raise InvalidCampaignField(field, "Cette activité est déjà demandée.")
            seen.add(line["activity_id"])
        items = []
        for line in lines:
            emitted = len(uow.events)
            try:
                async with uow.conn.transaction():  # a savepoint: a refused line leaves nothing
                    row = await enroll_in(
                        uow,
                        tenant,
                        actor,
                        child_id=child_id,
                        activity_id=line["activity_id"],
                        mode=line["mode"],
                        weekdays=line.get("weekdays"),
                        every_n_weeks=line.get("every_n_weeks") or 1,
                        now=now,
                    )
            except DomainError as refusal:
                del uow.events[emitted:]
                problem = {"code": refusal.code, "detail": refusal.detail}
                if "missing_documents" in refusal.extra:
                    problem["missing_documents"] = refusal.extra["missing_documents"]
                items.append(
                    {
                        "activity_id": line["activity_id"],
                        "outcome": "refused",
                        "enrollment": None,
                        "problem": problem,
                    }
                )
                continue
            items.append(
                {
                    "activity_id": line["activity_id"],
                    "outcome": row["status"],
                    "enrollment": row,
                    "problem": None,
                }
            )
    return items


async def check_file(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    campaign_id: uuid.UUID,
    household_id: uuid.UUID | None,
    *,
    now: datetime,
) -> dict[str, Any]:
    """The household's file checked for the campaign's year: a family for its own household,
    staff for the one they name. Checking again keeps the first date."""
    async with uow:
        campaign = await campaign_row(uow.conn, tenant, campaign_id)
        if campaign["archived_at"] is not None and not actor.staff:
            raise CampaignNotFound()
        household = _household(actor, household_id)
        if actor.staff and not await store.household_known(uow.conn, tenant, household):
            raise ForeignReference("household_id", "Ce foyer est inconnu.")
        return await store.check_file(uow.conn, campaign_id, household, actor.account_id, now)


async def file_check(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    campaign_id: uuid.UUID,
    household_id: uuid.UUID | None,
) -> dict[str, Any]:
    await campaign_row(conn, tenant, campaign_id)
    found = await store.file_check(conn, campaign_id, _household(actor, household_id))
    if found is None:
        raise FileCheckNotFound()
    return found


def _household(actor: Actor, household_id: uuid.UUID | None) -> uuid.UUID:
    """Whose file: a family's own household (whatever it names), the one staff name."""
    if not actor.staff:
        return actor.own_household()
    if household_id is None:
        raise InvalidCampaignField(
            "household_id", "Indiquez le foyer dont le dossier a été vérifié."
        )
    return household_id
