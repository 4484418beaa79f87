"""A guardian of two households (one account linked to both, family.HouseholdLinked twice)
is a payer in each; a payer's account must still be linked to that household, and is one
payer's only within a household. The family sees, per household its token names, the payer
tied to its account there."""

from __future__ import annotations

import uuid

T = "/tenants/epagny"


async def link(billing, household_id, account_id):
    await billing.deliver(
        billing.family_event(
            "family.HouseholdLinked",
            household_id=household_id,
            account_id=account_id,
            linked_by="subscriber_code",
        )
    )


def on(billing, household_id, account_id):
    return billing.tokens.header(
        tenant=billing.TENANT,
        roles=("family",),
        household_id=str(household_id),
        account_id=str(account_id),
    )


async def test_a_guardian_of_two_households_is_a_payer_in_each(billing):
    staff = billing.staff()
    first = await billing.kid()
    second = await billing.kid(first_name="Inès")
    stranger = await billing.kid(first_name="Max")
    account = uuid.uuid4()
    await link(billing, first.household_id, account)
    await link(billing, second.household_id, account)
    await link(billing, second.household_id, account)  # delivered again: still one link
    rows = await billing.pool.fetch(
        "SELECT household_id FROM household_accounts WHERE account_id = $1", account
    )
    assert {r["household_id"] for r in rows} == {first.household_id, second.household_id}

    payer = {"name": "Claire Martin", "account_id": str(account)}
    in_first = await billing.call(
        "POST", f"{T}/billing/households/{first.household_id}/payers", staff, payer, 201
    )
    in_second = await billing.call(
        "POST", f"{T}/billing/households/{second.household_id}/payers", staff, payer, 201
    )
    assert in_first["id"] != in_second["id"]
    # Within one household, still one payer per account.
    r = await billing.client.post(
        f"{T}/billing/households/{second.household_id}/payers", json=payer, headers=staff
    )
    assert r.status == 409
    assert (await r.json())["detail"] == "Ce compte est déjà celui d'un autre payeur de ce foyer."
    # A payer's account must be linked to that household: not to a third one.
    r = await billing.client.post(
        f"{T}/billing/households/{stranger.household_id}/payers", json=payer, headers=staff
    )
    assert r.status == 422
    # Tying the account afterwards obeys the same rules.
    dad = await billing.call(
        "POST",
        f"{T}/billing/households/{second.household_id}/payers",
        staff,
        {"name": "Simon Martin"},
        201,
    )
    await billing.call(
        "PUT", f"{T}/billing/payers/{dad['id']}", staff, {"name": "Simon", **payer}, 409
    )

    # The family sees, in each household, its own payer there and never the other's.
    for household_id, mine in ((first.household_id, in_first), (second.household_id, in_second)):
        listed = await billing.call(
            "GET",
            f"{T}/billing/households/{household_id}/payers",
            on(billing, household_id, account),
        )
        assert [p["id"] for p in listed["payers"]] == [str(household_id), mine["id"]]
    r = await billing.client.get(
        f"{T}/billing/households/{second.household_id}/payers",
        headers=on(billing, first.household_id, account),
    )
    assert r.status == 403
