"""Settings of the family service (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from marshmallow.validate import Range

from family.domain.onboarding import Pace
from family.domain.throttle import LinkPolicy
from shared.keys import settings_key
from shared.settings import ServiceSettings, setting
from shared.vault import Vault, check_key_settings, vault_from_settings

# Development-only key (32 zero-ish bytes, base64): refused in production.
DEV_HEALTH_KEYS = "dev:ZGV2LW9ubHktaGVhbHRoLWtleS1jaGFuZ2UtbWUhISE="


@dataclasses.dataclass(frozen=True)
class FamilySettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "family")
    http_port: int = setting("HTTP_PORT", 8082, validate=Range(1, 65535))

    health_keys: str = setting(
        "HEALTH_RECORD_KEYS",
        DEV_HEALTH_KEYS,
        help="AES-256 keys of the health records: kid:base64(32 bytes), comma-separated",
    )
    health_current_key: str = setting(
        "HEALTH_RECORD_CURRENT_KEY",
        "",
        help="id of the key that seals new health records (default: the last one listed)",
    )
    link_max_failures: int = setting(
        "LINK_MAX_FAILURES", 5, validate=Range(1, 100), help="wrong subscriber codes allowed"
    )
    link_window_minutes: float = setting(
        "LINK_WINDOW_MINUTES", 15.0, validate=Range(0.001, None), help="...per this many minutes"
    )
    search_max_page_size: int = setting("SEARCH_MAX_PAGE_SIZE", 100, validate=Range(1, 1000))
    document_max_bytes: int = setting(
        "DOCUMENT_MAX_BYTES",
        5 * 1024 * 1024,
        validate=Range(1024, 50 * 1024 * 1024),
        help="largest document or request attachment accepted (bytes)",
    )
    photo_max_bytes: int = setting(
        "PHOTO_MAX_BYTES",
        2 * 1024 * 1024,
        validate=Range(1024, 20 * 1024 * 1024),
        help="largest child photo accepted (bytes; JPEG or PNG)",
    )
    household_pending_uploads: int = setting(
        "HOUSEHOLD_PENDING_UPLOADS",
        30,
        validate=Range(1, 1000),
        help="documents and photos a household may have waiting for staff at once",
    )
    import_max_bytes: int = setting(
        "IMPORT_MAX_BYTES",
        8 * 1024 * 1024,  # the web portal's upload limit
        validate=Range(1024, 64 * 1024 * 1024),
        help="largest CSV household import accepted (bytes)",
    )

    town_name: str = setting(
        "TOWN_NAME",
        "",
        help="the town as its letters name it, e.g. Saint-Ouen (default: from the tenant slug)",
    )
    portal_url: str = setting(
        "PORTAL_URL",
        "http://127.0.0.1:8080",
        help="the families' portal (its address on the subscriber-code letters)",
    )
    pdf_threads: int = setting(
        "PDF_THREADS", 1, validate=Range(1, 8), help="threads making the letters' PDFs"
    )
    onboarding_invitations_per_minute: int = setting(
        "ONBOARDING_INVITATIONS_PER_MINUTE",
        120,
        validate=Range(1, 100_000),
        help="onboarding runs' invitations asked (so emailed) per minute, all towns together",
    )
    onboarding_tick_seconds: float = setting(
        "ONBOARDING_TICK_SECONDS",
        2.0,
        validate=Range(0.05, 60),
        help="how often the next invitations of the onboarding runs are released",
    )

    def __post_init__(self) -> None:
        check_key_settings(
            self.health_keys,
            self.health_current_key,
            keys_env="HEALTH_RECORD_KEYS",
            current_env="HEALTH_RECORD_CURRENT_KEY",
            production=self.environment == "production",
            development_keys=DEV_HEALTH_KEYS,
        )

    def vault(self) -> Vault:
        return vault_from_settings(self.health_keys, self.health_current_key)

    def onboarding_pace(self) -> Pace:
        return Pace(
            self.onboarding_invitations_per_minute,
            timedelta(seconds=self.onboarding_tick_seconds),
        )

    def link_policy(self) -> LinkPolicy:
        return LinkPolicy(
            max_failures=self.link_max_failures,
            window=timedelta(minutes=self.link_window_minutes),
        )


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(FamilySettings)
