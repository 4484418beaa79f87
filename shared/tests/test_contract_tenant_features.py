"""identity.TenantFeaturesChanged (issue 16): the town's four switches, all required."""

from __future__ import annotations

import uuid

import pytest

from shared import tenant_features
from shared.events.envelope import new_event, parse_event
from shared.events.registry import ContractError


def payload(**extra: object) -> dict[str, object]:
    return {
        "family_edits": False,
        "online_booking": True,
        "wallet": False,
        "direct_debit": True,
        "changed_by": uuid.uuid4(),
        **extra,
    }


def test_the_features_round_trip() -> None:
    sent = payload()
    event = new_event(
        "identity.TenantFeaturesChanged", sent, tenant_id="epagny", producer="identity"
    )
    parsed = parse_event(event.to_json())
    assert parsed.tenant_id == "epagny"
    assert parsed.payload == sent
    # The payload carries exactly the switches the services keep.
    assert [k for k in parsed.payload if k != "changed_by"] == list(tenant_features.FEATURES)


@pytest.mark.parametrize("missing", [*tenant_features.FEATURES, "changed_by"])
def test_every_switch_is_required(missing: str) -> None:
    sent = payload()
    del sent[missing]
    with pytest.raises(ContractError):
        new_event("identity.TenantFeaturesChanged", sent, tenant_id="t", producer="identity")


def test_a_switch_is_a_boolean() -> None:
    with pytest.raises(ContractError):
        new_event(
            "identity.TenantFeaturesChanged",
            payload(wallet="peut-être"),
            tenant_id="t",
            producer="identity",
        )


def test_told_again_by_the_command_without_an_admin() -> None:
    event = new_event(
        "identity.TenantFeaturesChanged",
        payload(changed_by=None),
        tenant_id="t",
        producer="identity",
    )
    assert parse_event(event.to_json()).payload["changed_by"] is None
