"""Idempotency-Key on the creation of baskets and on their validation."""

from __future__ import annotations

import uuid
from typing import Any

from ..conftest import TENANT
from .test_campaigns import next_year

Town = Any


async def test_a_retried_basket_creation_answers_the_first_answer(town: Town) -> None:
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    key = str(uuid.uuid4())
    body = {
        "lines": [
            {"child_id": str(kid["id"]), "activity_id": activity["id"], "dates": ["2026-09-21"]}
        ]
    }
    headers = {**town.family(kid["household_id"]), "Idempotency-Key": key}
    path = f"/tenants/{TENANT}/baskets"
    first = await town.client.post(path, json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await town.client.post(path, json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await town.pool.fetchval("SELECT count(*) FROM baskets") == 1

    other = {"lines": [{**body["lines"][0], "dates": ["2026-09-22"]}]}
    r = await town.client.post(path, json=other, headers=headers)
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "Idempotency-Key"

    # The validation takes a key too: the same answer again, booked once.
    basket = await first.json()
    validate = f"/tenants/{TENANT}/baskets/{basket['id']}/validate"
    keyed = {**town.family(kid["household_id"]), "Idempotency-Key": str(uuid.uuid4())}
    answers = [await town.client.post(validate, json={}, headers=keyed) for _ in range(2)]
    assert [r.status for r in answers] == [200, 200]
    assert await answers[0].json() == await answers[1].json()
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert await town.pool.fetchval("SELECT count(*) FROM bookings") == 1


async def test_a_retried_all_or_nothing_validation_books_once(town: Town) -> None:
    """All or nothing validates in a transaction of its own (not the group commit): under a
    key it is the request's, committed with the answer; the retry replays it."""
    activity = await town.activity()
    kid = await town.enrolled_child(activity)
    family = town.family(kid["household_id"])
    line = {"child_id": str(kid["id"]), "activity_id": activity["id"], "dates": ["2026-09-21"]}
    r = await town.client.post(f"/tenants/{TENANT}/baskets", json={"lines": [line]}, headers=family)
    assert r.status == 201, await r.text()
    validate = f"/tenants/{TENANT}/baskets/{(await r.json())['id']}/validate"
    keyed = {**family, "Idempotency-Key": str(uuid.uuid4())}
    answers = [
        await town.client.post(validate, json={"all_or_nothing": True}, headers=keyed)
        for _ in range(2)
    ]
    assert [r.status for r in answers] == [200, 200], await answers[0].text()
    assert await answers[0].json() == await answers[1].json()
    assert answers[1].headers["Idempotent-Replayed"] == "true"
    assert await town.pool.fetchval("SELECT count(*) FROM bookings") == 1
    assert await town.pool.fetchval("SELECT status FROM idempotency_keys") == 200


async def test_a_retried_campaign_is_opened_once(town: Town) -> None:
    activity = await town.activity(**next_year())
    body = {
        "name": "Périscolaire 2027-2028",
        "school_year": "2027-2028",
        "opens_on": "2027-06-01",
        "closes_on": "2027-07-15",
        "activity_ids": [activity["id"]],
    }
    headers = {**town.staff(), "Idempotency-Key": str(uuid.uuid4())}
    path = f"/tenants/{TENANT}/campaigns"
    first = await town.client.post(path, json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await town.client.post(path, json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await town.pool.fetchval("SELECT count(*) FROM campaigns") == 1


async def test_the_openapi_document_names_the_header(town: Town) -> None:
    r = await town.client.get("/openapi.json")
    spec = await r.json()
    for path in (
        "/tenants/{tenant}/baskets",
        "/tenants/{tenant}/baskets/{basket_id}/validate",
        "/tenants/{tenant}/campaigns",
    ):
        params = spec["paths"][path]["post"]["parameters"]
        assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params)
