"""An account linked to several households ("Mes abonnements"): a guardian of two households
links both with their codes (or staff link it); its token names the current one, which must
be one of them; the account lists its households for the switcher."""

from __future__ import annotations

import uuid
from typing import Any

Town = Any
ME = "/tenants/epagny/me/household"
MINE = "/tenants/epagny/accounts/me/households"


async def two_households(town: Town) -> tuple[dict[str, Any], dict[str, Any]]:
    martin = await town.household(
        guardians=[town.guardian("Claire", "Martin"), town.guardian("Paul", "Durand")],
        children=[
            town.child("Léa", "Martin"),
            town.child("Hugo", "Martin", birth_date="2019-02-01"),
        ],
    )
    benali = await town.household(
        guardians=[town.guardian("Claire", "Benali")], children=[town.child("Inès", "Benali")]
    )
    return martin, benali


async def test_a_second_code_adds_a_household_and_the_token_chooses_among_them(
    town: Town,
) -> None:
    martin, benali = await two_households(town)
    account = str(uuid.uuid4())
    plain = town.family(account)
    await town.call("POST", f"{ME}/link", plain, {"code": martin["subscriber_code"]})
    body = await town.call("POST", f"{ME}/link", plain, {"code": benali["subscriber_code"]})
    assert body["household_id"] == benali["id"]
    assert body["detail"].startswith("Ce foyer est ajouté à vos abonnements")
    first, second = await town.events("family.HouseholdLinked", 2)
    assert [first["payload"]["household_id"], second["payload"]["household_id"]] == [
        martin["id"],
        benali["id"],
    ]
    assert second["payload"]["account_id"] == account
    # The same code again: still two households, no new event.
    await town.call("POST", f"{ME}/link", plain, {"code": benali["subscriber_code"]})
    rows = await town.pool.fetch(
        "SELECT household_id FROM household_accounts WHERE account_id = $1", uuid.UUID(account)
    )
    assert len(rows) == 2

    # The token names the household the account is on; each file stays apart.
    on_martin = town.family(account, household_id=martin["id"])
    on_benali = town.family(account, household_id=benali["id"])
    assert (await town.call("GET", ME, on_martin))["id"] == martin["id"]
    file = await town.call("GET", ME, on_benali)
    assert file["id"] == benali["id"]
    assert "Léa" not in str(file) and [c["first_name"] for c in file["children"]] == ["Inès"]
    # No claim: the first linked.
    assert (await town.call("GET", ME, plain))["id"] == martin["id"]
    # A household the account is not linked to: refused, even though it has others.
    stranger = await town.household(guardians=[town.guardian("Karim", "Kaci")])
    r = await town.client.get(ME, headers=town.family(account, household_id=stranger["id"]))
    assert r.status == 403
    assert (await r.json())["detail"] == "Vous n'avez pas accès à ce foyer."
    # A change proposed on one household is not seen from the other.
    change = await town.call(
        "PATCH",
        f"{ME}/children/{benali['children'][0]['id']}",
        on_benali,
        {"grade": "CE2"},
        status=202,
    )
    r = await town.client.get(f"{ME}/changes/{change['id']}", headers=on_martin)
    assert r.status == 404
    r = await town.client.patch(
        f"{ME}/children/{benali['children'][0]['id']}", json={"grade": "CP"}, headers=on_martin
    )
    assert r.status == 404


async def test_the_account_lists_its_households_with_the_current_one(town: Town) -> None:
    martin, benali = await two_households(town)
    account = str(uuid.uuid4())
    plain = town.family(account)
    assert (await town.call("GET", MINE, plain))["items"] == []
    await town.call("POST", f"{ME}/link", plain, {"code": martin["subscriber_code"]})
    await town.call("POST", f"{ME}/link", plain, {"code": benali["subscriber_code"]})

    listed = await town.call("GET", MINE, town.family(account, household_id=benali["id"]))
    items = listed["items"]
    assert [(i["id"], i["label"], i["children"], i["current"]) for i in items] == [
        (martin["id"], "Foyer Martin – Durand", ["Léa", "Hugo"], False),
        (benali["id"], "Foyer Benali", ["Inès"], True),
    ]
    assert items[0]["linked_at"] <= items[1]["linked_at"]
    # Without a claim, the current one is the one the family door opens: the first linked.
    items = (await town.call("GET", MINE, plain))["items"]
    assert [i["current"] for i in items] == [True, False]
    # Only family accounts have subscriptions.
    r = await town.client.get(MINE, headers=town.staff())
    assert r.status == 403


async def test_staff_link_an_account_to_another_household(town: Town) -> None:
    martin, benali = await two_households(town)
    account = str(uuid.uuid4())
    await town.call("POST", f"{ME}/link", town.family(account), {"code": martin["subscriber_code"]})
    staff = town.staff()
    path = f"/tenants/epagny/households/{benali['id']}/accounts"
    file = await town.call("POST", path, staff, {"account_id": account}, status=201)
    assert [a["account_id"] for a in file["accounts"]] == [account]
    await town.call("POST", path, staff, {"account_id": account}, status=200)  # already
    linked = await town.events("family.HouseholdLinked", 2)
    assert linked[1]["payload"] == {
        "household_id": benali["id"],
        "account_id": account,
        "linked_by": "staff",
    }
    items = (await town.call("GET", MINE, town.family(account)))["items"]
    assert [i["id"] for i in items] == [martin["id"], benali["id"]]
    # Martin's file still lists the account: each household keeps its own link.
    file = await town.call("GET", f"/tenants/epagny/households/{martin['id']}", staff)
    assert [a["account_id"] for a in file["accounts"]] == [account]
