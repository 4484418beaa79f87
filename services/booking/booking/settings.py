"""Settings of the booking service (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses

from marshmallow.validate import OneOf, Range, Regexp

from shared.keys import settings_key
from shared.settings import ServiceSettings, setting


@dataclasses.dataclass(frozen=True)
class BookingSettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "booking")
    http_port: int = setting("HTTP_PORT", 8083, validate=Range(1, 65535))
    # The rush: many short transactions on the same hot rows; more connections than cores.
    db_pool_max: int = setting("DB_POOL_MAX", 20, validate=Range(1, None))
    max_basket_lines: int = setting(
        "BASKET_MAX_LINES", 400, validate=Range(1, 5000), help="days one basket may hold"
    )
    max_activity_days: int = setting(
        "ACTIVITY_MAX_DAYS", 800, validate=Range(1, 5000), help="longest period of an activity"
    )
    group_commit: bool = setting(
        "BOOKING_GROUP_COMMIT",
        True,
        help="validations this process runs at the same moment read and write together",
    )
    hold_sweep_seconds: float = setting(
        "BOOKING_HOLD_SWEEP_SECONDS",
        30.0,
        validate=Range(0.05, 3600),
        help="how often the days held for a payment at booking whose time ran out are released"
        " (the waiting list moves up)",
    )
    portal_url: str = setting(
        "PORTAL_URL",
        "http://127.0.0.1:8080",
        validate=Regexp(r"^https?://[^\s]+[^/\s]$", error="an http(s) URL without a final /"),
        help="the families' portal: a waiting-list offer's emailed accept link is"
        " <PORTAL_URL>/offres/accepter/<token> (single use, no login)",
    )
    reminder_hours: float = setting(
        "BOOKING_REMINDER_HOURS",
        48.0,
        validate=Range(1, 336),
        help="a household that booked nothing for next week's school days (canteen, after-school"
        " care, study, Wednesdays) is reminded once when the booking deadline of the first"
        " day still open is this close (the sweeper looks every BOOKING_HOLD_SWEEP_SECONDS)",
    )
    basket_reminder_hours: float = setting(
        "BOOKING_BASKET_REMINDER_HOURS",
        24.0,
        validate=Range(1, 336),
        help="an open basket not validated, created more than an hour ago, is reminded once to"
        " the account that filled it when the booking deadline of its first day is this close",
    )
    default_school_zone: str = setting(
        "DEFAULT_SCHOOL_ZONE",
        "A",
        validate=OneOf(["A", "B", "C"]),
        help="school holidays zone of a tenant that has not set its own",
    )


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(BookingSettings)
