"""The web portal's settings (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses

from marshmallow.validate import Range, Regexp

from shared.keys import settings_key
from shared.settings import SLUG, ServiceSettings, setting

_URL = Regexp(r"^https?://[^\s]+[^/\s]$", error="an http(s) URL without a final /")


@dataclasses.dataclass(frozen=True)
class WebSettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "web", validate=SLUG)
    http_port: int = setting("HTTP_PORT", 8086, validate=Range(1, 65535))
    # The portal's forms carry the families' uploads (documents and requests' attachments: the
    # family service's DOCUMENT_MAX_BYTES, 5 MiB, and the multipart envelope): aiohttp's
    # client_max_size. Above it, a French 413 page; below it, the service's own limit, shown
    # next to the file field. The gateway lets 8 MiB through to the portal.
    max_body_bytes: int = setting(
        "HTTP_MAX_BODY_BYTES", 8 * 1024 * 1024, validate=Range(1024, None)
    )

    tenant: str = setting(
        "WEB_TENANT",
        "demo",
        validate=Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$", error="must be a tenant's slug"),
        help="the town this portal serves (one tenant per portal process for now)",
    )
    identity_url: str = setting(
        "WEB_IDENTITY_URL", "http://127.0.0.1:8081", validate=_URL, help="identity's base URL"
    )
    family_url: str = setting(
        "WEB_FAMILY_URL", "http://127.0.0.1:8082", validate=_URL, help="family's base URL"
    )
    booking_url: str = setting(
        "WEB_BOOKING_URL", "http://127.0.0.1:8083", validate=_URL, help="booking's base URL"
    )
    billing_url: str = setting(
        "WEB_BILLING_URL", "http://127.0.0.1:8084", validate=_URL, help="billing's base URL"
    )
    notify_url: str = setting(
        "WEB_NOTIFY_URL", "http://127.0.0.1:8085", validate=_URL, help="notify's base URL"
    )
    api_timeout: float = setting(
        "WEB_API_TIMEOUT_SECONDS",
        10.0,
        validate=Range(0.1, 120),
        help="longest wait for a service's answer before the page says it is unavailable",
    )
    session_idle_minutes: float = setting(
        "WEB_SESSION_IDLE_MINUTES",
        60.0,
        validate=Range(1, 24 * 60),
        help="a session unused this long is over (the family logs in again)",
    )
    session_max_hours: float = setting(
        "WEB_SESSION_MAX_HOURS",
        12.0,
        validate=Range(0.1, 24 * 30),
        help="a session ends this long after the login, used or not",
    )
    theme_cache_seconds: float = setting(
        "WEB_THEME_CACHE_SECONDS",
        60.0,
        validate=Range(0, 3600),
        help="how long the town's name, contact and colours are kept before being read again",
    )
    timezone: str = setting(
        "WEB_TIMEZONE", "Europe/Paris", help="time zone of the dates and times shown"
    )

    @property
    def secure_cookies(self) -> bool:
        """The session cookie is sent over HTTPS only in production."""
        return self.environment == "production"


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(WebSettings)
