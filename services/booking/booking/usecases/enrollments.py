"""Enrollments: a child enrolled in an activity for its period, accepted at once or by staff;
an accepted enrollment with a fixed schedule books its days."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from booking import store
from booking.domain import campaigns, rules
from booking.domain.activity import Activity, who
from booking.domain.actors import Actor
from booking.domain.deadlines import PARIS
from booking.domain.errors import (
    ActivityClosed,
    AlreadyDecided,
    AlreadyEnrolled,
    ChildNotFound,
    EnrollmentNotFound,
    MissingDocuments,
    NotEligible,
)
from booking.usecases.activities import activity
from booking.usecases.baskets import validate_basket_in
from booking.usecases.children import child_for
from shared import tenant_features
from shared.uow import UnitOfWork


async def enroll(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    *,
    child_id: uuid.UUID,
    activity_id: uuid.UUID,
    mode: str,
    weekdays: list[int] | None,
    every_n_weeks: int = 1,
    now: datetime,
) -> dict[str, Any]:
    """Enroll a child for the activity's period: refused when not eligible on any day of it,
    (a family) outside the window of the activity's enrollment campaign, or (a family) when
    a required document is not valid; pending when the activity requires staff's approval
    (unless staff enroll), else accepted, its schedule booked."""
    async with uow:
        return await enroll_in(
            uow,
            tenant,
            actor,
            child_id=child_id,
            activity_id=activity_id,
            mode=mode,
            weekdays=weekdays,
            every_n_weeks=every_n_weeks,
            now=now,
        )


_CURRENT = object()  # enroll_in's grade: the child's, as the family service last told it


async def enroll_in(
    uow: UnitOfWork,
    tenant: str,
    actor: Actor,
    *,
    child_id: uuid.UUID,
    activity_id: uuid.UUID,
    mode: str,
    weekdays: list[int] | None,
    every_n_weeks: int = 1,
    now: datetime,
    grade: Any = _CURRENT,
) -> dict[str, Any]:
    """`enroll` inside an open unit of work (a campaign's grouped enrollment, a confirmed
    renewal). `grade`: the grade eligibility is checked with, when not the child's current
    one (a renewal: the grade of next year)."""
    child = await child_for(uow.conn, tenant, actor, child_id)
    found = await activity(uow.conn, tenant, activity_id)
    if found.closed:
        raise ActivityClosed()
    if not actor.staff:  # staff enroll at the desk at any time
        campaign = await store.campaign_of_activity(uow.conn, tenant, found.id)
        if campaign is not None:
            campaigns.require_open(campaign, now.astimezone(PARIS).date())
    period = (found.opening.period_from, found.opening.period_to)
    refusal = found.eligibility.refusal_for_period(
        child["birth_date"],
        child["grade"] if grade is _CURRENT else grade,
        period[0],
        period[1],
    )
    if refusal:
        raise NotEligible(refusal)
    if not actor.staff:  # staff enrolling at the desk have checked the papers themselves
        await _missing_documents(uow.conn, tenant, child, found, now)
    if mode == "occasional":
        if found.booking_mode == "schedule":
            # A fixed schedule without a pattern: every opening day of the period.
            mode = "regular"
        weekdays, every_n_weeks = None, 1
    status = "pending" if found.requires_approval and not actor.staff else "approved"
    # Approved at once, a fixed schedule books its days: in a town that does not let families
    # book online, the family's enrollment awaits the town's approval instead.
    if (
        status == "approved"
        and mode == "regular"
        and not actor.staff
        and not (await tenant_features.features_of(uow.conn, tenant))["online_booking"]
    ):
        status = "pending"
    row = await store.insert_enrollment(
        uow.conn,
        {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "activity_id": found.id,
            "child_id": child["id"],
            "household_id": child["household_id"],
            "mode": mode,
            "weekdays": sorted(set(weekdays)) if weekdays else None,
            "every_n_weeks": every_n_weeks,
            "status": status,
            "requested_by": actor.account_id,
            "requested_at": now,
            "decided_by": actor.account_id if actor.staff else None,
            "decided_at": now if status == "approved" else None,
        },
    )
    if row is None:
        raise AlreadyEnrolled()
    scheduled = None
    if status == "approved":
        uow.emit("booking.EnrollmentDecided", _decided(found, child, row, period), tenant=tenant)
        scheduled = await _book_schedule(
            uow, tenant, found, row, account_id=actor.account_id, by_staff=actor.staff, now=now
        )
    return {**row, "scheduled": scheduled}


async def decide_enrollment(
    uow: UnitOfWork,
    tenant: str,
    enrollment_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    """Staff accept (the schedule is booked) or refuse, with a reason, a pending enrollment."""
    async with uow:
        if await store.get_enrollment(uow.conn, tenant, enrollment_id) is None:
            raise EnrollmentNotFound()
        row = await store.decide_enrollment(
            uow.conn,
            enrollment_id,
            status="approved" if approve else "rejected",
            reason=reason,
            decided_by=actor,
            now=now,
        )
        if row is None:
            raise AlreadyDecided()
        found = await activity(uow.conn, tenant, row["activity_id"])
        child = await store.get_child(uow.conn, tenant, row["child_id"])
        if child is None:
            raise ChildNotFound()
        period = (found.opening.period_from, found.opening.period_to)
        uow.emit("booking.EnrollmentDecided", _decided(found, child, row, period), tenant=tenant)
        scheduled = None
        if approve:
            scheduled = await _book_schedule(
                uow, tenant, found, row, account_id=actor, by_staff=True, now=now
            )
    return {**row, "scheduled": scheduled}


async def list_enrollments(
    conn: store.Conn,
    tenant: str,
    actor: Actor,
    *,
    status: str | None = None,
    child_id: uuid.UUID | None = None,
    activity_id: uuid.UUID | None = None,
    household_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """A family sees its household's, staff every one (or one household's)."""
    return await store.list_enrollments(
        conn,
        tenant,
        household_id=actor.scope or household_id,
        status=status,
        child_id=child_id,
        activity_id=activity_id,
    )


def _decided(
    activity: Activity,
    child: dict[str, Any],
    row: dict[str, Any],
    period: tuple[date, date],
) -> dict[str, Any]:
    """The EnrollmentDecided payload."""
    return {
        **who(activity, child, row["requested_by"]),
        "enrollment_id": row["id"],
        "decision": row["status"],
        "reason": row["reason"],
        "decided_by": row["decided_by"],
        "period_from": period[0],
        "period_to": period[1],
    }


async def _missing_documents(
    conn: store.Conn, tenant: str, child: dict[str, Any], activity: Activity, now: datetime
) -> None:
    """Refuse when a document the activity requires is not valid, for this child or its
    household, from today (or the start of the activity, when later). Documents are named
    by the label the family service gave them in its events (their type code when booking
    has never received one of that type)."""
    if not activity.required_documents:
        return
    on = max(now.astimezone(PARIS).date(), activity.opening.period_from)
    valid = await store.valid_document_types(conn, tenant, child["household_id"], child["id"], on)
    missing = [t for t in activity.required_documents if t not in valid]
    if not missing:
        return
    labels = await store.document_labels(conn, tenant, missing)
    names = ", ".join(labels.get(t, t) for t in missing)
    if len(missing) == 1:
        detail = f"Document manquant ou expiré pour cette inscription : {names}."
        detail += " Déposez-le dans votre espace famille ; l'inscription sera possible une fois"
        detail += " le document validé par la mairie."
    else:
        detail = f"Documents manquants ou expirés pour cette inscription : {names}."
        detail += " Déposez-les dans votre espace famille ; l'inscription sera possible une fois"
        detail += " les documents validés par la mairie."
    raise MissingDocuments(detail, missing_documents=missing)


async def _book_schedule(
    uow: UnitOfWork,
    tenant: str,
    activity: Activity,
    enrollment: dict[str, Any],
    *,
    account_id: uuid.UUID,
    by_staff: bool,
    now: datetime,
) -> dict[str, Any] | None:
    """Book the fixed schedule of an enrollment being accepted (in its unit of work): a
    regular pattern chosen at enrollment, or a `schedule` activity. The days go through a
    basket validated like any other: no overbooking, a full day goes to the waiting list,
    and one booking.ReservationValidated carries the dates. None when nothing is to be
    booked ("I will book occasionally", or no day still open)."""
    if enrollment["mode"] != "regular" and activity.booking_mode != "schedule":
        return None
    weekdays = enrollment["weekdays"]
    days = rules.scheduled_days(
        activity.opening,
        activity.deadlines,
        frozenset(weekdays) if weekdays else None,
        enrollment["every_n_weeks"],
        now,
    )
    if not days:
        return None
    basket = await store.insert_basket(
        uow.conn,
        {
            "id": uuid.uuid4(),
            "tenant": tenant,
            "household_id": enrollment["household_id"],
            "account_id": account_id,
            "created_at": now,
            "by_staff": by_staff,
        },
    )
    await store.add_lines(
        uow.conn,
        basket["id"],
        [
            {
                "child_id": enrollment["child_id"],
                "activity_id": activity.id,
                "day": day,
                "action": "add",
                "accept_waiting": True,
            }
            for day in days
        ],
    )
    result = await validate_basket_in(uow, tenant, basket["id"], now=now)
    by_outcome: dict[str, list[date]] = defaultdict(list)
    for line in result["lines"]:
        by_outcome[line["outcome"]].append(line["date"])
    return {
        "basket_id": basket["id"],
        "confirmed": by_outcome["confirmed"],
        "waiting_list": by_outcome["waiting_list"],
        "refused": by_outcome["refused"],
    }
