"""Ids in request bodies that are not the caller's to name (issue 17, hostile input): staff of
one town linking an account of another town to a household. Family knows accounts only by
their links: one linked in another tenant is refused naming account_id, nothing stored."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

Town = Any


async def test_staff_cannot_link_another_towns_account(town: Town) -> None:
    theirs = await town.household("annecy")
    account = str(uuid.uuid4())
    await town.call(
        "POST",
        f"/tenants/annecy/households/{theirs['id']}/accounts",
        town.staff("annecy"),
        {"account_id": account},
        status=201,
    )
    await town.events("family.HouseholdLinked")
    ours = await town.household()
    path = f"/tenants/epagny/households/{ours['id']}/accounts"

    r = await town.call("POST", path, town.staff(), {"account_id": account}, status=422)
    assert r["errors"] == [{"field": "account_id", "detail": "Ce compte n'existe pas."}]
    links = await town.pool.fetch(
        "SELECT tenant, household_id FROM household_accounts WHERE account_id = $1",
        uuid.UUID(account),
    )
    assert [(x["tenant"], str(x["household_id"])) for x in links] == [("annecy", theirs["id"])]
    await asyncio.sleep(0.2)
    assert len(town.tap.of_type("family.HouseholdLinked")) == 1

    # An account the town has not seen linked yet is taken (identity owns accounts).
    mine = str(uuid.uuid4())
    body = await town.call("POST", path, town.staff(), {"account_id": mine}, status=201)
    assert [a["account_id"] for a in body["accounts"]] == [mine]


async def test_an_uploaded_document_is_announced_with_its_household(town: Town) -> None:
    """Booking learns whose each document is from its upload on (family.DocumentUploaded), to
    refuse an absence naming another household's."""
    h = await town.household()
    family = await town.linked_family(h)
    child_id = h["children"][0]["id"]
    doc = await town.upload(
        "/tenants/epagny/me/household/documents",
        family,
        document_type="certificat_medical",
        member_id=child_id,
    )
    (uploaded,) = await town.events("family.DocumentUploaded")
    assert uploaded["tenant_id"] == "epagny"
    payload = uploaded["payload"]
    assert payload["document_id"] == doc["id"] and payload["household_id"] == h["id"]
    assert payload["child_id"] == child_id and payload["member_kind"] == "child"
    assert payload["document_label"] == "Certificat médical"
