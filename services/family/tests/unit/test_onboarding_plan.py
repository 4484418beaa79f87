"""An onboarding run's plan: who is asked for an invitation, and why the others are not."""

from __future__ import annotations

import uuid

import pytest

from family.domain.onboarding import REASONS, plan, valid_email


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
        ("skipped", "duplicate_email"),
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
        ("claire example.fr", False),
        ("@example.fr", False),
        ("a" * 250 + "@ex.fr", False),
    ],
)
def test_an_email_is_checked_as_the_event_contract_checks_it(email: str, valid: bool) -> None:
    assert valid_email(email) is valid
