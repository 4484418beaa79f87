"""A basket's validation as the rules decide it: every line's outcome and reason, the
additions that go on to take their places, and their ReservationValidated payloads."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from booking.domain import holds
from booking.domain.activity import Activity, who
from booking.domain.errors import BasketNotFound, BasketValidated, EmptyBasket
from booking.domain.rules import may_book, window_refusal

# The French detail of each refusal reason (`not_eligible` carries its own: age, grade).
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
    "activity_closed": "Cette activité est fermée : elle ne prend plus de réservations.",
    "wallet_inactive": (
        "Activez votre compte famille et ajoutez des fonds pour réserver cette activité."
    ),
}

# What taking a place answered for an addition (`take_places_group`, migration 0010), as the
# line's outcome and reason.
TAKEN = {
    "confirmed": ("confirmed", None),
    "waiting": ("waiting_list", "full"),
    "full": ("refused", "full"),
    "already_booked": ("refused", "already_booked"),
    "closed": ("refused", "closed_day"),
}


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
    # Held until paid (`domain.holds`): how, and by when for at_booking. Set on an addition
    # of such an activity, cleared unless it gets a place.
    payment: str | None = None
    payment_due_at: datetime | None = None

    def refuse(self, reason: str, detail: str | None = None) -> None:
        self.outcome, self.reason = "refused", reason
        self.detail = detail or REASONS[reason]

    def settle(self, taken: str) -> None:
        """The outcome of an addition once its place was taken (or not)."""
        outcome, reason = TAKEN[taken]
        if outcome != "confirmed":  # no place taken: nothing held
            self.payment = self.payment_due_at = None
        if outcome == "refused" and reason is not None:
            self.booking_id = None
            self.refuse(reason)
        else:
            self.outcome, self.reason = outcome, reason
            self.detail = REASONS[reason] if reason else None

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
            "held": self.payment is not None,
            "payment": self.payment,
            "payment_due_at": self.payment_due_at,
        }


@dataclass(frozen=True)
class Basket:
    id: uuid.UUID
    tenant: str
    household_id: uuid.UUID
    account_id: uuid.UUID
    by_staff: bool


@dataclass(frozen=True)
class Addition:
    """A line that takes a place: its booking id, and (`reservation`) the index of the
    ReservationValidated of its child and activity in its placement."""

    booking_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    child_id: uuid.UUID
    late: bool
    accept_waiting: bool
    reservation: int


def open_basket(
    rows: Sequence[Mapping[str, Any]], tenant: str, owner: uuid.UUID | None
) -> tuple[Basket, list[Mapping[str, Any]]]:
    """The basket of `store.basket_facts` rows, and its lines' facts, when it can be validated:
    found (in `owner`'s household unless staff: None), still open, not empty."""
    if not rows or (owner is not None and rows[0]["basket_household_id"] != owner):
        raise BasketNotFound()
    first = rows[0]
    basket = Basket(
        id=first["basket_id"],
        tenant=tenant,
        household_id=first["basket_household_id"],
        account_id=first["basket_account_id"],
        by_staff=bool(first["basket_by_staff"]),
    )
    if first["basket_status"] != "open":
        raise BasketValidated()
    facts = [r for r in rows if r["line_id"] is not None]
    if not facts:
        raise EmptyBasket()
    return basket, facts


@dataclass
class Validation:
    """A basket's lines as decided before any place is taken: the additions wait for their
    places, the cancellations for their transaction, the others are refused already."""

    basket: Basket
    lines: list[Line]
    additions: list[Line]
    cancellations: list[Line]
    children: dict[uuid.UUID, dict[str, Any]]
    activities: Mapping[uuid.UUID, Activity]
    # Some addition would be held until paid: its place is taken in a transaction of its
    # own, with the hold (`usecases.baskets._take_and_cancel`).
    holding: bool = False

    def to_place(self) -> tuple[tuple[Addition, ...], list[dict[str, Any]]]:
        """The additions as they take their places (locking order), and the
        ReservationValidated payloads of their children and activities, without dates."""
        basket = self.basket
        # A basket staff filled for the family: the recap goes to the household's accounts.
        family_account = None if basket.by_staff else basket.account_id
        staff_fields = {"booked_by_staff": basket.account_id} if basket.by_staff else {}
        index: dict[tuple[uuid.UUID, uuid.UUID], int] = {}
        bases: list[dict[str, Any]] = []
        additions = []
        for line in self.additions:
            key = (line.child_id, line.activity_id)
            if key not in index:
                index[key] = len(bases)
                # Days held until paid say how, and by when (their waiting days are not
                # held: a child promoted later is booked as usual).
                held = (
                    {"payment": line.payment, "payment_due_at": line.payment_due_at}
                    if line.payment
                    else {}
                )
                bases.append(
                    {
                        **who(
                            self.activities[line.activity_id],
                            self.children[line.child_id],
                            family_account,
                        ),
                        "basket_id": basket.id,
                        **staff_fields,
                        **held,
                    }
                )
            assert line.booking_id is not None
            additions.append(
                Addition(
                    line.booking_id,
                    line.activity_id,
                    line.day,
                    line.child_id,
                    line.late,
                    line.accept_waiting,
                    index[key],
                )
            )
        return tuple(additions), bases

    def settled(self) -> tuple[str, ...]:
        """The outcomes of the lines decided already (all but the additions waiting for
        their places)."""
        return tuple(x.outcome for x in self.lines if x.outcome != "pending")

    def settle(self, taken: Sequence[str]) -> None:
        for line, outcome in zip(self.additions, taken, strict=True):
            line.settle(outcome)

    def held(self) -> list[Line]:
        """The additions that got a place held until paid."""
        return [x for x in self.additions if x.payment is not None]

    def draft(self) -> dict[str, Any]:
        """The answer as decided before the places are taken, JSON-ready: its lines (the
        additions still pending), which of them are the additions, and whether days are held.
        Stored with the basket by the statement that takes its places, beside what that
        statement answered per addition (`taken`): `replayed` gives the answer again."""
        position = {id(line): n for n, line in enumerate(self.lines)}
        return {
            "lines": [_jsonable(line.to_json()) for line in self.lines],
            "additions": [position[id(line)] for line in self.additions],
            "holding": self.holding,
        }

    def result(self, counts: Mapping[str, int]) -> dict[str, Any]:
        """The validation's answer: every line, and the basket's counts (added up where its
        places were taken, and stored with it); the days held until paid (counted among
        the confirmed) and, for at_booking, the earliest time by which they must be paid."""
        held = self.held() if self.holding else []
        due = [x.payment_due_at for x in held if x.payment_due_at is not None]
        return {
            "basket_id": self.basket.id,
            "lines": [x.to_json() for x in self.lines],
            **counts,
            "held": len(held),
            "payment_due_at": min(due) if due else None,
        }


def _jsonable(data: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: str(v) if isinstance(v, uuid.UUID) else v.isoformat() if isinstance(v, date) else v
        for k, v in data.items()
    }


def replayed(
    basket: Basket, answer: Mapping[str, Any], counts: Mapping[str, int]
) -> dict[str, Any]:
    """The answer the basket's validation gave (`Validation.result`), from what was stored
    with it (`Validation.draft` and `taken`) and its counts: the same, line by line."""
    lines = [
        Line(
            child_id=uuid.UUID(x["child_id"]),
            activity_id=uuid.UUID(x["activity_id"]),
            day=date.fromisoformat(x["date"]),
            action=x["action"],
            accept_waiting=False,  # not part of the answer
            outcome=x["outcome"],
            reason=x["reason"],
            detail=x["detail"],
            late=x["late"],
            booking_id=uuid.UUID(x["booking_id"]) if x["booking_id"] else None,
            payment=x["payment"],
            payment_due_at=(
                datetime.fromisoformat(x["payment_due_at"]) if x["payment_due_at"] else None
            ),
        )
        for x in answer["lines"]
    ]
    additions = [lines[n] for n in answer["additions"]]
    validation = Validation(basket, lines, additions, [], {}, {}, holding=answer["holding"])
    validation.settle(answer["taken"])
    return validation.result(counts)


def decide(
    basket: Basket,
    facts: Sequence[Mapping[str, Any]],
    activities: Mapping[uuid.UUID, Activity],
    now: datetime,
    *,
    hold: bool = True,
    wallet_active: bool = False,
) -> Validation:
    """Every line decided from what was read: another household's child, an unknown
    activity, and for an addition what `may_book` says, are refused; an addition allowed
    gets its booking id (its place is taken later); a cancellation needs a live booking
    still cancellable.

    With `hold` (unless staff chose otherwise), an addition of an activity paid at booking
    or from the wallet is held until paid (`domain.holds`), and one paid from the wallet is
    refused (`wallet_inactive`) when the household has no active wallet."""
    lines: list[Line] = []
    additions: list[Line] = []
    cancellations: list[Line] = []
    children: dict[uuid.UUID, dict[str, Any]] = {}
    holding = False
    for f in facts:
        line = Line(f["child_id"], f["activity_id"], f["day"], f["action"], f["accept_waiting"])
        lines.append(line)
        if not f["known"] or f["household_id"] != basket.household_id:
            line.refuse("not_your_child")
            continue
        children[line.child_id] = {
            "id": line.child_id,
            "household_id": f["household_id"],
            "first_name": f["first_name"],
        }
        activity = activities.get(line.activity_id)
        if activity is None:
            line.refuse("unknown_activity")
        elif line.action == "add" and activity.closed:
            line.refuse("activity_closed")
        elif line.action == "add":
            verdict = may_book(
                activity.opening,
                activity.deadlines,
                line.day,
                f["enrollment_status"],
                activity.eligibility.refusal(f["birth_date"], f["grade"], line.day),
                now,
            )
            if verdict.refusal is None:
                verdict = (
                    window_refusal(f.get("window_status"), f.get("window_closes_at")) or verdict
                )
            if verdict.refusal is not None:
                line.refuse(verdict.refusal, verdict.detail)
            elif hold and activity.payment == "wallet" and not wallet_active:
                line.refuse("wallet_inactive")
            else:  # already booked that day: decided as its place is taken
                line.late = verdict.late
                line.booking_id = uuid.uuid4()
                if hold and holds.holds(activity):
                    line.payment = activity.payment
                    line.payment_due_at = holds.due_at(activity, now)
                    holding = True
                additions.append(line)
        elif f["live_id"] is None:
            line.refuse("not_booked")
        elif f["live_status"] == "booked" and not activity.deadlines.cancellable(line.day, now):
            line.refuse("cancellation_locked")
        else:
            line.booking_id = f["live_id"]
            cancellations.append(line)
    return Validation(basket, lines, additions, cancellations, children, activities, holding)
