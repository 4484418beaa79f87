"""ALTCHA proof-of-work for public forms (sign-up, password reset): no third-party tracker.

Uses ALTCHA PoW v2 (the protocol of the ALTCHA widget v3) in "deterministic"
mode: the server picks the counter the browser must find, so the work is
predictable, and signs the expected derived key so verifying costs one HMAC.

Replay: a solved payload stays valid until the challenge expires. The service
must remember `CaptchaVerdict.replay_key` until `CaptchaVerdict.expires_at`
and refuse a key it has already seen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import altcha

from identity.domain._time import require_aware

# Algorithms the widget computes natively with WebCrypto (no WASM worker to ship).
SUPPORTED_ALGORITHMS: Final = frozenset(
    {"PBKDF2/SHA-256", "PBKDF2/SHA-384", "PBKDF2/SHA-512", "SHA-256", "SHA-384", "SHA-512"}
)
MIN_HMAC_KEY_BYTES: Final = 32
_MAX_COUNTER: Final = 0xFFFFFFFF  # the counter is a uint32 in the protocol

CaptchaOutcome = Literal["ok", "malformed", "expired", "invalid_signature", "invalid_solution"]


@dataclass(frozen=True, slots=True)
class CaptchaSettings:
    """Captcha configuration; the counter range is the knob for how long solving takes.

    The browser tries counters from 0 upwards, each costing `cost` iterations of
    `algorithm`; the defaults take a few seconds at most on an entry-level phone.
    """

    hmac_key: bytes = field(repr=False)
    algorithm: str = "PBKDF2/SHA-256"
    cost: int = 5_000
    min_counter: int = 2_500
    max_counter: int = 5_000
    ttl: timedelta = timedelta(minutes=10)
    # A genuine payload is well under 1 KiB; refuse anything bigger before decoding it.
    max_payload_length: int = 4_096

    def __post_init__(self) -> None:
        if len(self.hmac_key) < MIN_HMAC_KEY_BYTES:
            raise ValueError(f"hmac_key must be at least {MIN_HMAC_KEY_BYTES} bytes")
        if self.algorithm not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"unsupported captcha algorithm {self.algorithm!r}")
        if self.cost < 1:
            raise ValueError("cost must be at least 1")
        if not 0 <= self.min_counter <= self.max_counter <= _MAX_COUNTER:
            raise ValueError("need 0 <= min_counter <= max_counter <= 2**32 - 1")
        if self.ttl <= timedelta(0):
            raise ValueError("ttl must be positive")


@dataclass(frozen=True, slots=True)
class CaptchaVerdict:
    """Result of checking a payload; on success, what to remember to refuse replays."""

    outcome: CaptchaOutcome
    replay_key: str | None = None
    expires_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


class Captcha:
    """Creates challenges for the widget and verifies the payloads it posts back."""

    def __init__(self, settings: CaptchaSettings) -> None:
        self._settings = settings
        # Two independent secrets derived from the one configured key, with labels,
        # so the challenge signature and the derived-key signature never share a key.
        self._challenge_secret = _derive(settings.hmac_key, b"altcha-challenge")
        self._key_secret = _derive(settings.hmac_key, b"altcha-derived-key")

    def create_challenge(self, *, now: datetime) -> dict[str, Any]:
        """A new challenge as the JSON object the ALTCHA widget expects from its challenge URL."""
        require_aware(now)
        settings = self._settings
        span = settings.max_counter - settings.min_counter + 1
        challenge = altcha.create_challenge(
            algorithm=settings.algorithm,
            cost=settings.cost,
            counter=settings.min_counter + secrets.randbelow(span),
            expires_at=int((now + settings.ttl).timestamp()),
            hmac_secret=self._challenge_secret,
            hmac_key_secret=self._key_secret,
        )
        return challenge.to_dict()

    def verify(self, payload: str, *, now: datetime) -> CaptchaVerdict:
        """Check the base64 JSON payload posted by the widget (its hidden "altcha" field)."""
        require_aware(now)
        if not payload or len(payload) > self._settings.max_payload_length:
            return CaptchaVerdict("malformed")
        parameters = _challenge_parameters(payload)
        if parameters is None:
            return CaptchaVerdict("malformed")
        expires_at = parameters.get("expiresAt")
        nonce = parameters.get("nonce")
        # We always set an expiry: a payload without one was not issued by this code.
        if type(expires_at) is not int or not isinstance(nonce, str):
            return CaptchaVerdict("invalid_signature")
        if expires_at <= now.timestamp():
            return CaptchaVerdict("expired")
        result = altcha.verify_solution(
            payload, self._challenge_secret, hmac_key_secret=self._key_secret
        )
        if result.error is not None:
            return CaptchaVerdict("malformed")
        if result.expired:
            return CaptchaVerdict("expired")
        if result.invalid_signature:
            return CaptchaVerdict("invalid_signature")
        if not result.verified:
            return CaptchaVerdict("invalid_solution")
        return CaptchaVerdict(
            "ok",
            # The nonce is random and covered by our signature: one per challenge.
            replay_key=hashlib.sha256(nonce.encode()).hexdigest(),
            expires_at=datetime.fromtimestamp(expires_at, tz=now.tzinfo),
        )


def _derive(key: bytes, label: bytes) -> bytes:
    return hmac.new(key, label, hashlib.sha256).digest()


def _challenge_parameters(payload: str) -> dict[str, Any] | None:
    """The challenge parameters of a payload, or None when it is not the expected shape."""
    try:
        decoded = json.loads(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(decoded, dict):
        return None
    challenge = decoded.get("challenge")
    solution = decoded.get("solution")
    if not isinstance(challenge, dict) or not isinstance(solution, dict):
        return None
    parameters = challenge.get("parameters")
    return parameters if isinstance(parameters, dict) else None
