"""Request and response bodies of the booking API (marshmallow; they also feed OpenAPI)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from booking.domain import rules
from booking.domain.campaigns import valid_school_year
from shared.events.contract import ABSENCE_REASONS, ACTIVITY_TYPES, ATTENDANCE, DIETS
from shared.http.requests import RequestSchema

_NAME = validate.Length(1, 200)
_WEEKDAY = fields.Integer(validate=validate.Range(1, 7))
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


_In = RequestSchema  # request bodies: unknown fields refused, strings trimmed

_WAITING_LIST_MODE = (
    "how a freed place goes to the waiting list: automatic (the next child is booked) or"
    " offer (the next child is offered it, by email with a one-click accept link, until the"
    " offer expires; unanswered or declined, it passes to the next child)"
)
_OFFER_HOURS = (
    "offer mode: hours a family has to accept (1-168); an end outside working hours"
    " (08:00-18:00 Paris, working days) moves to 18:00 of the next working day, never after"
    " the day starts"
)


class DeadlineIn(_In):
    """ "N (working) days before the day at HH:MM", or weekly with `weekday`: "on that weekday
    of the week before, at HH:MM" (Thursday noon for next week: weekday 4, at 12:00)."""

    days_before = fields.Integer(load_default=None, validate=validate.Range(0, 365))
    at = fields.String(
        load_default="00:00",
        validate=validate.Regexp(_HHMM, error="Heure invalide (format HH:MM)."),
    )
    working_days = fields.Boolean(load_default=False)
    weekday = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, 7),
        metadata={"description": "weekly rule: 1 = Monday .. 7 = Sunday of the week before"},
    )

    @validates_schema
    def one_rule(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("weekday") is None:
            if data.get("days_before") is None:
                raise ValidationError("Indiquez le nombre de jours avant.", "days_before")
        elif data.get("days_before") or data.get("working_days"):
            raise ValidationError(
                "Une règle hebdomadaire ne se combine pas avec un nombre de jours.", "weekday"
            )

    @post_load
    def days(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if data.get("days_before") is None:
            data["days_before"] = 0
        if data.get("weekday") is None:
            data.pop("weekday", None)
        return data


class DeadlineOut(Schema):
    days_before = fields.Integer()
    at = fields.String()
    working_days = fields.Boolean()
    weekday = fields.Integer(metadata={"description": "set for a weekly rule"})


class ActivityIn(_In):
    name = fields.String(required=True, validate=_NAME)
    type = fields.String(required=True, validate=validate.OneOf(ACTIVITY_TYPES))
    site = fields.String(required=True, validate=_NAME)
    period_from = fields.Date(required=True)
    period_to = fields.Date(required=True)
    weekdays = fields.List(_WEEKDAY, required=True, validate=validate.Length(1, 7))
    closed_dates = fields.List(fields.Date(), load_default=list)
    extra_dates = fields.List(
        fields.Date(),
        load_default=list,
        metadata={"description": "days opened by hand (a holiday, another weekday)"},
    )
    skip_public_holidays = fields.Boolean(load_default=True)
    school_time = fields.Boolean(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "closed in the school holidays of the tenant's zone; default: true "
            "for PERI, CANTINE, MERCREDI and ETUDE"
        },
    )
    capacity = fields.Integer(required=True, validate=validate.Range(0, 100_000))
    min_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 25))
    max_age = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(0, 25))
    grades = fields.List(
        fields.String(validate=validate.Length(1, 40)), load_default=None, allow_none=True
    )
    booking_deadline = fields.Nested(DeadlineIn, required=True)
    cancel_deadline = fields.Nested(DeadlineIn, required=True)
    late_allowed = fields.Boolean(load_default=False)
    late_deadline = fields.Nested(DeadlineIn, load_default=None, allow_none=True)
    requires_approval = fields.Boolean(load_default=False)
    booking_mode = fields.String(
        load_default="free",
        validate=validate.OneOf(["free", "schedule"]),
        metadata={
            "description": "free: families book days in baskets; schedule: the days are set"
            " at enrollment (a regular pattern, or every opening day) and booked when it is"
            " approved"
        },
    )
    waiting_list_mode = fields.String(
        load_default="automatic",
        validate=validate.OneOf(["automatic", "offer"]),
        metadata={"description": _WAITING_LIST_MODE},
    )
    offer_hours = fields.Integer(
        load_default=24, validate=validate.Range(1, 168), metadata={"description": _OFFER_HOURS}
    )
    required_documents = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9_]{0,39}$")),
        load_default=list,
        validate=validate.Length(0, 20),
        metadata={"description": "document type codes that must be valid at enrollment"},
    )

    @validates_schema
    def coherent(self, data: dict[str, Any], **_: Any) -> None:
        if data["period_to"] < data["period_from"]:
            raise ValidationError("La fin de la période précède son début.", "period_to")
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and high < low:
            raise ValidationError("L'âge maximum est inférieur à l'âge minimum.", "max_age")


class ActivityPatchIn(_In):
    """The fields of creation staff may change (not the type, which billing keys its
    prices on); those absent stay as they are. New opening rules and capacity apply to the
    days after today."""

    name = fields.String(validate=_NAME)
    site = fields.String(validate=_NAME)
    period_from = fields.Date()
    period_to = fields.Date()
    weekdays = fields.List(_WEEKDAY, validate=validate.Length(1, 7))
    closed_dates = fields.List(fields.Date())
    extra_dates = fields.List(fields.Date())
    skip_public_holidays = fields.Boolean()
    school_time = fields.Boolean()
    capacity = fields.Integer(validate=validate.Range(0, 100_000))
    min_age = fields.Integer(allow_none=True, validate=validate.Range(0, 25))
    max_age = fields.Integer(allow_none=True, validate=validate.Range(0, 25))
    grades = fields.List(fields.String(validate=validate.Length(1, 40)), allow_none=True)
    booking_deadline = fields.Nested(DeadlineIn)
    cancel_deadline = fields.Nested(DeadlineIn)
    late_allowed = fields.Boolean()
    late_deadline = fields.Nested(DeadlineIn, allow_none=True)
    requires_approval = fields.Boolean()
    booking_mode = fields.String(validate=validate.OneOf(["free", "schedule"]))
    waiting_list_mode = fields.String(
        validate=validate.OneOf(["automatic", "offer"]),
        metadata={"description": _WAITING_LIST_MODE},
    )
    offer_hours = fields.Integer(
        validate=validate.Range(1, 168), metadata={"description": _OFFER_HOURS}
    )
    required_documents = fields.List(
        fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9_]{0,39}$")),
        validate=validate.Length(0, 20),
    )


class ActivityOut(Schema):
    id = fields.UUID()
    name = fields.String()
    type = fields.String()
    site = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    weekdays = fields.List(fields.Integer())
    closed_dates = fields.List(fields.Date())
    extra_dates = fields.List(fields.Date())
    skip_public_holidays = fields.Boolean()
    school_time = fields.Boolean()
    school_zone = fields.String(allow_none=True, metadata={"enum": ["A", "B", "C"]})
    capacity = fields.Integer()
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    grades = fields.List(fields.String(), allow_none=True)
    booking_deadline = fields.Nested(DeadlineOut)
    cancel_deadline = fields.Nested(DeadlineOut)
    late_allowed = fields.Boolean()
    late_deadline = fields.Nested(DeadlineOut)
    requires_approval = fields.Boolean()
    booking_mode = fields.String(metadata={"enum": ["free", "schedule"]})
    waiting_list_mode = fields.String(
        metadata={"enum": ["automatic", "offer"], "description": _WAITING_LIST_MODE}
    )
    offer_hours = fields.Integer(metadata={"description": _OFFER_HOURS})
    required_documents = fields.List(fields.String())
    payment = fields.String(
        metadata={
            "enum": ["invoice", "at_booking", "wallet"],
            "description": "how its days are paid, as billing set it: at_booking and wallet"
            " days are held until paid",
        }
    )
    hold_minutes = fields.Integer(
        metadata={"description": "at_booking: how long booked days are held while unpaid"}
    )
    opening_days = fields.Integer(metadata={"description": "number of opening days"})
    closed = fields.Boolean(
        metadata={"description": "closed by staff: no new baskets, bookings or enrollments"}
    )
    closed_at = fields.AwareDateTime(allow_none=True)
    archived = fields.Boolean(
        metadata={"description": "archived by staff: out of the catalogue, closed"}
    )
    archived_at = fields.AwareDateTime(allow_none=True)
    eligible = fields.Boolean(
        allow_none=True, metadata={"description": "for ?child_id=: may this child enroll"}
    )
    ineligibility_reason = fields.String(allow_none=True)


class TenantSettingsIn(_In):
    school_zone = fields.String(required=True, validate=validate.OneOf(["A", "B", "C"]))


class TenantSettingsOut(Schema):
    tenant = fields.String()
    school_zone = fields.String(metadata={"enum": ["A", "B", "C"]})
    default = fields.Boolean(metadata={"description": "true: the service's default zone"})


class ActivityListOut(Schema):
    items = fields.List(fields.Nested(ActivityOut))


class ActivitiesQuery(Schema):
    type = fields.String(validate=validate.OneOf(ACTIVITY_TYPES))
    child_id = fields.UUID()
    archived = fields.Boolean(
        load_default=False,
        metadata={"description": "true: the archived activities only (staff)"},
    )


class DayOut(Schema):
    date = fields.Date(attribute="day")
    capacity = fields.Integer()
    booked = fields.Integer()
    waiting = fields.Integer()


class DaysOut(Schema):
    activity_id = fields.UUID()
    days = fields.List(fields.Nested(DayOut))


class DaysQuery(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")


class DayCapacityIn(_In):
    capacity = fields.Integer(required=True, validate=validate.Range(0, 100_000))


class DayCloseIn(_In):
    reason = fields.String(
        required=True,
        validate=validate.Length(1, 500),
        metadata={"description": "Why the day is closed, in the families' email (French)"},
    )


class DayClosedOut(Schema):
    activity_id = fields.UUID()
    date = fields.Date()
    reason = fields.String()
    cancelled = fields.Integer(metadata={"description": "Bookings cancelled (families told)"})
    waiting_removed = fields.Integer(metadata={"description": "Children taken off the list"})
    already_closed = fields.Boolean()


class EnrollmentIn(_In):
    child_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    mode = fields.String(
        load_default="occasional", validate=validate.OneOf(["occasional", "regular"])
    )
    weekdays = fields.List(_WEEKDAY, load_default=None, allow_none=True)
    every_n_weeks = fields.Integer(
        load_default=1,
        validate=validate.Range(1, 4),
        metadata={"description": "regular pattern: one week in N (from the period's start)"},
    )

    @validates_schema
    def pattern(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("mode") == "regular" and not data.get("weekdays"):
            raise ValidationError(
                "Indiquez les jours de la semaine du rythme régulier.", "weekdays"
            )


class ScheduledOut(Schema):
    basket_id = fields.UUID()
    confirmed = fields.List(fields.Date())
    waiting_list = fields.List(fields.Date())
    refused = fields.List(fields.Date())


class EnrollmentOut(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    child_id = fields.UUID()
    household_id = fields.UUID()
    mode = fields.String()
    weekdays = fields.List(fields.Integer(), allow_none=True)
    every_n_weeks = fields.Integer()
    status = fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    reason = fields.String(allow_none=True)
    requested_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    scheduled = fields.Nested(
        ScheduledOut,
        allow_none=True,
        metadata={"description": "when this request approved it: the days its pattern booked"},
    )


class EnrollmentListOut(Schema):
    items = fields.List(fields.Nested(EnrollmentOut))


class EnrollmentsQuery(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "approved", "rejected"]))
    child_id = fields.UUID()
    household_id = fields.UUID(metadata={"description": "staff: one household's"})
    activity_id = fields.UUID()


class DecisionIn(_In):
    decision = fields.String(required=True, validate=validate.OneOf(["approved", "rejected"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))

    @validates_schema
    def reason_when_rejected(self, data: dict[str, Any], **_: Any) -> None:
        if data["decision"] == "rejected" and not data.get("reason"):
            raise ValidationError("Indiquez le motif du refus.", "reason")


class LineIn(_In):
    """Days for one child and activity: a list of dates, or a range (from..to, the whole
    period by default) on some weekdays, one week in N."""

    child_id = fields.UUID(required=True)
    activity_id = fields.UUID(required=True)
    action = fields.String(load_default="add", validate=validate.OneOf(["add", "cancel"]))
    dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(0, 400))
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)
    weekdays = fields.List(_WEEKDAY, load_default=None, allow_none=True)
    every_n_weeks = fields.Integer(load_default=1, validate=validate.Range(1, 4))
    accept_waiting_list = fields.Boolean(load_default=True)

    @validates_schema
    def one_way(self, data: dict[str, Any], **_: Any) -> None:
        ranged = data.get("date_from") or data.get("date_to") or data.get("weekdays")
        if data.get("dates") and ranged:
            raise ValidationError(
                "Donnez soit des dates, soit une période ; pas les deux.", "dates"
            )
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            raise ValidationError("La fin de la période précède son début.", "to")


class BasketIn(_In):
    lines = fields.List(fields.Nested(LineIn), load_default=list, validate=validate.Length(0, 50))
    household_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "staff only (required then): the family the basket is for"},
    )


class BasketLineOut(Schema):
    id = fields.UUID()
    child_id = fields.UUID()
    activity_id = fields.UUID()
    date = fields.Date(attribute="day")
    action = fields.String()
    accept_waiting_list = fields.Boolean(attribute="accept_waiting")


# --- waiting-list offers (issue 18) ---


class AcceptByLinkIn(_In):
    token = fields.String(
        required=True,
        validate=validate.Length(1, 200),
        metadata={
            "description": "the token of the emailed link (<PORTAL_URL>/offres/accepter/<token>)"
        },
    )


class OfferAcceptedOut(Schema):
    """What an accept link accepted (no child's name: details need a login)."""

    offer_id = fields.UUID()
    status = fields.String(metadata={"enum": ["accepted"]})
    date = fields.Date()
    activity_name = fields.String()


class OfferOut(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    activity_name = fields.String()
    booking_id = fields.UUID(metadata={"description": "the waiting booking offered the place"})
    child_id = fields.UUID()
    child_first_name = fields.String()
    date = fields.Date(attribute="day")
    status = fields.String(
        metadata={
            "enum": ["open", "accepted", "declined", "expired", "void"],
            "description": "open: may be accepted until expires_at; accepted: booked;"
            " declined, expired: the place passed to the next child; void: withdrawn (the"
            " child left the waiting list, or the day was closed)",
        }
    )
    offered_at = fields.AwareDateTime()
    expires_at = fields.AwareDateTime()
    answered_at = fields.AwareDateTime(allow_none=True)
    answered_by = fields.UUID(
        allow_none=True, metadata={"description": "the account; null: by the emailed link"}
    )


class OfferListOut(Schema):
    items = fields.List(fields.Nested(OfferOut))


class OffersQuery(Schema):
    activity_id = fields.UUID(load_default=None, metadata={"description": "staff only"})
    day = fields.Date(load_default=None, metadata={"description": "staff only"})


class OfferChainQuery(Schema):
    day = fields.Date(load_default=None)


class OfferChainOut(Schema):
    activity_id = fields.UUID()
    activity_name = fields.String()
    waiting_list_mode = fields.String(metadata={"enum": ["automatic", "offer"]})
    offer_hours = fields.Integer()
    items = fields.List(
        fields.Nested(OfferOut), metadata={"description": "every offer in the order made"}
    )


class HoldOut(Schema):
    """A day of the basket taken while its payment was pending."""

    booking_id = fields.UUID()
    child_id = fields.UUID()
    activity_id = fields.UUID()
    date = fields.Date(attribute="day")
    payment = fields.String(metadata={"enum": ["at_booking", "wallet"]})
    hold = fields.String(
        metadata={
            "enum": ["held", "confirmed", "released", "cancelled"],
            "description": "held: the place is kept until paid; confirmed: paid; released:"
            " not paid, the place given back; cancelled: cancelled while held",
        }
    )
    held_until = fields.AwareDateTime(
        allow_none=True, metadata={"description": "at_booking: pay before this time"}
    )
    release_reason = fields.String(
        allow_none=True,
        metadata={
            "enum": [
                "payment_expired",
                "payment_refused",
                "insufficient_balance",
                "wallet_inactive",
            ]
        },
    )


class OutcomeLineOut(Schema):
    child_id = fields.UUID()
    activity_id = fields.UUID()
    date = fields.Date()
    action = fields.String()
    outcome = fields.String(
        metadata={"enum": ["confirmed", "waiting_list", "cancelled", "refused"]}
    )
    reason = fields.String(allow_none=True)
    detail = fields.String(allow_none=True)
    late = fields.Boolean()
    booking_id = fields.UUID(allow_none=True)
    held = fields.Boolean(
        metadata={"description": "confirmed, its place held until paid (`payment`)"}
    )
    payment = fields.String(allow_none=True, metadata={"enum": ["at_booking", "wallet"]})
    payment_due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "at_booking: released unless paid by then"}
    )


class ValidationOut(Schema):
    basket_id = fields.UUID()
    confirmed = fields.Integer()
    waiting_list = fields.Integer()
    cancelled = fields.Integer()
    refused = fields.Integer()
    held = fields.Integer(metadata={"description": "of the confirmed days, those held until paid"})
    payment_due_at = fields.AwareDateTime(
        allow_none=True,
        metadata={"description": "the earliest time by which held days must be paid"},
    )
    lines = fields.List(fields.Nested(OutcomeLineOut))


class BasketOut(Schema):
    id = fields.UUID()
    household_id = fields.UUID()
    by_staff = fields.Boolean()
    status = fields.String()
    created_at = fields.AwareDateTime()
    validated_at = fields.AwareDateTime(allow_none=True)
    lines = fields.List(fields.Nested(BasketLineOut))
    outcome = fields.Dict(allow_none=True)
    holds = fields.List(
        fields.Nested(HoldOut),
        metadata={"description": "its days held until paid, and what became of them"},
    )
    validation = fields.Nested(
        ValidationOut,
        allow_none=True,
        metadata={
            "description": "a validated basket: its validation's answer, line by line (null"
            " for an open basket, or one validated before answers were kept)"
        },
    )


class BasketsQuery(Schema):
    household_id = fields.UUID(
        metadata={"description": "staff only (required then); a family sees its own"}
    )
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class BasketSummaryOut(Schema):
    """A validated basket without its lines: when, by whom, and what became of its days."""

    id = fields.UUID()
    household_id = fields.UUID()
    by_staff = fields.Boolean()
    status = fields.String()
    created_at = fields.AwareDateTime()
    validated_at = fields.AwareDateTime(allow_none=True)
    line_count = fields.Integer()
    outcome = fields.Dict(
        allow_none=True,
        metadata={"description": "counts: confirmed, waiting_list, cancelled, refused"},
    )


class BasketListOut(Schema):
    items = fields.List(fields.Nested(BasketSummaryOut))


class ValidateIn(_In):
    all_or_nothing = fields.Boolean(load_default=False)
    hold_for_payment = fields.Boolean(
        load_default=True,
        metadata={
            "description": "staff only: false books the days of activities paid at booking or"
            " from the wallet without holding them (invoiced as usual, e.g. paid at the desk)"
        },
    )


class CancelIn(_In):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))
    charged = fields.Boolean(load_default=False, metadata={"description": "staff only"})


class BookingOut(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    child_id = fields.UUID()
    date = fields.Date(attribute="day")
    status = fields.String()
    late = fields.Boolean()
    cancel_reason = fields.String(allow_none=True)
    payment = fields.String(
        allow_none=True, metadata={"description": "at_booking, wallet: taken until paid"}
    )
    hold = fields.String(
        allow_none=True, metadata={"enum": ["held", "confirmed", "released", "cancelled"]}
    )
    held_until = fields.AwareDateTime(allow_none=True)


class CalendarQuery(Schema):
    month = fields.String(
        required=True,
        # Years 1900-2099: a month's calendar computes dates around it (year 0 or 9999: none).
        validate=validate.Regexp(
            r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", error="Mois invalide (AAAA-MM)."
        ),
    )
    activity_id = fields.UUID()

    def month_start(self, data: dict[str, Any]) -> date:
        year, month = data["month"].split("-")
        return date(int(year), int(month), 1)


class CalendarDayOut(Schema):
    date = fields.Date()
    state = fields.String(metadata={"enum": list(rules.STATES)})
    booking_id = fields.UUID(allow_none=True)
    late = fields.Boolean()
    waiting_position = fields.Integer(
        allow_none=True,
        metadata={"description": "on the waiting list: its place in arrival order (1: next)"},
    )
    held = fields.Boolean(metadata={"description": "booked, its place held until paid"})
    payment_due_at = fields.AwareDateTime(
        allow_none=True, metadata={"description": "held at booking: released unless paid by then"}
    )


class CalendarActivityOut(Schema):
    activity_id = fields.UUID()
    name = fields.String()
    type = fields.String()
    site = fields.String()
    days = fields.List(fields.Nested(CalendarDayOut))


class CalendarOut(Schema):
    child_id = fields.UUID()
    month = fields.String()
    activities = fields.List(fields.Nested(CalendarActivityOut))


class CalendarTokenOut(Schema):
    child_id = fields.UUID()
    token = fields.String(metadata={"description": "the feed's secret, shown only once"})
    url = fields.String(metadata={"description": "path of the iCalendar feed"})


# --- staff views ---------------------------------------------------------------------------


class StaffViewQuery(Schema):
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    site = fields.String(validate=_NAME)
    types = fields.String(
        data_key="type",
        metadata={"description": "meals only: activity types serving a meal, comma-separated"},
    )

    @validates_schema
    def span(self, data: dict[str, Any], **_: Any) -> None:
        days = (data["date_to"] - data["date_from"]).days
        if days < 0:
            raise ValidationError("La fin de la période précède son début.", "to")
        if days > 92:
            raise ValidationError("Trois mois au plus.", "to")
        if "types" in data and not set(data["types"].split(",")) <= set(ACTIVITY_TYPES):
            raise ValidationError("Type d'activité inconnu.", "type")


class WaitingListQuery(Schema):
    date_from = fields.Date(data_key="from", load_default=None)
    date_to = fields.Date(data_key="to", load_default=None)

    @validates_schema
    def span(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start is not None and end is not None and end < start:
            raise ValidationError("La fin de la période précède son début.", "to")


class WaitingChildOut(Schema):
    position = fields.Integer(metadata={"description": "1 = the next to get a freed place"})
    booking_id = fields.UUID()
    child_id = fields.UUID()
    child_first_name = fields.String()
    child_last_name = fields.String(allow_none=True)
    household_id = fields.UUID()
    since = fields.AwareDateTime(metadata={"description": "when the child joined the list"})


class WaitingDayOut(Schema):
    date = fields.Date()
    capacity = fields.Integer()
    booked = fields.Integer()
    children = fields.List(fields.Nested(WaitingChildOut))


class WaitingListOut(Schema):
    activity_id = fields.UUID()
    site = fields.String()
    days = fields.List(fields.Nested(WaitingDayOut))


class SiteActivityOut(Schema):
    activity_id = fields.UUID()
    name = fields.String()
    type = fields.String()
    capacity = fields.Integer()
    booked = fields.Integer()
    waiting = fields.Integer()


class SiteDayOut(Schema):
    date = fields.Date()
    site = fields.String()
    capacity = fields.Integer()
    booked = fields.Integer()
    waiting = fields.Integer()
    activities = fields.List(fields.Nested(SiteActivityOut))


class OccupancyOut(Schema):
    days = fields.List(fields.Nested(SiteDayOut))


class MealDayOut(Schema):
    date = fields.Date()
    site = fields.String()
    meals = fields.Integer(metadata={"description": "children booked"})
    expected = fields.Integer(metadata={"description": "without the children known absent"})
    diets = fields.Dict(keys=fields.String(), values=fields.Integer())
    expected_diets = fields.Dict(keys=fields.String(), values=fields.Integer())


class MealsOut(Schema):
    days = fields.List(fields.Nested(MealDayOut))


# --- attendance and absences ---------------------------------------------------------------


class RollChildOut(Schema):
    booking_id = fields.UUID()
    child_id = fields.UUID()
    household_id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    grade = fields.String(allow_none=True)
    school = fields.String(allow_none=True)
    diet = fields.String(metadata={"enum": list(DIETS)})
    late = fields.Boolean()
    unexpected = fields.Boolean(metadata={"description": "came without a booking"})
    attendance = fields.String(allow_none=True, metadata={"enum": list(ATTENDANCE)})
    absence_id = fields.UUID(allow_none=True)
    absence_status = fields.String(allow_none=True, metadata={"enum": ["pending", "accepted"]})
    absence_reason = fields.String(allow_none=True)


class RollOut(Schema):
    activity_id = fields.UUID()
    name = fields.String()
    site = fields.String()
    date = fields.Date()
    booked = fields.Integer()
    present = fields.Integer()
    diets = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "meals by diet"}
    )
    expected_diets = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "meals by diet, without the children known absent"},
    )
    children = fields.List(fields.Nested(RollChildOut))


class MarkIn(_In):
    child_id = fields.UUID(required=True)
    status = fields.String(required=True, validate=validate.OneOf(ATTENDANCE))


class AttendanceIn(_In):
    marks = fields.List(fields.Nested(MarkIn), required=True, validate=validate.Length(1, 1000))


class AbsenceIn(_In):
    reason = fields.String(required=True, validate=validate.OneOf(ABSENCE_REASONS))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 2000))
    document_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "a supporting document of the family's document store"},
    )


class AbsenceOut(Schema):
    id = fields.UUID()
    booking_id = fields.UUID()
    activity_id = fields.UUID()
    child_id = fields.UUID()
    household_id = fields.UUID()
    date = fields.Date(attribute="day")
    reason = fields.String(metadata={"enum": list(ABSENCE_REASONS)})
    note = fields.String(allow_none=True)
    document_id = fields.UUID(allow_none=True)
    status = fields.String(metadata={"enum": ["pending", "accepted", "refused"]})
    requested_at = fields.AwareDateTime()
    decided_at = fields.AwareDateTime(allow_none=True)
    decision_reason = fields.String(allow_none=True)


class AbsenceListOut(Schema):
    items = fields.List(fields.Nested(AbsenceOut))


class AbsencesQuery(Schema):
    status = fields.String(validate=validate.OneOf(["pending", "accepted", "refused"]))
    activity_id = fields.UUID()
    household_id = fields.UUID(metadata={"description": "staff: one household's"})


class AbsenceDecisionIn(_In):
    decision = fields.String(required=True, validate=validate.OneOf(["accepted", "refused"]))
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 1000))

    @validates_schema
    def reason_when_refused(self, data: dict[str, Any], **_: Any) -> None:
        if data["decision"] == "refused" and not data.get("reason"):
            raise ValidationError("Indiquez le motif du refus.", "reason")


# --- unexpected presences and the children search of the attendance sheet -----------------


class UnexpectedIn(_In):
    child_id = fields.UUID(required=True, metadata={"description": "a child of the tenant"})


class ChildSearchQuery(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "words of the name; case and accents ignored"},
    )


class ChildFoundOut(Schema):
    id = fields.UUID()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date()
    grade = fields.String(allow_none=True)
    school = fields.String(allow_none=True)


class ChildSearchOut(Schema):
    items = fields.List(fields.Nested(ChildFoundOut), metadata={"description": "at most 20"})


# --- enrollment campaigns and renewals (issue 16) ----------------------------------------


def _school_year(value: str) -> None:
    if not valid_school_year(value):
        raise ValidationError("Année scolaire attendue sous la forme 2027-2028.")


class CampaignIn(_In):
    name = fields.String(required=True, validate=_NAME)
    school_year = fields.String(
        required=True, validate=_school_year, metadata={"example": "2027-2028"}
    )
    opens_on = fields.Date(required=True, metadata={"description": "first day (Paris)"})
    closes_on = fields.Date(required=True, metadata={"description": "last day, included"})
    description = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(0, 5000)
    )
    activity_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(0, 500))
    previous_campaign_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "the campaign whose enrollments this one renews"},
    )

    @validates_schema
    def window(self, data: dict[str, Any], **_: Any) -> None:
        if data["closes_on"] < data["opens_on"]:
            raise ValidationError(
                "La date de fermeture doit suivre la date d'ouverture.", "closes_on"
            )


class CampaignPatchIn(_In):
    name = fields.String(validate=_NAME)
    opens_on = fields.Date()
    closes_on = fields.Date()
    description = fields.String(allow_none=True, validate=validate.Length(0, 5000))
    activity_ids = fields.List(fields.UUID(), validate=validate.Length(0, 500))
    archived = fields.Boolean(
        metadata={"description": "archived: hidden from families, nobody enrolls through it"}
    )


class CampaignActivityOut(Schema):
    id = fields.UUID()
    name = fields.String()
    type = fields.String()
    site = fields.String()
    period_from = fields.Date()
    period_to = fields.Date()
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    grades = fields.List(fields.String(), allow_none=True)
    required_documents = fields.List(fields.String())
    requires_approval = fields.Boolean()


class CampaignCountsOut(Schema):
    enrollments = fields.Integer(metadata={"description": "approved, in its activities"})
    pending = fields.Integer(metadata={"description": "waiting for staff's decision"})
    renewals_proposed = fields.Integer()
    renewals_confirmed = fields.Integer()
    renewals_declined = fields.Integer()
    renewals_ineligible = fields.Integer()
    file_checks = fields.Integer(metadata={"description": "households whose file is checked"})


class CampaignOut(Schema):
    id = fields.UUID()
    name = fields.String()
    school_year = fields.String()
    opens_on = fields.Date()
    closes_on = fields.Date()
    description = fields.String(allow_none=True)
    state = fields.String(metadata={"enum": ["upcoming", "open", "closed", "archived"]})
    previous_campaign_id = fields.UUID(allow_none=True)
    activities = fields.List(fields.Nested(CampaignActivityOut))
    counts = fields.Nested(
        CampaignCountsOut, allow_none=True, metadata={"description": "staff only (families: null)"}
    )


class CampaignListOut(Schema):
    items = fields.List(fields.Nested(CampaignOut))


class CampaignLineIn(_In):
    activity_id = fields.UUID(required=True)
    mode = fields.String(
        load_default="occasional", validate=validate.OneOf(["occasional", "regular"])
    )
    weekdays = fields.List(_WEEKDAY, load_default=None, allow_none=True)
    every_n_weeks = fields.Integer(load_default=1, validate=validate.Range(1, 4))

    @validates_schema
    def pattern(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("mode") == "regular" and not data.get("weekdays"):
            raise ValidationError(
                "Indiquez les jours de la semaine du rythme régulier.", "weekdays"
            )


class CampaignEnrollmentIn(_In):
    child_id = fields.UUID(required=True)
    lines = fields.List(
        fields.Nested(CampaignLineIn), required=True, validate=validate.Length(1, 50)
    )


class LineProblemOut(Schema):
    code = fields.String()
    detail = fields.String()
    missing_documents = fields.List(fields.String())


class CampaignEnrollmentItemOut(Schema):
    activity_id = fields.UUID()
    outcome = fields.String(metadata={"enum": ["approved", "pending", "refused"]})
    enrollment = fields.Nested(EnrollmentOut, allow_none=True)
    problem = fields.Nested(LineProblemOut, allow_none=True)


class CampaignEnrollmentOut(Schema):
    items = fields.List(fields.Nested(CampaignEnrollmentItemOut))


class FileCheckIn(_In):
    household_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "staff: whose file"}
    )


class FileCheckQuery(Schema):
    household_id = fields.UUID(metadata={"description": "staff: whose file"})


class FileCheckOut(Schema):
    household_id = fields.UUID()
    checked_at = fields.AwareDateTime()
    checked_by = fields.UUID()


class RenewalMappingIn(_In):
    from_activity_id = fields.UUID(required=True)
    to_activity_id = fields.UUID(required=True)


class RenewalsIn(_In):
    from_campaign_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "default: the campaign's previous_campaign_id"},
    )
    mapping = fields.List(
        fields.Nested(RenewalMappingIn), load_default=list, validate=validate.Length(0, 500)
    )


class UnmappedOut(Schema):
    activity_id = fields.UUID()
    name = fields.String()


class RenewalsPreparedOut(Schema):
    proposed = fields.Integer(
        metadata={"description": "new proposals, with the ineligible ones that now fit"}
    )
    ineligible = fields.Integer()
    already = fields.Integer(
        metadata={"description": "renewals kept from an earlier run (still ineligible ones too)"}
    )
    unmapped = fields.List(fields.Nested(UnmappedOut))


class RenewalOut(Schema):
    id = fields.UUID()
    campaign_id = fields.UUID()
    household_id = fields.UUID()
    child_id = fields.UUID()
    child_first_name = fields.String()
    child_last_name = fields.String()
    from_activity_id = fields.UUID()
    from_activity_name = fields.String()
    activity_id = fields.UUID()
    activity_name = fields.String()
    next_grade = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": ["proposed", "ineligible", "confirmed", "declined"]})
    reason = fields.String(allow_none=True)
    enrollment_id = fields.UUID(allow_none=True)
    answered_at = fields.AwareDateTime(allow_none=True)
    file_checked = fields.Boolean()


class RenewalListOut(Schema):
    items = fields.List(fields.Nested(RenewalOut))


class RenewalsQuery(Schema):
    status = fields.String(
        validate=validate.OneOf(["proposed", "ineligible", "confirmed", "declined"])
    )
    household_id = fields.UUID(metadata={"description": "staff: one household's"})


class RenewalAnswerIn(_In):
    answer = fields.String(required=True, validate=validate.OneOf(["confirm", "decline"]))
    mode = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["occasional", "regular"]),
        metadata={"description": "default: last year's enrollment's"},
    )
    weekdays = fields.List(_WEEKDAY, load_default=None, allow_none=True)
    every_n_weeks = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 4)
    )

    @validates_schema
    def pattern(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("mode") == "regular" and not data.get("weekdays"):
            raise ValidationError(
                "Indiquez les jours de la semaine du rythme régulier.", "weekdays"
            )


class RenewalAnswerOut(Schema):
    renewal = fields.Nested(RenewalOut)
    enrollment = fields.Nested(EnrollmentOut, allow_none=True)


# --- opening windows (issue 18) -----------------------------------------------------------------
_RULE_CODE = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,39}$", error="Code invalide (minuscules, chiffres et _)."
)


class PriorityRuleIn(_In):
    code = fields.String(
        required=True,
        validate=_RULE_CODE,
        metadata={
            "description": "resident, both_parents_working, sibling_enrolled (computed by"
            " the service), disability_plan, or the town's own code"
        },
    )
    label = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(1, 200),
        metadata={"description": "French; optional for the catalogue's codes"},
    )


class PriorityRuleOut(Schema):
    code = fields.String()
    label = fields.String()


class WindowIn(_In):
    activity_id = fields.UUID(required=True)
    name = fields.String(required=True, validate=_NAME)
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True)
    date_from = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "default: the activity's"}
    )
    date_to = fields.Date(
        load_default=None, allow_none=True, metadata={"description": "default: the activity's"}
    )
    priority_rules = fields.List(
        fields.Nested(PriorityRuleIn),
        load_default=list,
        validate=validate.Length(0, 20),
        metadata={"description": "in the town's order: the first met sets the level"},
    )
    first_come_after = fields.Boolean(
        load_default=True,
        metadata={"description": "after the allocation, the remaining places open normally"},
    )


class WindowPatchIn(_In):
    name = fields.String(validate=_NAME)
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    date_from = fields.Date()
    date_to = fields.Date()
    priority_rules = fields.List(fields.Nested(PriorityRuleIn), validate=validate.Length(0, 20))
    first_come_after = fields.Boolean()


class WindowOut(Schema):
    id = fields.UUID()
    activity_id = fields.UUID()
    activity_name = fields.String()
    name = fields.String()
    opens_at = fields.AwareDateTime()
    closes_at = fields.AwareDateTime()
    date_from = fields.Date()
    date_to = fields.Date()
    days = fields.List(fields.Date(), metadata={"description": "the opening days covered"})
    status = fields.String(
        metadata={"enum": ["scheduled", "open", "closed", "allocated"]},
    )
    priority_rules = fields.List(fields.Nested(PriorityRuleOut))
    first_come_after = fields.Boolean()
    seed_hash = fields.String(metadata={"description": "sha256 hex of the lottery's seed"})
    seed = fields.String(allow_none=True, metadata={"description": "null until allocated"})
    allocated_at = fields.AwareDateTime(allow_none=True)
    requests = fields.Integer(allow_none=True, metadata={"description": "staff only"})


class WindowListOut(Schema):
    items = fields.List(fields.Nested(WindowOut))


class WindowRequestChildIn(_In):
    child_id = fields.UUID(required=True)
    dates = fields.List(fields.Date(), required=True, validate=validate.Length(1, 400))


class WindowRequestIn(_In):
    children = fields.List(
        fields.Nested(WindowRequestChildIn), required=True, validate=validate.Length(1, 20)
    )
    siblings_together = fields.Boolean(
        load_default=False,
        metadata={"description": "the siblings get the same days or none (each day)"},
    )
    criteria = fields.List(
        fields.String(validate=_RULE_CODE),
        load_default=list,
        validate=validate.Length(0, 20),
        metadata={"description": "the window's rules the family declares it meets"},
    )


class WindowDateOut(Schema):
    date = fields.Date()
    outcome = fields.String(
        allow_none=True, metadata={"enum": ["booked", "waiting"], "description": "null before"}
    )
    waiting_position = fields.Integer(allow_none=True)


class WindowRequestChildOut(Schema):
    child_id = fields.UUID()
    first_name = fields.String(allow_none=True)
    dates = fields.List(fields.Nested(WindowDateOut))


class WindowRequestOut(Schema):
    id = fields.UUID()
    window_id = fields.UUID()
    household_id = fields.UUID()
    siblings_together = fields.Boolean()
    criteria = fields.List(fields.String(), metadata={"description": "declared"})
    verified_criteria = fields.List(
        fields.String(), allow_none=True, metadata={"description": "set by staff: then used"}
    )
    submitted_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    level = fields.Integer(allow_none=True, metadata={"description": "after allocation, 1 first"})
    level_label = fields.String(allow_none=True)
    rank = fields.Integer(allow_none=True)
    entries = fields.Integer(allow_none=True, metadata={"description": "requests in the draw"})
    reasons = fields.List(
        fields.String(), metadata={"description": "labels of the rules met (the first counted)"}
    )
    children = fields.List(fields.Nested(WindowRequestChildOut))


class WindowRequestListOut(Schema):
    items = fields.List(fields.Nested(WindowRequestOut))


class WindowRequestsQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, None))


class VerifiedCriteriaIn(_In):
    verified_criteria = fields.List(
        fields.String(validate=_RULE_CODE), required=True, validate=validate.Length(0, 20)
    )


class DrawAskOut(Schema):
    date = fields.Date()
    children = fields.Integer(metadata={"description": "children of the entry asking the day"})
    booked = fields.Integer()
    waiting = fields.Integer()


class DrawEntryOut(Schema):
    request_id = fields.UUID()
    level = fields.Integer()
    lottery_key = fields.String(metadata={"description": "sha256 hex of '{seed}:{request_id}'"})
    rank = fields.Integer()
    children = fields.Integer()
    together = fields.Boolean()
    asks = fields.List(fields.Nested(DrawAskOut))


class DrawDayOut(Schema):
    date = fields.Date()
    places = fields.Integer(metadata={"description": "free when the allocation ran"})


class DrawOut(Schema):
    window_id = fields.UUID()
    allocated_at = fields.AwareDateTime(allow_none=True)
    seed = fields.String()
    seed_hash = fields.String()
    rules = fields.List(fields.Nested(PriorityRuleOut))
    days = fields.List(fields.Nested(DrawDayOut))
    entries = fields.List(fields.Nested(DrawEntryOut))
