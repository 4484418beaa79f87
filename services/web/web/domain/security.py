"""Session ids and CSRF tokens.

The browser holds only a random session id (256 bits, URL-safe); the database keeps its
SHA-256, so that a leaked table cannot be replayed as cookies. Every session has its own CSRF
token (session-bound, synchroniser pattern): each form carries it in a hidden field, and a
POST whose field differs from the session's is refused. Before login the anonymous session
holds one too (the login form is protected against login CSRF).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

COOKIE = "portail_session"
CSRF_FIELD = "csrf_token"
_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def well_formed(session_id: str | None) -> bool:
    """A cookie value that can be one of our ids (anything else is not even looked up)."""
    return bool(session_id and _ID.match(session_id))


def id_hash(session_id: str) -> bytes:
    return hashlib.sha256(session_id.encode()).digest()


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; nothing matches an empty token."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


@dataclass(frozen=True)
class Lifetime:
    """How long a session lives: `idle` since it was last used, `absolute` since it began."""

    idle: timedelta
    absolute: timedelta

    def expires(self, created_at: datetime, now: datetime) -> datetime:
        """When a session used `now` ends, unless used again before."""
        return min(now + self.idle, created_at + self.absolute)


def access_token_fresh(expires_at: datetime | None, now: datetime, margin: float = 30) -> bool:
    """The access token can still be sent (with a margin for the time the call takes)."""
    return expires_at is not None and now + timedelta(seconds=margin) < expires_at


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a path of the portal only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
