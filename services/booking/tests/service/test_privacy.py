"""A household anonymised in the family service (family.HouseholdAnonymised) is forgotten
here too: its children's names and personal details go, their bookings stay for the counts."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from booking import store
from shared.events.envelope import new_event
from shared.testing.bus import eventually

from ..conftest import TENANT, consuming, publish

Town = Any


async def test_an_anonymised_household_is_forgotten_and_its_bookings_counted(town: Town) -> None:
    await consuming(town.client)
    activity = await town.activity(type="CANTINE", capacity=5)
    kid = await town.enrolled_child(activity, first_name="Léa")
    sibling = await town.child(kid["household_id"], first_name="Tom", grade="CP")
    neighbour = await town.enrolled_child(activity, first_name="Zoé")
    await town.book(kid, activity, "2026-09-17", "2026-09-18")
    await town.book(neighbour, activity, "2026-09-17")
    family = town.family(kid["household_id"])
    token = await town.call(
        "POST", f"/tenants/{TENANT}/children/{kid['id']}/calendar-token", family, status=201
    )
    document = new_event(
        "family.DocumentValidated",
        {
            "document_id": uuid.uuid4(),
            "household_id": kid["household_id"],
            "child_id": kid["id"],
            "document_type": "certificat_medical",
            "document_label": "Certificat médical",
            "account_ids": [],
            "valid_until": None,
        },
        tenant_id=TENANT,
        producer="family",
    )
    await publish(town, document)

    async def received() -> Any:
        return await town.pool.fetchval(
            "SELECT 1 FROM documents WHERE id = $1", document.payload["document_id"]
        )

    await eventually(received)

    anonymised = new_event(
        "family.HouseholdAnonymised",
        {"household_id": kid["household_id"], "account_ids": []},
        tenant_id=TENANT,
        producer="family",
    )
    await publish(town, anonymised)

    async def forgotten() -> Any:
        child = await store.get_child(town.pool, TENANT, kid["id"])
        return child if child["first_name"] == "Anonyme" else None

    child = await eventually(forgotten)
    assert child["last_name"] == "Anonyme"
    assert child["birth_date"] == date(kid["birth_date"].year, 1, 1)  # the year stays
    assert (child["school"], child["grade"], child["diet"]) == (None, None, "standard")
    other = await store.get_child(town.pool, TENANT, sibling["id"])
    assert (other["first_name"], other["last_name"], other["grade"]) == ("Anonyme", "Anonyme", None)
    # Another household keeps its names.
    assert (await store.get_child(town.pool, TENANT, neighbour["id"]))["first_name"] == "Zoé"
    # Documents gone, the calendar feed revoked.
    assert await received() is None
    r = await town.client.get(token["url"])
    assert r.status == 404

    # The bookings stay: occupancy and the day's list still count the child, by no name.
    days = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days?from=2026-09-17&to=2026-09-18",
        town.staff(),
    )
    assert [(d["date"], d["booked"]) for d in days["days"]] == [
        ("2026-09-17", 2),
        ("2026-09-18", 1),
    ]
    roll = await town.call(
        "GET",
        f"/tenants/{TENANT}/activities/{activity['id']}/days/2026-09-17/attendance",
        town.staff(),
    )
    assert sorted(c["first_name"] for c in roll["children"]) == ["Anonyme", "Zoé"]

    # A family event about the household arriving afterwards (a retry) names no one again.
    late = {
        "child_id": kid["id"],
        "household_id": kid["household_id"],
        "first_name": "Léa",
        "last_name": "Martin",
        "birth_date": kid["birth_date"],
        "school": "École du Centre",
        "grade": "CE2",
        "diet": "standard",
    }
    await store.upsert_child(town.pool, TENANT, late, datetime.now(UTC) + timedelta(days=1))
    assert (await store.get_child(town.pool, TENANT, kid["id"]))["first_name"] == "Anonyme"
