"""A family links its account with the subscriber code; it sees its own household only."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

Town = Any


async def test_a_family_links_its_account_with_the_code(town: Town) -> None:
    h = await town.household()
    account = str(uuid.uuid4())
    headers = town.family(account)
    r = await town.client.get("/tenants/epagny/me/household", headers=headers)
    assert r.status == 404
    assert "code abonné" in (await r.json())["detail"]
    # Typed by a person: lower case, spaces instead of the dash.
    typed = h["subscriber_code"].lower().replace("-", " ")
    body = await town.call("POST", "/tenants/epagny/me/household/link", headers, {"code": typed})
    assert body["household_id"] == h["id"]
    (linked,) = await town.events("family.HouseholdLinked")
    assert linked["tenant_id"] == "epagny"
    assert linked["payload"] == {
        "household_id": h["id"],
        "account_id": account,
        "linked_by": "subscriber_code",
    }
    # Before the token carries the household (identity consumes the event), the link works.
    mine = await town.call("GET", "/tenants/epagny/me/household", headers)
    assert mine["id"] == h["id"] and mine["accounts"][0]["account_id"] == account
    # The same code again: nothing new.
    await town.call("POST", "/tenants/epagny/me/household/link", headers, {"code": typed})
    # (Another household's code adds a subscription: test_subscriptions.)
    # A second parent links their own account to the same household.
    await town.linked_family(h)
    mine = await town.call("GET", "/tenants/epagny/me/household", headers)
    assert len(mine["accounts"]) == 2
    await asyncio.sleep(0.2)
    assert len(town.tap.of_type("family.HouseholdLinked")) == 2


async def test_wrong_codes_are_throttled_per_account(town: Town) -> None:
    h = await town.household()
    headers = town.family()
    for attempt in ["AAAAA-BBBBB", "not a code", "ZZZZZ-ZZZZZ", "22222-33333", "K"]:
        r = await town.client.post(
            "/tenants/epagny/me/household/link", json={"code": attempt}, headers=headers
        )
        assert r.status == 422
        body = await r.json()
        assert body["errors"] == [
            {
                "field": "code",
                "detail": "Ce code abonné n'est pas reconnu ; "
                "vérifiez le courrier de votre mairie.",
            }
        ]
    r = await town.client.post(
        "/tenants/epagny/me/household/link",
        json={"code": h["subscriber_code"]},  # even the right code waits
        headers=headers,
    )
    assert r.status == 429
    assert 1 <= int(r.headers["Retry-After"]) <= 3  # window of 0.05 min in the tests
    assert (await r.json())["detail"].startswith("Trop de codes erronés : réessayez dans")
    # Another account is not slowed down by this one.
    await town.linked_family(h)
    await asyncio.sleep(int(r.headers["Retry-After"]))
    await town.call(
        "POST", "/tenants/epagny/me/household/link", headers, {"code": h["subscriber_code"]}
    )


async def test_codes_do_not_cross_tenants(town: Town) -> None:
    h = await town.household("annecy")
    r = await town.client.post(
        "/tenants/epagny/me/household/link",
        json={"code": h["subscriber_code"]},
        headers=town.family(),
    )
    assert r.status == 422
    r = await town.client.post(
        "/tenants/annecy/me/household/link",
        json={"code": h["subscriber_code"]},
        headers=town.family(tenant="epagny"),
    )
    assert r.status == 403


async def test_a_family_cannot_reach_another_household(town: Town) -> None:
    a = await town.household()
    b = await town.household(
        guardians=[town.guardian("Karim", "Benali")], children=[town.child("Inès", "Benali")]
    )
    family_a = await town.linked_family(a)
    family_b = await town.linked_family(b)
    child_b = b["children"][0]["id"]
    contact = {
        "first_name": "X",
        "last_name": "Y",
        "phone": "0601020304",
        "relationship": "voisin",
        "can_pick_up": True,
    }
    staff = town.staff()
    await town.call(
        "POST",
        f"/tenants/epagny/households/{b['id']}/children/{child_b}/contacts",
        staff,
        contact,
        status=201,
    )
    await town.call(
        "PUT",
        f"/tenants/epagny/households/{b['id']}/children/{child_b}/health",
        staff,
        {"allergies": ["arachide"]},
    )
    b_file = await town.call("GET", "/tenants/epagny/me/household", family_b)
    contact_b = b_file["children"][0]["contacts"][0]["id"]
    guardian_b = b["guardians"][0]["id"]
    change_b = await town.call(
        "PATCH",
        f"/tenants/epagny/me/household/children/{child_b}",
        family_b,
        {"grade": "CE2"},
        status=202,
    )
    me = "/tenants/epagny/me/household"
    attempts = [
        ("PATCH", f"{me}/children/{child_b}", {"grade": "CP"}),
        ("POST", f"{me}/children/{child_b}/contacts", contact),
        ("GET", f"{me}/children/{child_b}/health", None),
        ("PUT", f"{me}/children/{child_b}/health", {"certified": True}),
        ("PATCH", f"{me}/guardians/{guardian_b}", {"first_name": "Pirate"}),
        ("DELETE", f"{me}/guardians/{guardian_b}", None),
        ("PATCH", f"{me}/contacts/{contact_b}", {"phone": "0700000000"}),
        ("DELETE", f"{me}/contacts/{contact_b}", None),
        ("GET", f"{me}/changes/{change_b['id']}", None),
    ]
    for method, path, body in attempts:
        r = await town.client.request(method, path, json=body, headers=family_a)
        assert r.status == 404, (method, path, r.status)
    # Staff-only paths naming B's household: refused to a family.
    for path in [
        f"/tenants/epagny/households/{b['id']}",
        f"/tenants/epagny/households/{b['id']}/children/{child_b}/health",
        f"/tenants/epagny/households/{b['id']}/health-access-log",
        f"/tenants/epagny/households/{b['id']}/quotients",
        f"/tenants/epagny/changes/{change_b['id']}",
    ]:
        r = await town.client.get(path, headers=family_a)
        assert r.status == 403, path
    # A's own view lists nothing of B.
    mine = await town.call("GET", f"{me}/changes?status=all", family_a)
    assert mine["items"] == []
    exported = await town.call("GET", f"{me}/export", family_a)
    assert "Benali" not in str(exported) and "arachide" not in str(exported)
    # A token claiming a household is not enough: the account's link decides.
    r = await town.client.get(me, headers=town.family(tenant="epagny", household_id=b["id"]))
    assert r.status == 404  # that account is not linked at all
    account = str(uuid.uuid4())
    await town.call("POST", f"{me}/link", town.family(account), {"code": a["subscriber_code"]})
    r = await town.client.get(me, headers=town.family(account, household_id=b["id"]))
    assert r.status == 403
