"""Onboarding runs: staff invite the guardians of imported households in one action; identity
answers each request (simulated here as its relay would publish it); the run reports who was
invited and who could not be, and never asks twice for a guardian."""

from __future__ import annotations

import json
import uuid
from typing import Any

import aio_pika
import pytest

from shared.events.envelope import Event, new_event
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

Town = Any
REQUESTED = "family.GuardianInvitationRequested"


async def answer(
    town: Town,
    bus_namespace: Any,
    request: dict[str, Any],
    outcome: str,
    account_id: uuid.UUID | None,
) -> Event:
    """What identity's relay publishes, once family has handled it."""
    event = new_event(
        "identity.GuardianInvitationAnswered",
        {
            "run_id": request["run_id"],
            "household_id": request["household_id"],
            "guardian_id": request["guardian_id"],
            "outcome": outcome,
            "account_id": account_id,
        },
        tenant_id="epagny",
        producer="identity",
    )
    connection = await aio_pika.connect(AMQP_URL)
    try:
        channel = await connection.channel()
        exchange = await channel.get_exchange(f"{bus_namespace.name}.events")
        await exchange.publish(
            aio_pika.Message(json.dumps(event.to_json()).encode(), message_id=str(event.id)),
            routing_key=event.type,
        )
    finally:
        await connection.close()

    async def done() -> Any:
        return await town.pool.fetchval("SELECT true FROM inbox WHERE event_id = $1", event.id)

    await eventually(done)
    return event


@pytest.fixture
async def requests(bus_namespace: Any) -> Any:
    async with EventTap(AMQP_URL, bus_namespace.name, [REQUESTED]) as tap:
        yield tap


def by_name(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["name"]: g for g in run["guardians"]}


async def test_a_run_invites_the_guardians_and_reports_those_it_could_not(
    town: Town, bus_namespace: Any, requests: EventTap
) -> None:
    staff = town.staff()
    martin = await town.household(
        guardians=[
            town.guardian("Claire", "Martin", email="Claire.Martin@example.fr"),
            town.guardian("Paul", "Martin", email=None),
        ]
    )
    # Claire again, in the household of her children's other parent (apart): her email.
    benali = await town.household(
        guardians=[
            town.guardian("Karim", "Benali"),
            town.guardian("Claire", "Benali", email="claire.martin@example.fr"),
        ]
    )
    # An address that came in from the town's old software, not an email.
    await town.pool.execute(
        "UPDATE guardians SET email = 'karim.benali@' WHERE first_name = 'Karim'"
    )
    run = await town.call(
        "POST",
        "/tenants/epagny/onboarding-runs",
        staff,
        {"household_ids": [martin["id"], benali["id"]]},
        status=201,
    )
    assert (run["total"], run["pending"], run["invited"], run["skipped"]) == (4, 2, 0, 2)
    assert run["done"] is False
    assert run["skipped_by_reason"] == {"no_email": 1, "bad_email": 1}
    guardians = by_name(run)
    assert guardians["Claire Martin"]["state"] == "pending"
    assert guardians["Claire Martin"]["email"] == "claire.martin@example.fr"
    assert guardians["Paul Martin"]["reason_label"] == "Aucune adresse email dans le dossier."
    assert guardians["Karim Benali"]["reason"] == "bad_email"
    assert guardians["Claire Benali"]["state"] == "pending"

    asked = await requests.wait_for(2, event_type=REQUESTED)
    request, again_her = (e["payload"] for e in asked)
    # Only she is asked for (twice: one per household): no invitation to a bad address, nor
    # to no address.
    unasked = await town.pool.fetchval(
        "SELECT count(*) FROM onboarding_guardians WHERE requested_at IS NULL AND NOT queued"
    )
    assert unasked == 2
    assert request == {
        "run_id": run["id"],
        "household_id": martin["id"],
        "guardian_id": guardians["Claire Martin"]["guardian_id"],
        "email": "claire.martin@example.fr",
        "display_name": "Claire Martin",
        "requested_by": town.staff_ids["epagny:staff"],
    }
    assert (again_her["household_id"], again_her["email"]) == (
        benali["id"],
        "claire.martin@example.fr",
    )

    # identity invited her: the account is linked to the household here too.
    account = uuid.uuid4()
    await answer(town, bus_namespace, request, "invited", account)
    run = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    assert (run["pending"], run["invited"], run["done"]) == (1, 1, False)
    claire = by_name(run)["Claire Martin"]
    assert claire["state"] == "invited" and claire["account_id"] == str(account)
    file = await town.call("GET", f"/tenants/epagny/households/{martin['id']}", staff)
    assert [a["account_id"] for a in file["accounts"]] == [str(account)]
    (linked,) = await town.events("family.HouseholdLinked")
    assert linked["payload"]["account_id"] == str(account)
    # identity answered her second request with the same account: both households are hers.
    await answer(town, bus_namespace, again_her, "invited", account)
    run = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    assert (run["pending"], run["invited"], run["done"]) == (0, 2, True)
    file = await town.call("GET", f"/tenants/epagny/households/{benali['id']}", staff)
    assert [a["account_id"] for a in file["accounts"]] == [str(account)]
    links = await town.events("family.HouseholdLinked", 2)
    assert {e["payload"]["household_id"] for e in links} == {martin["id"], benali["id"]}

    # The same answer again changes nothing.
    await answer(town, bus_namespace, request, "invited", account)
    assert len(town.tap.of_type("family.HouseholdLinked")) == 2

    # Never twice: a new run of the same households skips her; the others are asked for
    # again only if they now have a valid email.
    await town.pool.execute(
        "UPDATE guardians SET email = 'karim.benali@example.fr' WHERE first_name = 'Karim'"
    )
    second = await town.call(
        "POST",
        "/tenants/epagny/onboarding-runs",
        staff,
        {"household_ids": [martin["id"], benali["id"]]},
        status=201,
    )
    states = {n: (g["state"], g["reason"]) for n, g in by_name(second).items()}
    assert states == {
        "Claire Martin": ("skipped", "already_invited"),
        "Paul Martin": ("skipped", "no_email"),
        "Karim Benali": ("pending", None),
        "Claire Benali": ("skipped", "already_invited"),
    }
    asked = await requests.wait_for(3, event_type=REQUESTED)
    karim = asked[2]["payload"]
    assert karim["display_name"] == "Karim Benali"

    # Resumed before identity answered: asked for again.
    resumed = await town.call(
        "POST", f"/tenants/epagny/onboarding-runs/{second['id']}/resume", staff
    )
    assert resumed["pending"] == 1
    asked = await requests.wait_for(4, event_type=REQUESTED)
    assert asked[3]["payload"] == karim
    # identity says another account uses his email: reported.
    await answer(town, bus_namespace, karim, "email_taken", None)
    report = await town.call("GET", f"/tenants/epagny/onboarding-runs/{second['id']}", staff)
    assert report["done"] is True
    assert by_name(report)["Karim Benali"]["reason_label"] == (
        "Adresse email déjà utilisée par un autre compte."
    )
    assert report["skipped_by_reason"] == {"already_invited": 2, "no_email": 1, "email_taken": 1}

    listed = await town.call("GET", "/tenants/epagny/onboarding-runs", staff)
    assert listed["total"] == 2
    assert [i["id"] for i in listed["items"]] == [second["id"], run["id"]]


async def test_all_not_yet_invited_leaves_out_linked_households_and_invited_guardians(
    town: Town, requests: EventTap
) -> None:
    staff = town.staff()
    linked = await town.household(guardians=[town.guardian("Léon", "Lié")])
    await town.linked_family(linked)
    first = await town.household(guardians=[town.guardian("Anne", "Premier")])
    run = await town.call(
        "POST", "/tenants/epagny/onboarding-runs", staff, {"household_ids": [first["id"]]}, 201
    )
    later = await town.household(guardians=[town.guardian("Zoé", "Suivant")])
    run = await town.call("POST", "/tenants/epagny/onboarding-runs", staff, {"all": True}, 201)
    assert [(g["household_id"], g["state"]) for g in run["guardians"]] == [(later["id"], "pending")]
    # Nobody left: refused, nothing written.
    r = await town.client.post("/tenants/epagny/onboarding-runs", json={"all": True}, headers=staff)
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "all"
    listed = await town.call("GET", "/tenants/epagny/onboarding-runs", staff)
    assert listed["total"] == 2


async def test_bad_requests_are_refused_naming_the_field(town: Town) -> None:
    staff = town.staff()
    h = await town.household()
    for body in ({}, {"household_ids": [h["id"]], "all": True}, {"household_ids": []}):
        r = await town.client.post("/tenants/epagny/onboarding-runs", json=body, headers=staff)
        assert r.status == 422, body
        assert (await r.json())["errors"][0]["field"] == "household_ids"
    missing = str(uuid.uuid4())
    r = await town.client.post(
        "/tenants/epagny/onboarding-runs", json={"household_ids": [missing]}, headers=staff
    )
    assert r.status == 422
    body = await r.json()
    assert body["errors"][0]["field"] == "household_ids" and missing in body["detail"]
    assert await town.pool.fetchval("SELECT count(*) FROM onboarding_runs") == 0
    # Another town's household is unknown here.
    other = await town.household("annecy")
    r = await town.client.post(
        "/tenants/epagny/onboarding-runs", json={"household_ids": [other["id"]]}, headers=staff
    )
    assert r.status == 422
    for path in (
        f"/tenants/epagny/onboarding-runs/{uuid.uuid4()}",
        "/tenants/epagny/onboarding-runs/x",
    ):
        r = await town.client.get(path, headers=staff)
        assert r.status == 404
    r = await town.client.post(
        "/tenants/epagny/onboarding-runs", json={"all": True}, headers=town.family()
    )
    assert r.status == 403


async def test_an_anonymised_household_leaves_the_runs(town: Town, requests: EventTap) -> None:
    staff = town.staff()
    h = await town.household(guardians=[town.guardian("Claire", "Martin")])
    run = await town.call(
        "POST", "/tenants/epagny/onboarding-runs", staff, {"household_ids": [h["id"]]}, 201
    )
    family = await town.linked_family(h)
    me = "/tenants/epagny/me/household"
    asked = await town.call(
        "POST", f"{me}/deletion-request", family, {"message": "Nous partons."}, status=202
    )
    await town.call(
        "POST", f"/tenants/epagny/deletion-requests/{asked['id']}/anonymise", staff, status=200
    )
    report = await town.call("GET", f"/tenants/epagny/onboarding-runs/{run['id']}", staff)
    (guardian,) = report["guardians"]
    assert guardian["email"] is None and "Martin" not in guardian["name"]
    r = await town.client.post(
        "/tenants/epagny/onboarding-runs", json={"household_ids": [h["id"]]}, headers=staff
    )
    assert r.status == 422
