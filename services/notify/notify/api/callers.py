"""What the handlers read from the caller's verified token."""

from __future__ import annotations

import uuid

from shared.auth import Caller
from shared.errors import Forbidden


def account_of(caller: Caller) -> uuid.UUID:
    """The caller's account; a token without one has no notifications of its own (403)."""
    try:
        return uuid.UUID(caller.account_id)
    except ValueError:
        raise Forbidden() from None


def author_of(caller: Caller) -> uuid.UUID | None:
    """The account that writes (a news' author), when the token names one."""
    try:
        return uuid.UUID(caller.account_id)
    except (TypeError, ValueError):
        return None


def household_of(caller: Caller) -> uuid.UUID | None:
    """The caller's household (token claim); none: only untargeted news are visible."""
    try:
        return uuid.UUID(str(caller.household_id)) if caller.household_id else None
    except ValueError:
        return None
