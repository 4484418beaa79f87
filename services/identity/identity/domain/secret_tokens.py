"""Opaque secrets handed to people (e-mail links) or browsers (refresh tokens).

Only a SHA-256 digest is stored: a leaked database row cannot be replayed.
A fast hash is enough here (unlike passwords) because the secret has 256 bits
of randomness, so it cannot be guessed from its digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

# 32 random bytes = 256 bits, well above the 128-bit floor; 43 URL-safe characters.
TOKEN_BYTES: Final = 32
_TOKEN_SHAPE: Final = re.compile(r"[A-Za-z0-9_-]{43}")


class TokenPurpose(StrEnum):
    """What a token is for; it is mixed into the digest so one kind never passes as another."""

    EMAIL_VERIFICATION = "email-verification"
    PASSWORD_RESET = "password-reset"
    INVITATION = "invitation"
    REFRESH = "refresh"


@dataclass(frozen=True, slots=True)
class SecretToken:
    """A fresh token: `value` goes to the person once, `digest` goes to the database."""

    purpose: TokenPurpose
    value: str = field(repr=False)  # never in logs
    digest: str


def new_secret_token(purpose: TokenPurpose) -> SecretToken:
    """Generate a token for `purpose`; store `digest`, send `value`, then forget `value`."""
    value = secrets.token_urlsafe(TOKEN_BYTES)
    return SecretToken(purpose=purpose, value=value, digest=token_digest(purpose, value))


def token_digest(purpose: TokenPurpose, value: str) -> str:
    """SHA-256 hex of purpose and value: the lookup key for the stored row."""
    return hashlib.sha256(f"{purpose.value}:{value}".encode()).hexdigest()


def looks_like_token(value: str) -> bool:
    """Cheap shape check to turn away junk (or huge input) before any database lookup."""
    return _TOKEN_SHAPE.fullmatch(value) is not None


def digest_matches(purpose: TokenPurpose, value: str, stored_digest: str) -> bool:
    """Constant-time comparison, for when a row was found by another key than the digest."""
    return hmac.compare_digest(token_digest(purpose, value), stored_digest)
