"""Login throttling: growing delays, temporary lock, account and address combined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from identity.domain.lockout import (
    ACCOUNT_POLICY,
    ADDRESS_POLICY,
    NO_FAILURES,
    FailureHistory,
    ThrottleDecision,
    ThrottlePolicy,
    decide,
    decide_login_attempt,
    delay_after,
    is_locked,
)

NOW = datetime(2025, 9, 1, 7, 45, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def failures(count: int, seconds_ago: float = 0) -> FailureHistory:
    return FailureHistory(count=count, last_failure_at=NOW - timedelta(seconds=seconds_ago))


def test_delays_grow_then_cap() -> None:
    delays = [delay_after(n, ACCOUNT_POLICY).total_seconds() for n in range(0, 10)]
    assert delays == [0, 0, 0, 0, 1, 2, 4, 8, 16, 30]


def test_huge_failure_count_does_not_overflow() -> None:
    assert delay_after(10**9, ACCOUNT_POLICY) == ACCOUNT_POLICY.max_delay
    assert delay_after(10**9, ADDRESS_POLICY) == ADDRESS_POLICY.max_delay


def test_no_failures_is_allowed() -> None:
    assert decide(NO_FAILURES, now=NOW, policy=ACCOUNT_POLICY).allowed


def test_first_three_failures_cost_nothing() -> None:
    assert decide(failures(3), now=NOW, policy=ACCOUNT_POLICY).allowed


def test_fourth_failure_imposes_a_wait() -> None:
    decision = decide(failures(4, seconds_ago=0.25), now=NOW, policy=ACCOUNT_POLICY)
    assert decision == ThrottleDecision(allowed=False, retry_after=timedelta(seconds=0.75))
    assert decision.retry_after_seconds == 1
    assert not decision.locked
    assert decide(failures(4, seconds_ago=1), now=NOW, policy=ACCOUNT_POLICY).allowed


def test_sixth_failure_waits_four_seconds() -> None:
    assert decide(failures(6, seconds_ago=3), now=NOW, policy=ACCOUNT_POLICY).retry_after == SECOND
    assert decide(failures(6, seconds_ago=4), now=NOW, policy=ACCOUNT_POLICY).allowed


def test_tenth_failure_locks_for_fifteen_minutes() -> None:
    decision = decide(failures(10, seconds_ago=60), now=NOW, policy=ACCOUNT_POLICY)
    assert decision.locked and not decision.allowed
    assert decision.retry_after == timedelta(minutes=14)
    assert decision.retry_after_seconds == 14 * 60
    assert is_locked(failures(10), now=NOW, policy=ACCOUNT_POLICY)


def test_lock_ends_after_its_duration() -> None:
    history = failures(12, seconds_ago=15 * 60)
    assert not is_locked(history, now=NOW, policy=ACCOUNT_POLICY)
    assert decide(history, now=NOW, policy=ACCOUNT_POLICY).allowed


def test_address_policy_never_locks_but_slows_down() -> None:
    assert decide(failures(20), now=NOW, policy=ADDRESS_POLICY).allowed
    decision = decide(failures(500, seconds_ago=10), now=NOW, policy=ADDRESS_POLICY)
    assert not decision.allowed and not decision.locked
    assert decision.retry_after == timedelta(seconds=50)


def test_login_attempt_combines_both_keys() -> None:
    # Account fine, address slowed: refused, wait for the address.
    decision = decide_login_attempt(
        account=failures(1), address=failures(22, seconds_ago=0.5), now=NOW
    )
    assert not decision.allowed and not decision.locked
    assert decision.retry_after == timedelta(seconds=1.5)
    # Both refuse: the longer wait wins, and the lock is reported.
    decision = decide_login_attempt(
        account=failures(10, seconds_ago=30), address=failures(22), now=NOW
    )
    assert decision.locked
    assert decision.retry_after == timedelta(minutes=14, seconds=30)
    assert decide_login_attempt(account=NO_FAILURES, address=NO_FAILURES, now=NOW).allowed


def test_custom_policy() -> None:
    policy = ThrottlePolicy(
        free_failures=0,
        base_delay=2 * SECOND,
        max_delay=5 * SECOND,
        lock_after=3,
        lock_duration=timedelta(minutes=1),
    )
    assert [delay_after(n, policy).total_seconds() for n in range(4)] == [0, 2, 4, 5]
    assert decide(failures(3), now=NOW, policy=policy).locked


@pytest.mark.parametrize(
    "kwargs",
    [
        {"free_failures": -1},
        {"base_delay": timedelta(0)},
        {"base_delay": timedelta(seconds=10), "max_delay": timedelta(seconds=5)},
        {"free_failures": 5, "lock_after": 5},
        {"lock_duration": timedelta(0)},
        {"failure_window": timedelta(0)},
    ],
)
def test_bad_policies_are_refused(kwargs) -> None:
    with pytest.raises(ValueError):
        ThrottlePolicy(**kwargs)


def test_bad_histories_are_refused() -> None:
    with pytest.raises(ValueError):
        FailureHistory(count=-1, last_failure_at=None)
    with pytest.raises(ValueError):
        FailureHistory(count=2, last_failure_at=None)
    with pytest.raises(ValueError):
        FailureHistory(count=2, last_failure_at=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        decide(NO_FAILURES, now=datetime(2025, 1, 1), policy=ACCOUNT_POLICY)
