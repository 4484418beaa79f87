"""The notify service's settings (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses
from typing import Any
from zoneinfo import available_timezones

from marshmallow import ValidationError
from marshmallow.validate import Range, Validator

from shared.keys import settings_key
from shared.settings import SLUG, ServiceSettings, setting


class TimeZone(Validator):
    """An IANA time zone name (Europe/Paris)."""

    def __call__(self, value: Any) -> Any:
        if value not in available_timezones():
            raise ValidationError("must be an IANA time zone such as Europe/Paris")
        return value


@dataclasses.dataclass(frozen=True)
class NotifySettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "notify", validate=SLUG)
    http_port: int = setting("HTTP_PORT", 8085, validate=Range(1, 65535))

    smtp_host: str = setting("SMTP_HOST", "127.0.0.1", help="SMTP server (Mailpit in compose)")
    smtp_port: int = setting("SMTP_PORT", 1025, validate=Range(1, 65535))
    smtp_starttls: bool = setting("SMTP_STARTTLS", False, help="upgrade with STARTTLS")
    smtp_tls: bool = setting("SMTP_TLS", False, help="implicit TLS (port 465)")
    smtp_user: str = setting("SMTP_USER", "", help="SMTP login (none when empty)")
    smtp_password: str = setting("SMTP_PASSWORD", "")
    smtp_timeout: float = setting("SMTP_TIMEOUT_SECONDS", 15.0, validate=Range(0.1, 300))

    default_sender_address: str = setting(
        "MAIL_DEFAULT_SENDER",
        "ne-pas-repondre@portail-famille.fr",
        help="sender address of a tenant that configured none",
    )
    portal_url: str = setting(
        "PORTAL_URL", "http://127.0.0.1:8080", help="the families' portal (links in emails)"
    )
    timezone: str = setting("MAIL_TIMEZONE", "Europe/Paris", help="dates shown in emails")

    dispatch_batch: int = setting("MAIL_DISPATCH_BATCH", 20, validate=Range(1, 1000))
    dispatch_sweep_seconds: float = setting(
        "MAIL_DISPATCH_SWEEP_SECONDS", 5.0, validate=Range(0.05, None)
    )
    dispatch_lease_seconds: float = setting(
        "MAIL_DISPATCH_LEASE_SECONDS",
        120.0,
        validate=Range(1, None),
        help="a claimed email not marked after this is sent again (a hung sender; a dead"
        " one's leases are free at once)",
    )
    mail_retry_delays_ms: tuple[int, ...] = setting(
        "MAIL_RETRY_DELAYS_MS",
        (30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000),
        help="waits before each new attempt after a temporary SMTP failure",
    )
    mail_max_attempts: int = setting(
        "MAIL_MAX_ATTEMPTS", 10, validate=Range(1, 100), help="then the email is failed"
    )
    mail_address_wait_seconds: float = setting(
        "MAIL_ADDRESS_WAIT_SECONDS",
        86_400.0,
        validate=Range(1, None),
        help="an email to an account whose address is still unknown after this is failed"
        " (« adresse inconnue »)",
    )
    mail_address_recheck_seconds: float = setting(
        "MAIL_ADDRESS_RECHECK_SECONDS",
        60.0,
        validate=Range(0.05, None),
        help="meanwhile, how often it is looked at again (the address arriving wakes it too)",
    )

    mail_basket_grace_seconds: float = setting(
        "MAIL_BASKET_GRACE_SECONDS",
        2.0,
        validate=Range(0, 60),
        help="a basket's recap is sent this long after its last booking event (the events of"
        " one basket, one per child and activity, make one email)",
    )

    calendar_timezone: str = setting(
        "CALENDAR_TIMEZONE",
        "Europe/Paris",
        validate=TimeZone(),
        help="time zone of news publication dates and of the menus' weeks",
    )
    news_attachment_max_bytes: int = setting(
        "NEWS_ATTACHMENT_MAX_BYTES",
        5 * 1024 * 1024,
        validate=Range(1024, 64 * 1024 * 1024),
        help="largest attachment of a news (PDF, JPEG, PNG)",
    )
    news_max_attachments: int = setting(
        "NEWS_MAX_ATTACHMENTS", 10, validate=Range(1, 50), help="attachments of one news at most"
    )
    town_document_max_bytes: int = setting(
        "TOWN_DOCUMENT_MAX_BYTES",
        5 * 1024 * 1024,
        validate=Range(1024, 64 * 1024 * 1024),
        help="largest file of a town document (rules, forms, tariffs: PDF, JPEG, PNG)",
    )


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(NotifySettings)
