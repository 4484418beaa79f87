"""The event contract: producers cannot publish, consumers will not accept, invalid events."""

from __future__ import annotations

import uuid

import pytest

from shared.events import registry
from shared.events.envelope import InvalidEvent, new_event, parse_event
from shared.events.registry import ContractError


def test_every_event_type_has_a_schema():
    types = registry.known_types()
    assert "identity.AccountRegistered" in types
    assert "family.HouseholdLinked" in types
    for name in types:
        assert registry.schema_for(name, registry.latest_version(name)) is not None


def test_a_valid_event_round_trips():
    household, account = uuid.uuid4(), uuid.uuid4()
    event = new_event(
        "family.HouseholdLinked",
        {"household_id": household, "account_id": account, "linked_by": "staff"},
        tenant_id="testville",
        producer="family",
    )
    parsed = parse_event(event.to_json())
    assert parsed.payload == {
        "household_id": household,
        "account_id": account,
        "linked_by": "staff",
    }
    assert parsed.id == event.id and parsed.correlation_id == str(event.id)


@pytest.mark.parametrize(
    "payload",
    [
        {"household_id": "not-a-uuid", "account_id": str(uuid.uuid4()), "linked_by": "staff"},
        {"account_id": str(uuid.uuid4()), "linked_by": "staff"},
        {"household_id": str(uuid.uuid4()), "account_id": str(uuid.uuid4()), "linked_by": "x"},
        {
            "household_id": str(uuid.uuid4()),
            "account_id": str(uuid.uuid4()),
            "linked_by": "staff",
            "surprise": 1,
        },
    ],
)
def test_publishing_an_invalid_payload_is_a_programming_error(payload):
    with pytest.raises(ContractError):
        new_event("family.HouseholdLinked", payload, tenant_id="t", producer="family")


def test_unknown_event_types_are_refused():
    with pytest.raises(ContractError):
        new_event("family.Nonsense", {}, tenant_id="t", producer="family")


def test_consuming_an_invalid_event_raises_invalid_event():
    event = new_event(
        "family.HouseholdLinked",
        {"household_id": uuid.uuid4(), "account_id": uuid.uuid4(), "linked_by": "staff"},
        tenant_id="t",
        producer="family",
    ).to_json()
    with pytest.raises(InvalidEvent):
        parse_event({**event, "payload": {"household_id": "x"}})
    with pytest.raises(InvalidEvent):
        parse_event({**event, "type": "nope"})
    with pytest.raises(InvalidEvent):
        parse_event({**event, "version": 99})


def test_an_onboarding_request_and_its_answer_round_trip():
    run, household, guardian = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    request = {
        "run_id": run,
        "household_id": household,
        "guardian_id": guardian,
        "email": "claire.martin@example.fr",
        "display_name": "Claire Martin",
        "requested_by": uuid.uuid4(),
    }
    event = new_event(
        "family.GuardianInvitationRequested", request, tenant_id="t", producer="family"
    )
    assert parse_event(event.to_json()).payload == request
    with pytest.raises(ContractError):
        new_event(
            "family.GuardianInvitationRequested",
            {**request, "email": "claire.martin@"},
            tenant_id="t",
            producer="family",
        )
    answer = {
        "run_id": run,
        "household_id": household,
        "guardian_id": guardian,
        "outcome": "email_taken",
        "account_id": None,
    }
    event = new_event("identity.GuardianInvitationAnswered", answer, tenant_id="t", producer="x")
    assert parse_event(event.to_json()).payload == answer
    for wrong in ({"outcome": "maybe"}, {"account_id": "x"}):
        with pytest.raises(ContractError):
            new_event(
                "identity.GuardianInvitationAnswered",
                {**answer, **wrong},
                tenant_id="t",
                producer="identity",
            )
