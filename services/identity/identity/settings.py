"""Settings of the identity service (environment variables, local defaults)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from marshmallow.validate import Range

from identity.domain.captcha import CaptchaSettings
from identity.domain.lockout import ThrottlePolicy
from shared.keys import settings_key
from shared.settings import ServiceSettings, SettingsError, setting

# Development-only secrets: good enough on a laptop, refused in production.
DEV_SIGNING_KEY_SECRET = "dev-only-signing-key-secret-change-me-in-production"
DEV_CAPTCHA_HMAC_KEY = "dev-only-captcha-hmac-key-change-me-in-production!"
MIN_SECRET_LENGTH = 32


@dataclasses.dataclass(frozen=True)
class IdentitySettings(ServiceSettings):
    service: str = setting("SERVICE_NAME", "identity")
    http_port: int = setting("HTTP_PORT", 8081, validate=Range(1, 65535))

    public_base_url: str = setting(
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:8080",
        help="base URL of the portal (gateway/frontend) used in emailed links",
    )
    signing_key_secret: str = setting(
        "SIGNING_KEY_SECRET",
        DEV_SIGNING_KEY_SECRET,
        help="secret encrypting the token signing keys at rest (AES-GCM)",
    )
    captcha_hmac_key: str = setting(
        "CAPTCHA_HMAC_KEY", DEV_CAPTCHA_HMAC_KEY, help="HMAC key of the ALTCHA challenges"
    )
    captcha_cost: int = setting("CAPTCHA_COST", 5000, validate=Range(1, None))
    captcha_min_counter: int = setting("CAPTCHA_MIN_COUNTER", 2500, validate=Range(0, None))
    captcha_max_counter: int = setting("CAPTCHA_MAX_COUNTER", 5000, validate=Range(0, None))

    access_token_minutes: int = setting("ACCESS_TOKEN_MINUTES", 15, validate=Range(1, 60))
    refresh_token_days: int = setting("REFRESH_TOKEN_DAYS", 30, validate=Range(1, 365))
    activation_link_hours: int = setting("ACTIVATION_LINK_HOURS", 48, validate=Range(1, None))
    invitation_link_hours: int = setting("INVITATION_LINK_HOURS", 168, validate=Range(1, None))
    reset_link_minutes: int = setting("RESET_LINK_MINUTES", 60, validate=Range(1, None))
    email_link_hours: int = setting("EMAIL_CHANGE_LINK_HOURS", 24, validate=Range(1, None))
    keyring_reload_seconds: float = setting("KEYRING_RELOAD_SECONDS", 30.0, validate=Range(1, None))
    signing_key_activation_minutes: float = setting(
        "SIGNING_KEY_ACTIVATION_MINUTES",
        10.0,
        validate=Range(0, None),
        help="a rotated key is published this long before it signs (verifiers learn it first)",
    )

    # Forgotten password and activation resend: emails sent per hour, at most.
    link_request_window_minutes: float = setting(
        "LINK_REQUEST_WINDOW_MINUTES", 60.0, validate=Range(1, None)
    )
    link_requests_per_pair: int = setting(
        "LINK_REQUESTS_PER_EMAIL_AND_ADDRESS", 3, validate=Range(1, None)
    )
    link_requests_per_email: int = setting("LINK_REQUESTS_PER_EMAIL", 5, validate=Range(1, None))
    link_requests_per_address: int = setting(
        "LINK_REQUESTS_PER_ADDRESS", 30, validate=Range(1, None)
    )

    # Brute force: per account (lock) and per client address (slow down only).
    login_free_failures: int = setting("LOGIN_FREE_FAILURES", 3, validate=Range(0, None))
    login_base_delay_seconds: float = setting(
        "LOGIN_BASE_DELAY_SECONDS", 1.0, validate=Range(0.001, None)
    )
    login_max_delay_seconds: float = setting(
        "LOGIN_MAX_DELAY_SECONDS", 30.0, validate=Range(0.001, None)
    )
    login_lock_after: int = setting("LOGIN_LOCK_AFTER", 10, validate=Range(1, None))
    login_lock_minutes: float = setting("LOGIN_LOCK_MINUTES", 15.0, validate=Range(0.01, None))
    address_free_failures: int = setting("LOGIN_ADDRESS_FREE_FAILURES", 20, validate=Range(0, None))
    trusted_proxy_hops: int = setting(
        "TRUSTED_PROXY_HOPS",
        0,
        validate=Range(0, 5),
        help="0: use the peer address; n: the n-th X-Forwarded-For entry from the right",
    )

    argon2_time_cost: int = setting("ARGON2_TIME_COST", 2, validate=Range(1, None))
    argon2_memory_kib: int = setting("ARGON2_MEMORY_KIB", 19_456, validate=Range(1024, None))
    argon2_workers: int = setting("ARGON2_WORKERS", 2, validate=Range(1, 64))

    def __post_init__(self) -> None:
        if self.environment == "production":
            if self.signing_key_secret == DEV_SIGNING_KEY_SECRET:
                raise SettingsError("SIGNING_KEY_SECRET must be set in production")
            if self.captcha_hmac_key == DEV_CAPTCHA_HMAC_KEY:
                raise SettingsError("CAPTCHA_HMAC_KEY must be set in production")
        for name, secret in (
            ("SIGNING_KEY_SECRET", self.signing_key_secret),
            ("CAPTCHA_HMAC_KEY", self.captcha_hmac_key),
        ):
            if len(secret.encode()) < MIN_SECRET_LENGTH:
                raise SettingsError(f"{name} must be at least {MIN_SECRET_LENGTH} bytes")
        # A verifier may wait 30 s before refetching the JWKS, a cache may keep it 60 s and a
        # replica reloads its keys every KEYRING_RELOAD_SECONDS: a new key must be published
        # for longer than all that before it signs.
        if self.environment == "production" and (
            self.signing_key_activation_minutes * 60 < self.keyring_reload_seconds + 90
        ):
            raise SettingsError(
                "SIGNING_KEY_ACTIVATION_MINUTES must exceed KEYRING_RELOAD_SECONDS + 90 s"
            )
        if self.captcha_min_counter > self.captcha_max_counter:
            raise SettingsError("CAPTCHA_MIN_COUNTER must not exceed CAPTCHA_MAX_COUNTER")

    @property
    def base_url(self) -> str:
        return self.public_base_url.rstrip("/")

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(days=self.refresh_token_days)

    @property
    def key_activation_delay(self) -> timedelta:
        return timedelta(minutes=self.signing_key_activation_minutes)

    @property
    def link_request_window(self) -> timedelta:
        return timedelta(minutes=self.link_request_window_minutes)

    def captcha(self) -> CaptchaSettings:
        return CaptchaSettings(
            hmac_key=self.captcha_hmac_key.encode(),
            cost=self.captcha_cost,
            min_counter=self.captcha_min_counter,
            max_counter=self.captcha_max_counter,
        )

    def account_policy(self) -> ThrottlePolicy:
        lock = timedelta(minutes=self.login_lock_minutes)
        return ThrottlePolicy(
            free_failures=self.login_free_failures,
            base_delay=timedelta(seconds=self.login_base_delay_seconds),
            max_delay=timedelta(seconds=self.login_max_delay_seconds),
            lock_after=self.login_lock_after,
            lock_duration=lock,
            failure_window=max(lock, timedelta(minutes=15)),
        )

    def address_policy(self) -> ThrottlePolicy:
        return ThrottlePolicy(
            free_failures=self.address_free_failures,
            base_delay=timedelta(seconds=self.login_base_delay_seconds),
            max_delay=timedelta(seconds=max(60.0, self.login_max_delay_seconds)),
            lock_after=None,
        )


# The settings as the app holds them, typed (the app factory stores them under this key).
SETTINGS = settings_key(IdentitySettings)
