"""Ids in request bodies that are not the caller's to name (issue 17, hostile input): another
household's child in a staff basket, a household the tenant does not know, another household's
or tenant's document on an absence. Each is refused naming the field, and nothing is stored."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from booking import store
from shared.events.envelope import new_event
from shared.testing.bus import eventually

from ..conftest import TENANT, Town, consuming, publish

OTHER_TENANT = "annecy"
BASKETS = f"/tenants/{TENANT}/baskets"


async def count(town: Town, table: str) -> int:
    return await town.pool.fetchval(f"SELECT count(*) FROM {table}")


async def document(town: Town, household_id: Any, tenant: str = TENANT) -> uuid.UUID:
    """A document decided by family, as its DocumentValidated event leaves it in booking."""
    payload = {
        "document_id": uuid.uuid4(),
        "household_id": household_id,
        "document_type": "justificatif_absence",
        "document_label": "Justificatif d'absence",
        "valid_until": None,
    }
    await store.upsert_document(town.pool, tenant, payload, "valid", datetime.now(UTC))
    return payload["document_id"]


async def test_staff_cannot_put_another_households_child_in_a_basket(town: Town) -> None:
    activity = await town.activity()
    lea = await town.child()
    tom = await town.child(first_name="Tom")  # another household of the same town
    stranger = await town.child(first_name="Zoé", tenant=OTHER_TENANT)
    staff = town.staff()
    line = {"activity_id": activity["id"], "dates": ["2026-09-17"]}
    before = (await count(town, "baskets"), await count(town, "basket_lines"))

    # Tom in Léa's household's basket: 422 naming the line's child.
    r = await town.call(
        "POST",
        BASKETS,
        staff,
        {
            "household_id": str(lea["household_id"]),
            "lines": [{**line, "child_id": str(lea["id"])}, {**line, "child_id": str(tom["id"])}],
        },
        status=422,
    )
    assert r["type"].endswith("/foreign-reference")
    assert r["errors"] == [
        {"field": "lines.1.child_id", "detail": "Cet enfant n'est pas de ce foyer."}
    ]
    # A household of another town (known only there): 422 naming household_id.
    r = await town.call(
        "POST",
        BASKETS,
        staff,
        {"household_id": str(stranger["household_id"]), "lines": []},
        status=422,
    )
    assert r["errors"][0]["field"] == "household_id"
    # Another town's child in a basket of this town's household: not found.
    await town.call(
        "POST",
        BASKETS,
        staff,
        {
            "household_id": str(lea["household_id"]),
            "lines": [{**line, "child_id": str(stranger["id"])}],
        },
        status=404,
    )
    assert (await count(town, "baskets"), await count(town, "basket_lines")) == before

    # Adding a line to an open basket: the same rule, naming child_id.
    basket = await town.call(
        "POST",
        BASKETS,
        staff,
        {"household_id": str(lea["household_id"]), "lines": [{**line, "child_id": str(lea["id"])}]},
        status=201,
    )
    assert [x["child_id"] for x in basket["lines"]] == [str(lea["id"])]
    r = await town.call(
        "POST",
        f"{BASKETS}/{basket['id']}/lines",
        staff,
        {**line, "child_id": str(tom["id"])},
        status=422,
    )
    assert r["errors"][0]["field"] == "child_id"
    lines = await town.pool.fetch(
        "SELECT child_id FROM basket_lines WHERE basket_id = $1", uuid.UUID(basket["id"])
    )
    assert [x["child_id"] for x in lines] == [lea["id"]]


async def uploaded(town: Town, household_id: Any) -> uuid.UUID:
    """A document just uploaded, waiting for staff: family.DocumentUploaded through the bus."""
    event = new_event(
        "family.DocumentUploaded",
        {
            "document_id": uuid.uuid4(),
            "household_id": household_id,
            "child_id": None,
            "document_type": "justificatif_absence",
            "document_label": "Justificatif d'absence",
            "account_ids": [],
        },
        tenant_id=TENANT,
        producer="family",
    )
    await publish(town, event)
    document_id = event.payload["document_id"]

    async def received() -> Any:
        return await town.pool.fetchval("SELECT status FROM documents WHERE id = $1", document_id)

    assert await eventually(received) == "waiting"
    return document_id


async def test_an_absence_cannot_carry_another_households_document(town: Town) -> None:
    await consuming(town.client)
    activity = await town.activity()
    lea = await town.enrolled_child(activity)
    tom = await town.child(first_name="Tom")
    result = await town.book(lea, activity, "2026-09-17", "2026-09-18")
    booking_ids = [line["booking_id"] for line in result["lines"]]
    family = town.family(lea["household_id"])
    toms_waiting = await uploaded(town, tom["household_id"])
    toms = await document(town, tom["household_id"])
    elsewhere = await document(town, lea["household_id"], tenant=OTHER_TENANT)

    for foreign in (toms_waiting, toms, elsewhere):
        r = await town.call(
            "POST",
            f"/tenants/{TENANT}/bookings/{booking_ids[0]}/absence",
            family,
            {"reason": "illness", "document_id": str(foreign)},
            status=422,
        )
        assert r["errors"][0]["field"] == "document_id"
    assert await count(town, "absences") == 0

    # The household's own document (here just uploaded) is taken.
    own = await uploaded(town, lea["household_id"])
    absence = await town.call(
        "POST",
        f"/tenants/{TENANT}/bookings/{booking_ids[1]}/absence",
        family,
        {"reason": "illness", "document_id": str(own)},
        status=201,
    )
    assert absence["document_id"] == str(own)


async def test_staff_cannot_check_the_file_of_a_household_the_town_does_not_know(
    town: Town,
) -> None:
    activity = await town.activity(
        name="Périscolaire 2027-2028", period_from="2027-09-01", period_to="2027-12-17"
    )
    campaign = await town.call(
        "POST",
        f"/tenants/{TENANT}/campaigns",
        town.staff(),
        {
            "name": "Périscolaire 2027-2028",
            "school_year": "2027-2028",
            "opens_on": "2027-06-01",
            "closes_on": "2027-07-15",
            "activity_ids": [activity["id"]],
        },
        201,
    )
    stranger = await town.child(first_name="Zoé", tenant=OTHER_TENANT)
    path = f"/tenants/{TENANT}/campaigns/{campaign['id']}/file-check"
    r = await town.call(
        "POST", path, town.staff(), {"household_id": str(stranger["household_id"])}, 422
    )
    assert r["errors"][0]["field"] == "household_id"
    assert await count(town, "campaign_file_checks") == 0
    lea = await town.child()
    checked = await town.call(
        "POST", path, town.staff(), {"household_id": str(lea["household_id"])}
    )
    assert checked["household_id"] == str(lea["household_id"])
