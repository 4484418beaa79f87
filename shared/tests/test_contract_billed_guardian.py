"""family.BilledGuardianChanged (issue 16): the billed guardian, or nobody."""

from __future__ import annotations

import uuid

import pytest

from shared.events.envelope import new_event, parse_event
from shared.events.registry import ContractError


def test_a_billed_guardian_round_trips() -> None:
    sent = {
        "household_id": uuid.uuid4(),
        "guardian_id": uuid.uuid4(),
        "name": "Paul Martin",
        "email": "paul.martin@example.fr",
        "address": "3 chemin du Lac, 74330 Epagny",
    }
    event = new_event("family.BilledGuardianChanged", sent, tenant_id="t", producer="family")
    assert parse_event(event.to_json()).payload == sent


def test_nobody_billed_is_said_explicitly() -> None:
    nobody = {
        "household_id": uuid.uuid4(),
        "guardian_id": None,
        "name": None,
        "email": None,
        "address": None,
    }
    new_event("family.BilledGuardianChanged", nobody, tenant_id="t", producer="family")
    with pytest.raises(ContractError):
        new_event(
            "family.BilledGuardianChanged",
            {"household_id": uuid.uuid4()},
            tenant_id="t",
            producer="family",
        )
