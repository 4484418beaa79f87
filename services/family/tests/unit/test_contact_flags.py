"""A contact's flags are dated when they take a value, kept while other fields change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from family.domain.contacts import flag_stamps

NOW = datetime(2026, 9, 3, 8, 0, tzinfo=UTC)
BY = uuid.uuid4()


def test_a_new_contact_has_each_flag_sent_dated() -> None:
    assert flag_stamps(None, {"can_pick_up": True, "emergency": False}, given_by=BY, now=NOW) == {
        "can_pick_up_given_at": NOW,
        "can_pick_up_given_by": BY,
        "emergency_given_at": NOW,
        "emergency_given_by": BY,
    }


def test_only_a_flag_that_changes_value_is_dated_again() -> None:
    before = {"can_pick_up": True, "emergency": False, "phone": "06 11 11 11 11"}
    assert flag_stamps(before, {"phone": "06 22 22 22 22"}, given_by=BY, now=NOW) == {}
    assert flag_stamps(before, {"can_pick_up": True}, given_by=BY, now=NOW) == {}
    assert flag_stamps(
        before, {"can_pick_up": False, "emergency": False}, given_by=BY, now=NOW
    ) == {
        "can_pick_up_given_at": NOW,
        "can_pick_up_given_by": BY,
    }
