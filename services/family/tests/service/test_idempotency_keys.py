"""Idempotency-Key on the creation of households: a retried creation gets the first
answer, and no second household."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest

from shared.http import idempotency

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


async def test_a_crash_before_the_answer_is_kept_creates_one_household(
    town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 between the household's creation and the storing of its answer (its
    connections die): both commit together, so the retry creates it once, not twice."""
    body = {
        "address": town.ADDRESS,
        "phones": ["04 50 11 22 33"],
        "guardians": [town.guardian()],
        "children": [town.child()],
    }
    headers = {**town.staff(), "Idempotency-Key": str(uuid.uuid4())}
    keep = idempotency.keep

    async def crash(conn: Any, *args: Any) -> bool:
        pids = [await town.pool.fetchval("SELECT owner_pid FROM idempotency_keys")]
        if isinstance(conn, asyncpg.Connection):
            pids.append(conn.get_server_pid())
        admin = await asyncpg.connect(town.settings.database_url)  # may end any backend
        try:
            await admin.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) p", pids)
            for _ in range(100):
                gone = "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = ANY($1::int[])"
                if await admin.fetchval(gone, pids):
                    break
                await asyncio.sleep(0.02)
        finally:
            await admin.close()
        raise ConnectionResetError("the process died")

    monkeypatch.setattr(idempotency, "keep", crash)
    await town.client.post("/tenants/epagny/households", json=body, headers=headers)
    monkeypatch.setattr(idempotency, "keep", keep)
    retry = await town.client.post("/tenants/epagny/households", json=body, headers=headers)
    assert await town.pool.fetchval("SELECT count(*) FROM households") == 1
    assert retry.status == 201, await retry.text()
    again = await town.client.post("/tenants/epagny/households", json=body, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.json() == await retry.json()
