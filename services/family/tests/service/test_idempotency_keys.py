"""Idempotency-Key on the creation of households: a retried creation gets the first
answer, and no second household."""

from __future__ import annotations

import uuid
from typing import Any

Town = Any


async def test_a_retried_household_creation_answers_the_first_answer(town: Town) -> None:
    key = str(uuid.uuid4())
    body = {
        "address": town.ADDRESS,
        "phones": ["04 50 11 22 33"],
        "guardians": [town.guardian()],
        "children": [town.child()],
    }
    headers = {**town.staff(), "Idempotency-Key": key}
    first = await town.client.post("/tenants/epagny/households", json=body, headers=headers)
    assert first.status == 201, await first.text()
    again = await town.client.post("/tenants/epagny/households", json=body, headers=headers)
    assert again.status == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await first.json()
    assert await town.pool.fetchval("SELECT count(*) FROM households") == 1

    changed = {**body, "phones": ["04 50 99 99 99"]}
    r = await town.client.post("/tenants/epagny/households", json=changed, headers=headers)
    assert r.status == 422
    assert (await r.json())["errors"][0]["field"] == "Idempotency-Key"
    # Another agent's same key is another key.
    other = {**town.staff(role="admin"), "Idempotency-Key": key}
    r = await town.client.post("/tenants/epagny/households", json=body, headers=other)
    assert r.status == 201 and "Idempotent-Replayed" not in r.headers
    assert await town.pool.fetchval("SELECT count(*) FROM households") == 2
