"""Wrong subscriber codes: a few tries per account in a sliding window, then wait."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LinkPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= timedelta(0):
            raise ValueError("max_failures >= 1 and a positive window are needed")


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: timedelta = timedelta(0)

    @property
    def retry_after_seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))


def decide(failures: list[datetime], *, now: datetime, policy: LinkPolicy) -> Decision:
    """May the account try a code now, given the times of its recent failures?"""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    recent = sorted(f for f in failures if f > now - policy.window)
    if len(recent) < policy.max_failures:
        return Decision(True)
    # The try becomes possible again when enough failures have left the window.
    freeing = recent[len(recent) - policy.max_failures]
    return Decision(False, freeing + policy.window - now)
