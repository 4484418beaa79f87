"""Renewals (issue 16): last year's approved enrollments proposed again in the new campaign's
matching activity, with the child's next grade; the family confirms (enrolled through the
same path as any enrollment) or declines."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booking import store
from booking.domain import campaigns
from booking.domain.activity import Activity
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    CampaignNotFound,
    FileCheckRequired,
    InvalidCampaignField,
    RenewalAlreadyAnswered,
    RenewalIneligible,
    RenewalNotFound,
)
from booking.usecases.campaigns import campaign_row
from booking.usecases.enrollments import enroll_in
from shared.uow import UnitOfWork


async def prepare_renewals(
    uow: UnitOfWork,
    tenant: str,
    campaign_id: uuid.UUID,
    *,
    from_campaign_id: uuid.UUID | None,
    mapping: list[dict[str, Any]],
    now: datetime,
) -> dict[str, Any]:
    """Propose the approved enrollments of the previous campaign's activities again, each in
    the new activity that continues its activity, the child's eligibility checked on the new
    period with the grade of next year (ineligible: said why). Running it again keeps the
    renewals made, checks the ineligible ones again (proposed when they now fit) and adds the
    new ones. One booking.RenewalsProposed per household given new proposals or new refusals."""
    async with uow:
        campaign = await campaign_row(uow.conn, tenant, campaign_id, lock=True)
        source_id = from_campaign_id or campaign["previous_campaign_id"]
        if source_id is None:
            raise InvalidCampaignField(
                "from_campaign_id", "Indiquez la campagne dont les inscriptions sont renouvelées."
            )
        if (
            source_id == campaign_id
            or await store.get_campaign(uow.conn, tenant, source_id) is None
        ):
            raise InvalidCampaignField("from_campaign_id", "Cette campagne n'existe pas.")
        previous = await store.campaign_activities(uow.conn, [source_id])
        new = {r["id"]: r for r in await store.campaign_activities(uow.conn, [campaign_id])}
        explicit = _explicit(mapping, {r["id"] for r in previous}, set(new))
        mapped = campaigns.map_activities(
            campaigns.entries(previous), campaigns.entries(new.values()), explicit
        )
        counts = {"proposed": 0, "ineligible": 0, "already": 0}
        told: dict[uuid.UUID, dict[uuid.UUID, dict[str, Any]]] = {}
        enrollments = await store.renewable_enrollments(uow.conn, tenant, list(mapped.to))
        for enrollment in enrollments:
            target = Activity.from_row(new[mapped.to[enrollment["activity_id"]]])
            grade = campaigns.next_grade(enrollment["grade"])
            reason = _refusal(target, enrollment, grade)
            row = await store.insert_renewal(
                uow.conn,
                {
                    "id": uuid.uuid4(),
                    "tenant": tenant,
                    "campaign_id": campaign_id,
                    "household_id": enrollment["household_id"],
                    "child_id": enrollment["child_id"],
                    "from_activity_id": enrollment["activity_id"],
                    "activity_id": target.id,
                    "from_enrollment_id": enrollment["id"],
                    "next_grade": grade,
                    "status": "ineligible" if reason else "proposed",
                    "reason": reason,
                    "created_at": now,
                },
            )
            if row is None:
                # Already prepared: an ineligible one is checked again (its grade may have
                # been filled in since), a proposed or answered one stays as it is.
                row = await store.reassess_renewal(
                    uow.conn,
                    campaign_id,
                    enrollment["child_id"],
                    target.id,
                    next_grade=grade,
                    status="ineligible" if reason else "proposed",
                    reason=reason,
                )
                if row is None or row["status"] == "ineligible":
                    counts["already"] += 1
                    continue
            counts[row["status"]] += 1
            child = told.setdefault(enrollment["household_id"], {}).setdefault(
                enrollment["child_id"],
                {
                    "child_id": enrollment["child_id"],
                    "first_name": enrollment["first_name"],
                    "activities": [],
                    "ineligible": [],
                },
            )
            if reason:
                child["ineligible"].append({"name": target.name, "reason": reason})
            else:
                child["activities"].append(target.name)
        # Every household with something new is told, those whose renewals are all refused
        # too (a child leaving CM2): a family is not left waiting for a renewal that will not
        # come. A renewal still refused on a re-run is not new, so told once.
        for household_id in sorted(told):
            uow.emit(
                "booking.RenewalsProposed",
                {
                    "household_id": household_id,
                    "campaign_id": campaign_id,
                    "campaign_name": campaign["name"],
                    "school_year": campaign["school_year"],
                    "opens_on": campaign["opens_on"],
                    "closes_on": campaign["closes_on"],
                    "children": list(told[household_id].values()),
                },
                tenant=tenant,
            )
    return {
        **counts,
        "unmapped": [{"activity_id": e.id, "name": e.name} for e in mapped.unmapped],
    }


def _refusal(target: Activity, enrollment: dict[str, Any], grade: str | None) -> str | None:
    """Why the child may not go on to `target` next year, with the grade of next year; a grade
    the household file does not give (or gives in words not understood) is said as such."""
    eligibility = target.eligibility
    unknown = campaigns.known_grade(enrollment["grade"]) is None  # else past 6e: no grade
    if unknown and eligibility.grades is not None:
        allowed = ", ".join(sorted(eligibility.grades))
        return (
            "La classe de l'enfant l'an prochain n'est pas connue (classe à compléter dans le"
            f" dossier du foyer) ; cette activité est réservée aux classes suivantes : {allowed}."
        )
    return eligibility.refusal_for_period(
        enrollment["birth_date"], grade, target.opening.period_from, target.opening.period_to
    )


def _explicit(
    mapping: list[dict[str, Any]], previous: set[uuid.UUID], new: set[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    """The mapping staff gave, each pair from the previous campaign to this one."""
    explicit = {}
    for i, pair in enumerate(mapping):
        if pair["from_activity_id"] not in previous:
            raise InvalidCampaignField(
                f"mapping.{i}.from_activity_id",
                "Cette activité n'est pas de la campagne précédente.",
            )
        if pair["to_activity_id"] not in new:
            raise InvalidCampaignField(
                f"mapping.{i}.to_activity_id", "Cette activité n'est pas de cette campagne."
            )
        explicit[pair["from_activity_id"]] = pair["to_activity_id"]
    return explicit


async def list_renewals(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    campaign_id: uuid.UUID,
    *,
    status: str | None = None,
    household_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """A family sees its household's, staff every one (or one household's)."""
    campaign = await campaign_row(conn, tenant, campaign_id)
    if campaign["archived_at"] is not None and not actor.staff:
        raise CampaignNotFound()
    return await store.list_renewals(
        conn, tenant, campaign_id, household_id=actor.scope or household_id, status=status
    )


async def answer_renewal(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    renewal_id: uuid.UUID,
    *,
    answer: str,
    mode: str | None,
    weekdays: list[int] | None,
    every_n_weeks: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The family (or staff for it) confirms or declines a proposed renewal. Confirming, a
    family needs the campaign open and its file checked for the year; the child is then
    enrolled like any enrollment (documents valid on the new period, approval when the
    activity requires it), with last year's rhythm unless another is given, and the renewal
    is confirmed in the same transaction."""
    async with uow:
        renewal = await store.lock_renewal(uow.conn, tenant, renewal_id)
        if renewal is None or not actor.may_act_for(renewal["household_id"]):
            raise RenewalNotFound()
        if renewal["status"] in ("confirmed", "declined"):
            raise RenewalAlreadyAnswered()
        if renewal["status"] == "ineligible":
            raise RenewalIneligible(renewal["reason"] or RenewalIneligible.detail)
        campaign = await campaign_row(uow.conn, tenant, renewal["campaign_id"])
        enrollment = None
        if answer == "confirm":
            if not actor.staff:
                campaigns.require_open(campaign, now.astimezone(PARIS).date())
                checked = await store.file_check(uow.conn, campaign["id"], renewal["household_id"])
                if checked is None:
                    raise FileCheckRequired()
            before = await store.get_enrollment(uow.conn, tenant, renewal["from_enrollment_id"])
            assert before is not None
            if mode is None:
                mode, weekdays = before["mode"], before["weekdays"]
                every_n_weeks = before["every_n_weeks"]
            enrollment = await enroll_in(
                uow,
                tenant,
                actor,
                child_id=renewal["child_id"],
                activity_id=renewal["activity_id"],
                mode=mode,
                weekdays=weekdays,
                every_n_weeks=every_n_weeks or 1,
                now=now,
                grade=renewal["next_grade"],
            )
        status = "confirmed" if enrollment is not None else "declined"
        await store.answer_renewal(
            uow.conn,
            renewal_id,
            status=status,
            enrollment_id=enrollment["id"] if enrollment else None,
            answered_by=actor.account_id,
            now=now,
        )
        uow.emit(
            "booking.RenewalAnswered",
            {
                "renewal_id": renewal_id,
                "household_id": renewal["household_id"],
                "child_id": renewal["child_id"],
                "activity_id": renewal["activity_id"],
                "answer": answer,
                "enrollment_id": enrollment["id"] if enrollment else None,
            },
            tenant=tenant,
        )
        row = await store.get_renewal(uow.conn, tenant, renewal_id)
    return {"renewal": row, "enrollment": enrollment}
