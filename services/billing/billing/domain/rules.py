"""What a postpaid campaign bills, per activity: from the bookings, or from the attendance
with a rule per kind of day (present, justified absence, unjustified absence, presence
without booking), each configurable per activity."""

from __future__ import annotations

from dataclasses import dataclass

BILLING_MODES = ("prepaid", "postpaid")
POSTPAID_SOURCES = ("bookings", "attendance")


@dataclass(frozen=True)
class AttendanceRules:
    present: bool = True
    absent: bool = True  # an absence nobody justified
    absent_justified: bool = False
    unexpected: bool = True  # present although not (or no longer) booked


@dataclass(frozen=True)
class DayFacts:
    """What billing knows of a booked day (its read model of booking's events)."""

    status: str  # "booked" | "cancelled" | "unexpected" (present without a booking billing knows)
    charged_cancel: bool = False  # cancelled, but charged all the same (staff, late)
    attendance: str | None = None  # "present" | "absent" | "absent_justified" | None
    justified: bool = False  # booking.AbsenceJustified


@dataclass(frozen=True)
class Verdict:
    bill: bool
    warning: str | None = None  # a code staff see while reviewing the campaign


def verdict(source: str, rules: AttendanceRules, day: DayFacts) -> Verdict:
    if day.status == "cancelled":
        return Verdict(day.charged_cancel)
    if day.status == "unexpected":
        return Verdict(rules.unexpected and day.attendance == "present")
    if day.justified or day.attendance == "absent_justified":
        return Verdict(rules.absent_justified)
    if source == "bookings":
        return Verdict(True)
    if day.attendance == "present":
        return Verdict(rules.present)
    if day.attendance == "absent":
        return Verdict(rules.absent)
    return Verdict(False, "attendance-missing")
