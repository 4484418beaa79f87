"""The booking use cases: enrollments, baskets validated at once, cancellations with the
waiting list, calendars. Handlers in `api.py` check who calls and call these."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from booking import store
from booking.domain import rules
from booking.domain.activity import Activity
from booking.domain.days import daterange
from booking.domain.deadlines import PARIS
from shared.errors import DomainError, NotFound
from shared.events import outbox
from shared.events.envelope import Event, new_event

if TYPE_CHECKING:
    from booking.group_commit import GroupCommit, GroupRead

PRODUCER = "booking"


# --- errors ------------------------------------------------------------------------------


class ChildNotFound(NotFound):
    code = "child-not-found"
    detail = "Cet enfant est introuvable dans votre foyer."


class ActivityNotFound(NotFound):
    code = "activity-not-found"
    detail = "Cette activité n'existe pas."


class EnrollmentNotFound(NotFound):
    code = "enrollment-not-found"
    detail = "Cette inscription n'existe pas."


class BasketNotFound(NotFound):
    code = "basket-not-found"
    detail = "Ce panier n'existe pas."


class BookingNotFound(NotFound):
    code = "booking-not-found"
    detail = "Cette réservation n'existe pas."


class NotEligible(DomainError):
    code = "not-eligible"
    kind = "invalid"
    title = "Child not eligible"
    detail = "Votre enfant ne peut pas participer à cette activité."


class MissingDocuments(DomainError):
    code = "missing-documents"
    kind = "invalid"
    title = "Required documents missing"
    detail = "Il manque un justificatif en cours de validité pour cette inscription."


# The family service's default document types, for a reason naming a document booking has
# never seen (otherwise the label of the latest one received is used).
DOCUMENT_LABELS = {
    "livret_famille": "Livret de famille",
    "avis_imposition": "Avis d'imposition",
    "attestation_caf": "Attestation CAF",
    "certificat_medical": "Certificat médical",
    "justificatif_domicile": "Justificatif de domicile",
    "attestation_assurance": "Attestation d'assurance",
    "fiche_sanitaire": "Fiche sanitaire",
    "carnet_vaccination": "Carnet de vaccination",
}


async def missing_documents(
    conn: Any, tenant: str, child: dict[str, Any], activity: Activity, now: datetime
) -> None:
    """Refuse when a document the activity requires is not valid, for this child or its
    household, from today (or the start of the activity, when later)."""
    if not activity.required_documents:
        return
    on = max(now.astimezone(PARIS).date(), activity.opening.period_from)
    valid = await store.valid_document_types(conn, tenant, child["household_id"], child["id"], on)
    missing = [t for t in activity.required_documents if t not in valid]
    if not missing:
        return
    labels = {**DOCUMENT_LABELS, **await store.document_labels(conn, tenant, missing)}
    names = ", ".join(labels.get(t, t) for t in missing)
    if len(missing) == 1:
        detail = f"Document manquant ou expiré pour cette inscription : {names}."
    else:
        detail = f"Documents manquants ou expirés pour cette inscription : {names}."
    detail += " Déposez-le dans votre espace famille ; l'inscription sera possible une fois"
    detail += " le document validé par la mairie."
    raise MissingDocuments(detail, missing_documents=missing)


class AlreadyEnrolled(DomainError):
    code = "already-enrolled"
    kind = "conflict"
    title = "Already enrolled"
    detail = "Votre enfant est déjà inscrit (ou en attente de validation) à cette activité."


class AlreadyDecided(DomainError):
    code = "enrollment-already-decided"
    kind = "conflict"
    title = "Enrollment already decided"
    detail = "Cette inscription a déjà été traitée."


class BasketValidated(DomainError):
    code = "basket-already-validated"
    kind = "conflict"
    title = "Basket already validated"
    detail = "Ce panier a déjà été validé."


class EmptyBasket(DomainError):
    code = "basket-empty"
    kind = "invalid"
    title = "Empty basket"
    detail = "Votre panier est vide : ajoutez des jours avant de valider."


class BasketTooLarge(DomainError):
    code = "basket-too-large"
    kind = "invalid"
    title = "Basket too large"
    detail = "Votre panier contient trop de jours ; validez-le en plusieurs fois."


class NotAllConfirmed(DomainError):
    code = "basket-not-confirmed"
    kind = "conflict"
    title = "Some days could not be confirmed"
    detail = "Certains jours ne peuvent pas être confirmés : rien n'a été réservé."


class CancellationLocked(DomainError):
    code = "cancellation-locked"
    kind = "conflict"
    title = "Cancellation deadline passed"
    detail = "Le délai d'annulation est dépassé : cette réservation ne peut plus être annulée."


class NotCancellable(DomainError):
    code = "booking-not-live"
    kind = "conflict"
    title = "Booking already cancelled"
    detail = "Cette réservation est déjà annulée."


class CapacityBelowBooked(DomainError):
    code = "capacity-below-booked"
    kind = "conflict"
    title = "Capacity below bookings"
    detail = "La capacité ne peut pas être inférieure au nombre d'enfants déjà inscrits ce jour."


class DayNotOpen(NotFound):
    code = "day-not-open"
    detail = "L'activité n'a pas lieu ce jour-là."


REASONS = {
    "not_your_child": "Cet enfant n'appartient pas à votre foyer.",
    "unknown_activity": "Cette activité n'existe pas.",
    "not_enrolled": "Votre enfant n'est pas inscrit à cette activité.",
    "pending_enrollment": "L'inscription de votre enfant attend la validation de la mairie.",
    "closed_day": "L'activité n'a pas lieu ce jour-là.",
    "deadline_passed": "Le délai de réservation est dépassé pour ce jour.",
    "already_booked": "Votre enfant est déjà inscrit (ou en liste d'attente) ce jour-là.",
    "full": "Ce jour est complet.",
    "not_booked": "Il n'y a pas de réservation à annuler ce jour-là.",
    "cancellation_locked": "Le délai d'annulation est dépassé (cadenas).",
}


# --- events ------------------------------------------------------------------------------


def who(activity: Activity, child: dict[str, Any], account_id: uuid.UUID | None) -> dict[str, Any]:
    return {
        "household_id": child["household_id"],
        "account_id": account_id,
        "child_id": child["id"] if "id" in child else child["child_id"],
        "child_first_name": child["first_name"]
        if "first_name" in child
        else child["child_first_name"],
        "activity_id": activity.id,
        "activity_name": activity.name,
        "activity_type": activity.type,
        "site": activity.site,
    }


def event(tenant: str, type: str, payload: dict[str, Any]) -> Event:
    return new_event(type, payload, tenant_id=tenant, producer=PRODUCER)


def promotion_event(tenant: str, activity: Activity, waiting: dict[str, Any]) -> Event:
    child = {
        "household_id": waiting["household_id"],
        "child_id": waiting["child_id"],
        "child_first_name": waiting["child_first_name"],
    }
    return event(
        tenant,
        "booking.WaitingListPromoted",
        {
            **who(activity, child, waiting["booked_by"]),
            "booking_id": waiting["id"],
            "date": waiting["day"],
            "late": waiting["late"],
        },
    )


async def free_place(
    conn: asyncpg.Connection, activity: Activity, day: date
) -> dict[str, Any] | None:
    """Give back a place (the caller holds the day row) and hand it to the first child of
    the waiting list who is still enrolled and eligible that day."""
    counters = await store.release_place(conn, activity.id, day)
    if counters["booked"] >= counters["capacity"]:
        return None
    for waiting in await store.waiting_for(conn, activity.id, day):
        if waiting["enrollment_status"] != "approved":
            continue
        if activity.eligibility.refusal(waiting["birth_date"], waiting["grade"], day):
            continue
        await store.promote(conn, waiting["id"])
        return waiting
    return None


# --- enrollments -------------------------------------------------------------------------


async def enroll(
    pool: asyncpg.Pool,
    tenant: str,
    *,
    child: dict[str, Any],
    activity: Activity,
    period: tuple[date, date],
    mode: str,
    weekdays: list[int] | None,
    every_n_weeks: int = 1,
    actor: uuid.UUID,
    staff: bool,
    now: datetime,
) -> dict[str, Any]:
    refusal = activity.eligibility.refusal_for_period(
        child["birth_date"], child["grade"], period[0], period[1]
    )
    if refusal:
        raise NotEligible(refusal)
    if not staff:  # staff enrolling at the desk have checked the papers themselves
        await missing_documents(pool, tenant, child, activity, now)
    status = "pending" if activity.requires_approval and not staff else "approved"
    if mode == "occasional":
        if activity.booking_mode == "schedule":
            # A fixed schedule without a pattern: every opening day of the period.
            mode = "regular"
        weekdays, every_n_weeks = None, 1
    scheduled = None
    async with pool.acquire() as conn, conn.transaction():
        row = await store.insert_enrollment(
            conn,
            {
                "id": uuid.uuid4(),
                "tenant": tenant,
                "activity_id": activity.id,
                "child_id": child["id"],
                "household_id": child["household_id"],
                "mode": mode,
                "weekdays": sorted(set(weekdays)) if weekdays else None,
                "every_n_weeks": every_n_weeks,
                "status": status,
                "requested_by": actor,
                "requested_at": now,
                "decided_by": actor if staff else None,
                "decided_at": now if status == "approved" else None,
            },
        )
        if row is None:
            raise AlreadyEnrolled()
        if status == "approved":
            await outbox.record(conn, enrollment_event(tenant, activity, child, row, period))
            scheduled = await book_schedule(
                conn, tenant, activity, row, account_id=actor, by_staff=staff, now=now
            )
    return {**row, "scheduled": scheduled}


def enrollment_event(
    tenant: str,
    activity: Activity,
    child: dict[str, Any],
    row: dict[str, Any],
    period: tuple[date, date],
) -> Event:
    return event(
        tenant,
        "booking.EnrollmentDecided",
        {
            **who(activity, child, row["requested_by"]),
            "enrollment_id": row["id"],
            "decision": row["status"],
            "reason": row["reason"],
            "decided_by": row["decided_by"],
            "period_from": period[0],
            "period_to": period[1],
        },
    )


async def decide(
    pool: asyncpg.Pool,
    tenant: str,
    enrollment_id: uuid.UUID,
    *,
    approve: bool,
    reason: str | None,
    actor: uuid.UUID,
    now: datetime,
) -> dict[str, Any]:
    async with pool.acquire() as conn, conn.transaction():
        current = await store.get_enrollment(conn, tenant, enrollment_id)
        if current is None:
            raise EnrollmentNotFound()
        row = await store.decide_enrollment(
            conn,
            enrollment_id,
            status="approved" if approve else "rejected",
            reason=reason,
            decided_by=actor,
            now=now,
        )
        if row is None:
            raise AlreadyDecided()
        activity_row = await store.get_activity(conn, tenant, row["activity_id"])
        child = await store.get_child(conn, tenant, row["child_id"])
        assert activity_row is not None and child is not None
        activity = Activity.from_row(activity_row)
        period = (activity.opening.period_from, activity.opening.period_to)
        await outbox.record(conn, enrollment_event(tenant, activity, child, row, period))
        scheduled = None
        if approve:
            scheduled = await book_schedule(
                conn, tenant, activity, row, account_id=actor, by_staff=True, now=now
            )
    return {**row, "scheduled": scheduled}


async def book_schedule(
    conn: asyncpg.Connection,
    tenant: str,
    activity: Activity,
    enrollment: dict[str, Any],
    *,
    account_id: uuid.UUID,
    by_staff: bool,
    now: datetime,
) -> dict[str, Any] | None:
    """Book the fixed schedule of an enrollment being approved (inside the approval's
    transaction): a regular pattern chosen at enrollment, or a `schedule` activity. The days
    go through a basket validated like any other (`validate_basket`, the `take_places`
    statement): no overbooking, a full day goes to the waiting list, and one
    booking.ReservationValidated carries the dates. None when nothing is to be booked
    ("I will book occasionally", or no day still open)."""
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
        conn,
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
        conn,
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
    result = await validate_basket(conn, tenant, basket["id"], owner=None, now=now)
    by_outcome: dict[str, list[date]] = defaultdict(list)
    for line in result["lines"]:
        by_outcome[line["outcome"]].append(line["date"])
    return {
        "basket_id": basket["id"],
        "confirmed": by_outcome["confirmed"],
        "waiting_list": by_outcome["waiting_list"],
        "refused": by_outcome["refused"],
    }


# --- baskets -----------------------------------------------------------------------------


@dataclass
class Line:
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    action: str
    accept_waiting: bool
    outcome: str = "pending"  # confirmed / waiting_list / cancelled / refused
    reason: str | None = None
    detail: str | None = None
    late: bool = False
    booking_id: uuid.UUID | None = None
    promoted: dict[str, Any] | None = field(default=None, repr=False)

    def refuse(self, reason: str, detail: str | None = None) -> None:
        self.outcome, self.reason = "refused", reason
        self.detail = detail or REASONS[reason]

    def to_json(self) -> dict[str, Any]:
        return {
            "child_id": self.child_id,
            "activity_id": self.activity_id,
            "date": self.day,
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
            "late": self.late,
            "booking_id": self.booking_id,
        }


async def validate_basket(
    pool: store.Conn,
    tenant: str,
    basket_id: uuid.UUID,
    *,
    owner: uuid.UUID | None,
    now: datetime,
    all_or_nothing: bool = False,
    reads: GroupRead | None = None,
    commits: GroupCommit | None = None,
) -> dict[str, Any]:
    """Apply every line of the basket at once. Each line ends confirmed, on the waiting list,
    cancelled or refused with its reason; with `all_or_nothing`, a single line that is not
    confirmed (or cancelled) leaves everything as it was. A basket of another household than
    `owner` (None: staff, any household of the tenant) is not found.

    Everything that can be decided without a lock is decided first, from one read (and the
    parsed activities, cached by row version). Then the additions take their places, get
    their booking rows, the basket its outcome and the outbox its ReservationValidated events
    in ONE statement (`store.take_places`): on a basket of additions, the usual case on the
    opening morning, it runs as its own transaction, so a hot day row stays locked for no
    client round trip at all. Given the process's groupings (`reads`, `commits`), the read and
    the write go with those of the other baskets validated at the same moment
    (`group_commit`). Baskets with cancellations (which may promote the waiting list) or
    all-or-nothing run in an explicit transaction."""
    if reads is not None:
        rows = await reads.basket_facts(tenant, basket_id)
    else:
        rows = await store.basket_facts(pool, tenant, basket_id)
    if not rows or (owner is not None and rows[0]["basket_household_id"] != owner):
        raise BasketNotFound()
    basket = {
        "id": basket_id,
        "tenant": tenant,
        "household_id": rows[0]["basket_household_id"],
        "account_id": rows[0]["basket_account_id"],
        "by_staff": rows[0]["basket_by_staff"],
    }
    if rows[0]["basket_status"] != "open":
        raise BasketValidated()
    facts = [r for r in rows if r["line_id"] is not None]
    if not facts:
        raise EmptyBasket()
    activities = await _activities(pool, tenant, facts)
    lines, adds, cancels = [], [], []
    kids: dict[uuid.UUID, dict[str, Any]] = {}
    for f in facts:
        line = Line(f["child_id"], f["activity_id"], f["day"], f["action"], f["accept_waiting"])
        lines.append(line)
        activity = activities.get(line.activity_id)
        if not f["known"] or f["household_id"] != basket["household_id"]:
            line.refuse("not_your_child")
            continue
        kids[line.child_id] = {
            "id": line.child_id,
            "household_id": f["household_id"],
            "first_name": f["first_name"],
        }
        if activity is None:
            line.refuse("unknown_activity")
        elif line.action == "add":
            status = f["enrollment_status"]
            window = activity.deadlines.booking_window(line.day, now)
            refusal = activity.eligibility.refusal(f["birth_date"], f["grade"], line.day)
            if status is None:
                line.refuse("not_enrolled")
            elif status == "pending":
                line.refuse("pending_enrollment")
            elif not activity.opening.is_open(line.day):
                line.refuse("closed_day")
            elif refusal:
                line.refuse("not_eligible", refusal)
            elif window == "closed":
                line.refuse("deadline_passed")
            else:  # already booked that day: decided as its place is taken
                line.late = window == "late"
                line.booking_id = uuid.uuid4()
                adds.append(line)
        elif f["live_id"] is None:
            line.refuse("not_booked")
        elif f["live_status"] == "booked" and not activity.deadlines.cancellable(line.day, now):
            line.refuse("cancellation_locked")
        else:
            line.booking_id = f["live_id"]
            cancels.append(line)

    # One ReservationValidated per child and activity, built (and checked against the
    # contract) now; the statement fills in its dates.
    # A basket staff filled for the family: the recap goes to the household's accounts only.
    by_staff = bool(basket.get("by_staff"))
    family_account = None if by_staff else basket["account_id"]
    staff_fields = {"booked_by_staff": basket["account_id"]} if by_staff else {}
    groups: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
    envelopes: list[dict[str, Any]] = []
    for line in adds:
        key = (line.child_id, line.activity_id)
        if key not in groups:
            groups[key] = len(envelopes) + 1
            envelopes.append(
                event(
                    tenant,
                    "booking.ReservationValidated",
                    {
                        **who(activities[line.activity_id], kids[line.child_id], family_account),
                        "basket_id": basket["id"],
                        "dates": [],
                        "waiting_dates": [],
                        **staff_fields,
                    },
                ).to_json()
            )
    add_rows = [
        {
            "id": x.booking_id,
            "activity_id": x.activity_id,
            "day": x.day,
            "child_id": x.child_id,
            "late": x.late,
            "accept_waiting": x.accept_waiting,
            "group": groups[(x.child_id, x.activity_id)],
        }
        for x in adds
    ]

    if not cancels and not all_or_nothing:
        refused = sum(x.outcome == "refused" for x in lines)
        taking = store.PlaceTaking(basket, add_rows, now, envelopes, {"refused": refused})
        if commits is not None:
            outcomes = await commits.take_places(taking)
        else:
            outcomes = (await store.take_places(pool, [taking]))[0]
        if outcomes is None:
            raise BasketValidated()
        _apply(adds, outcomes)
        return _result(basket, lines)

    async with _transaction(pool) as conn:
        if not await store.close_basket(conn, basket["id"], now):
            raise BasketValidated()
        # Every day row this basket touches, locked at once in the common order: the
        # cancellations below and the additions after them never deadlock with another basket.
        await store.lock_days(conn, [(x.activity_id, x.day) for x in adds + cancels])
        for line in cancels:
            await _cancel(conn, activities[line.activity_id], line, basket["account_id"], now)
        summary = {
            "cancelled": sum(x.outcome == "cancelled" for x in lines),
            "refused": sum(x.outcome == "refused" for x in lines),
        }
        taking = store.PlaceTaking(basket, add_rows, now, envelopes, summary)
        (outcomes,) = await store.take_places(conn, [taking], close=False)
        assert outcomes is not None
        _apply(adds, outcomes)
        if all_or_nothing and any(x.outcome not in ("confirmed", "cancelled") for x in lines):
            raise NotAllConfirmed(lines=[_plain(x.to_json()) for x in lines])
        events = _cancel_events(tenant, basket, cancels, activities, kids)
        if events:
            await outbox.record(conn, *events)
    return _result(basket, lines)


# Parsed activities by (id, row version). An activity row is read on every validation but
# almost never changes; a new version (any UPDATE) is a new key, so an entry is never stale.
_PARSED: dict[tuple[uuid.UUID, str], Activity] = {}
_PARSED_MAX = 5_000


async def _activities(
    pool: store.Conn, tenant: str, facts: list[dict[str, Any]]
) -> dict[uuid.UUID, Activity]:
    """The activities of the basket's lines (those of the tenant), parsed once per version."""
    found, missing = {}, {}
    for f in facts:
        version = f["activity_version"]
        if version is None:
            continue  # not an activity of the tenant
        key = (f["activity_id"], version)
        if key in _PARSED:
            found[f["activity_id"]] = _PARSED[key]
        else:
            missing[f["activity_id"]] = key
    if missing:
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.clear()
        for row in await store.activities(pool, tenant, ids=missing):
            # Stored under the version the facts saw; if the row changed in between, the
            # next validation sees the new version and parses it again.
            found[row["id"]] = _PARSED[missing[row["id"]]] = Activity.from_row(row)
    return found


@asynccontextmanager
async def _transaction(pool: store.Conn) -> AsyncIterator[asyncpg.Connection]:
    """A transaction on a connection of the pool, or (a connection: called from another use
    case's transaction) a savepoint on it."""
    if isinstance(pool, asyncpg.Pool):
        async with pool.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with pool.transaction():
            yield pool


def _apply(adds: list[Line], outcomes: list[str]) -> None:
    for line, outcome in zip(adds, outcomes, strict=True):
        if outcome == "confirmed":
            line.outcome = "confirmed"
        elif outcome == "waiting":
            line.outcome, line.reason, line.detail = "waiting_list", "full", REASONS["full"]
        else:
            line.booking_id = None
            line.refuse({"closed": "closed_day"}.get(outcome, outcome))


def _result(basket: dict[str, Any], lines: list[Line]) -> dict[str, Any]:
    return {
        "basket_id": basket["id"],
        "lines": [x.to_json() for x in lines],
        "confirmed": sum(x.outcome == "confirmed" for x in lines),
        "waiting_list": sum(x.outcome == "waiting_list" for x in lines),
        "cancelled": sum(x.outcome == "cancelled" for x in lines),
        "refused": sum(x.outcome == "refused" for x in lines),
    }


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    """JSON-ready values (for the problem body, which is not dumped by a schema)."""
    return {k: str(v) if isinstance(v, uuid.UUID | date) else v for k, v in data.items()}


async def _cancel(
    conn: asyncpg.Connection,
    activity: Activity,
    line: Line,
    actor: uuid.UUID,
    now: datetime,
) -> None:
    """Cancel one line's booking (the caller holds the day row)."""
    assert line.booking_id is not None
    row = await store.cancel_booking(conn, line.booking_id, by=actor, reason=None, now=now)
    if row is None:
        line.refuse("not_booked")
        return
    line.outcome, line.late = "cancelled", row["late"]
    if row["previous_status"] == "booked":
        line.promoted = await free_place(conn, activity, line.day)
    else:
        line.reason = "was_waiting"


def _cancel_events(
    tenant: str,
    basket: dict[str, Any],
    cancels: list[Line],
    activities: dict[uuid.UUID, Activity],
    kids: dict[uuid.UUID, dict[str, Any]],
) -> list[Event]:
    groups: dict[tuple[uuid.UUID, uuid.UUID], list[Line]] = defaultdict(list)
    for line in cancels:
        groups[(line.child_id, line.activity_id)].append(line)
    events = []
    for (child_id, activity_id), group in groups.items():
        activity = activities[activity_id]
        cancelled = [x for x in group if x.outcome == "cancelled" and x.reason != "was_waiting"]
        if cancelled:
            events.append(
                event(
                    tenant,
                    "booking.ReservationCancelled",
                    {
                        **who(activity, kids[child_id], basket["account_id"]),
                        "basket_id": basket["id"],
                        "dates": [
                            {"booking_id": x.booking_id, "date": x.day, "late": x.late}
                            for x in cancelled
                        ],
                        "cancelled_by": "staff" if basket.get("by_staff") else "family",
                        "reason": None,
                        "charged": False,
                    },
                )
            )
        for line in group:
            if line.promoted is not None:
                events.append(promotion_event(tenant, activity, line.promoted))
    return events


async def cancel_booking(
    pool: asyncpg.Pool,
    tenant: str,
    booking: dict[str, Any],
    *,
    actor: uuid.UUID,
    staff: bool,
    reason: str | None,
    charged: bool,
    now: datetime,
) -> dict[str, Any]:
    """Cancel one booking: a family before the cancellation deadline, staff at any time."""
    activity_row = await store.get_activity(pool, tenant, booking["activity_id"])
    child = await store.get_child(pool, tenant, booking["child_id"])
    assert activity_row is not None and child is not None
    activity = Activity.from_row(activity_row)
    if (
        not staff
        and booking["status"] == "booked"
        and not activity.deadlines.cancellable(booking["day"], now)
    ):
        raise CancellationLocked()
    async with pool.acquire() as conn, conn.transaction():
        await store.lock_day(conn, activity.id, booking["day"])
        row = await store.cancel_booking(conn, booking["id"], by=actor, reason=reason, now=now)
        if row is None:
            raise NotCancellable()
        events = []
        if row["previous_status"] == "booked":
            events.append(
                event(
                    tenant,
                    "booking.ReservationCancelled",
                    {
                        **who(activity, child, actor),
                        "basket_id": None,
                        "dates": [
                            {"booking_id": row["id"], "date": row["day"], "late": row["late"]}
                        ],
                        "cancelled_by": "staff" if staff else "family",
                        "reason": reason,
                        "charged": charged,
                    },
                )
            )
            promoted = await free_place(conn, activity, row["day"])
            if promoted is not None:
                events.append(promotion_event(tenant, activity, promoted))
        if events:
            await outbox.record(conn, *events)
    return row


# --- calendar ----------------------------------------------------------------------------


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


async def calendar(
    pool: asyncpg.Pool,
    tenant: str,
    child: dict[str, Any],
    month: date,
    *,
    activity_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, Any]:
    start, end = month_bounds(month)
    enrollments = {
        e["activity_id"]: e["status"]
        for e in await store.list_enrollments(pool, tenant, child_id=child["id"])
        if e["status"] != "rejected"
    }
    ids = set(enrollments) if activity_id is None else {activity_id}
    activities = [Activity.from_row(r) for r in await store.activities(pool, tenant, ids=ids)]
    if activity_id is not None and not activities:
        raise ActivityNotFound()
    counters = await store.day_counters(pool, [a.id for a in activities], start, end)
    latest: dict[tuple[uuid.UUID, date], dict[str, Any]] = {}
    for b in await store.child_bookings(pool, child["id"], start, end, [a.id for a in activities]):
        key = (b["activity_id"], b["day"])
        if b["status"] != "cancelled" or key not in latest or latest[key]["status"] == "cancelled":
            latest[key] = b
    out = []
    for activity in activities:
        days = []
        for day in daterange(start, end):
            booking = latest.get((activity.id, day))
            counter = counters.get((activity.id, day), {"booked": 0, "capacity": 0})
            facts = rules.DayFacts(
                day=day,
                booking_status=booking["status"] if booking else None,
                enrollment_status=enrollments.get(activity.id),
                eligible=activity.eligibility.refusal(child["birth_date"], child["grade"], day)
                is None,
                booked=counter["booked"],
                capacity=counter["capacity"],
            )
            days.append(
                {
                    "date": day,
                    "state": rules.day_state(activity.opening, activity.deadlines, facts, now),
                    "booking_id": booking["id"] if booking else None,
                    "late": bool(booking and booking["late"]),
                }
            )
        out.append(
            {
                "activity_id": activity.id,
                "name": activity.name,
                "type": activity.type,
                "site": activity.site,
                "days": days,
            }
        )
    return {"child_id": child["id"], "month": start.strftime("%Y-%m"), "activities": out}
