"""An onboarding run's plan: who is asked for an invitation, and why the others are not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from family.domain.onboarding import REASONS, Pace, plan, valid_email


def guardian(email: str | None, *, invited: bool = False, first: str = "Claire") -> dict:
    return {
        "id": uuid.uuid4(),
        "household_id": uuid.uuid4(),
        "first_name": first,
        "last_name": "Martin",
        "email": email,
        "already_invited": invited,
    }


def test_each_guardian_is_pending_or_skipped_with_its_reason() -> None:
    planned = plan(
        [
            guardian(" Claire.Martin@Example.fr "),
            guardian(None),
            guardian(""),
            guardian("claire.martin@"),
            guardian("x@y"),
            guardian("claire.martin@example.fr"),
            guardian("paul@example.fr", invited=True),
            guardian("nadia@example.fr"),
        ]
    )
    assert [(p["state"], p["reason"]) for p in planned] == [
        ("pending", None),
        ("skipped", "no_email"),
        ("skipped", "no_email"),
        ("skipped", "bad_email"),
        ("skipped", "bad_email"),
        ("pending", None),  # her again (another household): identity makes one account
        ("skipped", "already_invited"),
        ("pending", None),
    ]
    assert planned[0]["email"] == "claire.martin@example.fr"
    assert planned[0]["name"] == "Claire Martin"
    assert planned[1]["email"] is None
    assert all(p["reason"] in REASONS for p in planned if p["reason"])


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("claire@example.fr", True),
        ("zoé.suivant@example.fr", True),  # accepted by the file and by the contract alike
        ("claire@", False),
        ("jean.dupont@", False),
        ("x@y", False),
        ("claire@localhost", False),  # the contract takes it; no family's mailbox
        ("claire@[192.168.1.10]", False),
        ("claire@exemple.f", False),
        ("claire example.fr", False),
        ("@example.fr", False),
        ("a" * 250 + "@ex.fr", False),
    ],
)
def test_an_email_is_one_the_contract_takes_and_a_family_can_read(email: str, valid: bool) -> None:
    assert valid_email(email) is valid


def test_the_pace_spreads_a_minute_over_its_ticks() -> None:
    pace = Pace(120, timedelta(seconds=2))
    assert pace.releasable(0) == 4  # 120 a minute, 30 ticks
    assert pace.releasable(118) == 2  # what the minute has left
    assert pace.releasable(120) == 0
    assert pace.releasable(500) == 0
    assert Pace(3, timedelta(seconds=0.1)).releasable(0) == 1  # at least one a tick
    assert Pace(10, timedelta(minutes=5)).releasable(4) == 6  # never more than a minute's
    with pytest.raises(ValueError):
        Pace(0, timedelta(seconds=1))
    with pytest.raises(ValueError):
        Pace(10, timedelta(0))
