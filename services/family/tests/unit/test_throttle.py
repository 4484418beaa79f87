from datetime import UTC, datetime, timedelta

import pytest

from family.domain.throttle import LinkPolicy, decide

NOW = datetime(2025, 9, 1, 8, 0, tzinfo=UTC)
POLICY = LinkPolicy(max_failures=5, window=timedelta(minutes=15))


def test_five_wrong_codes_then_wait_until_the_oldest_leaves_the_window():
    failures = [NOW - timedelta(minutes=m) for m in (10, 8, 6, 4, 2)]
    assert decide(failures[1:], now=NOW, policy=POLICY).allowed
    decision = decide(failures, now=NOW, policy=POLICY)
    assert not decision.allowed
    assert decision.retry_after == timedelta(minutes=5)
    assert decision.retry_after_seconds == 300
    assert decide(failures, now=NOW + timedelta(minutes=5, seconds=1), policy=POLICY).allowed


def test_old_failures_do_not_count_and_time_must_be_aware():
    old = [NOW - timedelta(hours=1)] * 10
    assert decide(old, now=NOW, policy=POLICY).allowed
    with pytest.raises(ValueError):
        decide([], now=datetime(2025, 1, 1), policy=POLICY)
    with pytest.raises(ValueError):
        LinkPolicy(max_failures=0)
