"""Brute-force throttling of logins, as pure arithmetic on failure counts and times.

Two counters are kept by the service: failures per login identifier (the
normalized e-mail, counted even when no account exists, so throttling does not
reveal which e-mails are registered) and failures per client address. The
decision is taken BEFORE checking the password; a refused attempt is answered
with HTTP 429 and Retry-After, and is not itself recorded as a failure.

Locking an account lets an attacker annoy its owner, so the lock is short and a
password-reset link still works while it lasts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from identity.domain._time import require_aware


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """How failures slow down the next attempt.

    After `free_failures` failures each new one doubles the wait, starting at
    `base_delay` and capped at `max_delay`. From `lock_after` failures on, the
    key is locked for `lock_duration` after the last failure (None: never locked).
    Only failures newer than `failure_window` and since the last successful
    login count: the service uses that window in its query.
    """

    free_failures: int = 3
    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(seconds=30)
    lock_after: int | None = 10
    lock_duration: timedelta = timedelta(minutes=15)
    failure_window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.free_failures < 0:
            raise ValueError("free_failures must not be negative")
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        if self.lock_after is not None and self.lock_after <= self.free_failures:
            raise ValueError("lock_after must be greater than free_failures")
        if self.lock_duration <= timedelta(0) or self.failure_window <= timedelta(0):
            raise ValueError("lock_duration and failure_window must be positive")


# Accounts: a person mistyping gets 3 free tries, then short waits, then a 15 min lock.
ACCOUNT_POLICY = ThrottlePolicy()
# Client addresses: many families may share one (a town-hall kiosk, a mobile carrier NAT),
# so allow more failures and only slow down, never lock everyone out.
ADDRESS_POLICY = ThrottlePolicy(free_failures=20, max_delay=timedelta(minutes=1), lock_after=None)


@dataclass(frozen=True, slots=True)
class FailureHistory:
    """Recent failed logins for one key (identifier or address), as counted by the service."""

    count: int
    last_failure_at: datetime | None

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")
        if self.count > 0 and self.last_failure_at is None:
            raise ValueError("last_failure_at is required when count > 0")
        if self.last_failure_at is not None:
            require_aware(self.last_failure_at, "last_failure_at")


NO_FAILURES = FailureHistory(count=0, last_failure_at=None)


@dataclass(frozen=True, slots=True)
class ThrottleDecision:
    """Whether an attempt may proceed now, and if not, for how long to wait."""

    allowed: bool
    retry_after: timedelta = timedelta(0)
    locked: bool = False

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds for the Retry-After header, rounded up so retrying then succeeds."""
        return math.ceil(self.retry_after.total_seconds())


ALLOWED = ThrottleDecision(allowed=True)


def delay_after(failures: int, policy: ThrottlePolicy) -> timedelta:
    """Minimum wait after the latest of `failures` failures (lock not included)."""
    if failures <= policy.free_failures:
        return timedelta(0)
    exponent = failures - policy.free_failures - 1
    # Compare exponents rather than computing 2**exponent: huge counts must not overflow.
    if exponent >= math.log2(policy.max_delay / policy.base_delay):
        return policy.max_delay
    return min(policy.base_delay * 2**exponent, policy.max_delay)


def is_locked(history: FailureHistory, *, now: datetime, policy: ThrottlePolicy) -> bool:
    require_aware(now)
    return (
        policy.lock_after is not None
        and history.last_failure_at is not None
        and history.count >= policy.lock_after
        and now < history.last_failure_at + policy.lock_duration
    )


def decide(history: FailureHistory, *, now: datetime, policy: ThrottlePolicy) -> ThrottleDecision:
    """May one more attempt be made at `now` for this key?"""
    require_aware(now)
    if history.count == 0 or history.last_failure_at is None:
        return ALLOWED
    if is_locked(history, now=now, policy=policy):
        return ThrottleDecision(
            allowed=False,
            retry_after=history.last_failure_at + policy.lock_duration - now,
            locked=True,
        )
    wait_until = history.last_failure_at + delay_after(history.count, policy)
    if now < wait_until:
        return ThrottleDecision(allowed=False, retry_after=wait_until - now)
    return ALLOWED


def decide_login_attempt(
    *,
    account: FailureHistory,
    address: FailureHistory,
    now: datetime,
    account_policy: ThrottlePolicy = ACCOUNT_POLICY,
    address_policy: ThrottlePolicy = ADDRESS_POLICY,
    also: Sequence[FailureHistory] = (),
) -> ThrottleDecision:
    """Combine the keys: refused if any refuses, waiting for the longest. `also`: more keys
    under the account policy (a login's typed name, and the account it names)."""
    decisions = (
        decide(account, now=now, policy=account_policy),
        *(decide(history, now=now, policy=account_policy) for history in also),
        decide(address, now=now, policy=address_policy),
    )
    refused = [decision for decision in decisions if not decision.allowed]
    if not refused:
        return ALLOWED
    return ThrottleDecision(
        allowed=False,
        retry_after=max(decision.retry_after for decision in refused),
        locked=any(decision.locked for decision in refused),
    )
