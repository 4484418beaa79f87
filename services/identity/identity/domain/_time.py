"""Clock helpers shared by the domain modules (time is always passed in, never read)."""

from __future__ import annotations

from datetime import datetime


def require_aware(moment: datetime, name: str = "now") -> datetime:
    """Refuse naive datetimes: mixing local and UTC times would silently shift deadlines."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime (UTC)")
    return moment
