"""family.BilledGuardianChanged (issue 16, guide 001): the guardian the family file names as
billed is the payer of the household's next documents; nobody named clears it."""

from __future__ import annotations

import uuid

T = "/tenants/epagny"


async def test_the_billed_guardian_becomes_the_households_payer(billing):
    household_id = uuid.uuid4()
    guardian_id = uuid.uuid4()
    profile = f"{T}/billing/households/{household_id}/profile"
    await billing.deliver(
        billing.family_event(
            "family.BilledGuardianChanged",
            household_id=household_id,
            guardian_id=guardian_id,
            name="Paul Martin",
            email="paul.martin@example.fr",
            address="3 chemin du Lac, 74330 Epagny",
        )
    )
    body = await billing.call("GET", profile, billing.staff())
    assert (body["payer_name"], body["payer_email"], body["payer_address"]) == (
        "Paul Martin",
        "paul.martin@example.fr",
        "3 chemin du Lac, 74330 Epagny",
    )
    assert body["resident"] is True
    await billing.deliver(
        billing.family_event(
            "family.BilledGuardianChanged",
            household_id=household_id,
            guardian_id=None,
            name=None,
            email=None,
            address=None,
        )
    )
    body = await billing.call("GET", profile, billing.staff())
    assert body["payer_name"] is None and body["payer_email"] is None
