"""Idempotency-Key on a creating POST (shared/http/idempotency.py), through the sample
service against the real Postgres: replay, another body, a key in progress, failures not
kept, one caller's key not another's, expiry, and the OpenAPI document."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import asyncpg
import pytest

from shared.http import idempotency
from shared.keys import POOL

NOTES = "/tenants/testville/notes"


@pytest.fixture
def account() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def staff(tokens: Any, account: str) -> dict[str, str]:
    return tokens.header(roles=("staff",), account_id=account)


def keyed(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


async def notes(sample: Any) -> int:
    return await sample.app[POOL].fetchval("SELECT count(*) FROM notes")


async def test_same_key_and_body_replays_the_first_answer(sample, staff):
    key = str(uuid.uuid4())
    first = await sample.post(NOTES, json={"text": "Bonjour"}, headers=keyed(staff, key))
    assert first.status == 201, await first.text()
    body = await first.read()
    again = await sample.post(NOTES, json={"text": "Bonjour"}, headers=keyed(staff, key))
    assert again.status == 201
    assert await again.read() == body
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Content-Type"].startswith("application/json")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await notes(sample) == 1  # created once
    # Neither the key nor the answer is readable in the table.
    row = await sample.app[POOL].fetchrow("SELECT key, body FROM idempotency_keys")
    assert row["key"] != key and key.encode() not in row["body"]
    assert b"Bonjour" not in row["body"] and first.headers["Location"].encode() not in row["body"]
    # Without a key, nothing changes: each request creates.
    await sample.post(NOTES, json={"text": "Bonjour"}, headers=staff)
    assert await notes(sample) == 2


async def test_same_key_with_another_body_is_a_422_naming_the_header(sample, staff):
    key = str(uuid.uuid4())
    r = await sample.post(NOTES, json={"text": "Un"}, headers=keyed(staff, key))
    assert r.status == 201
    r = await sample.post(NOTES, json={"text": "Deux"}, headers=keyed(staff, key))
    assert r.status == 422
    assert r.content_type == "application/problem+json"
    problem = await r.json()
    assert problem["type"].endswith("/idempotency-key-reused")
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert "Idempotency-Key" in problem["detail"]
    assert await notes(sample) == 1


async def test_a_key_in_progress_answers_409_then_the_first_answer(sample, staff):
    key = str(uuid.uuid4())
    body = {"text": "Lent", "pause": 1.0}
    first = asyncio.create_task(sample.post(NOTES, json=body, headers=keyed(staff, key)))

    async def running() -> bool:
        status = await sample.app[POOL].fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE status IS NULL"
        )
        return status == 1

    for _ in range(100):
        if await running():
            break
        await asyncio.sleep(0.02)
    second = await sample.post(NOTES, json=body, headers=keyed(staff, key))
    assert second.status == 409
    assert second.headers["Retry-After"] == "1"
    assert (await second.json())["type"].endswith("/idempotency-key-in-progress")
    done = await first
    assert done.status == 201
    third = await sample.post(NOTES, json=body, headers=keyed(staff, key))
    assert third.status == 201 and await third.read() == await done.read()
    assert await notes(sample) == 1


async def test_a_refusal_is_not_kept_and_the_request_runs_again(sample, staff):
    key = str(uuid.uuid4())
    refused = await sample.post(NOTES, json={"text": "x", "fail": True}, headers=keyed(staff, key))
    assert refused.status == 409
    kept = await sample.app[POOL].fetchval("SELECT count(*) FROM idempotency_keys")
    assert kept == 0
    # The same key with the request corrected runs (the refusal left no trace).
    r = await sample.post(NOTES, json={"text": "x"}, headers=keyed(staff, key))
    assert r.status == 201
    assert await notes(sample) == 1


async def test_one_callers_key_is_not_anothers(sample, staff, tokens):
    key = str(uuid.uuid4())
    mine = await sample.post(NOTES, json={"text": "À moi"}, headers=keyed(staff, key))
    other = tokens.header(roles=("staff",))  # another account
    theirs = await sample.post(NOTES, json={"text": "À moi"}, headers=keyed(other, key))
    assert mine.status == theirs.status == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert (await mine.json())["id"] != (await theirs.json())["id"]
    assert await notes(sample) == 2


async def test_an_expired_key_runs_again(sample, staff):
    key = str(uuid.uuid4())
    r = await sample.post(NOTES, json={"text": "Hier"}, headers=keyed(staff, key))
    assert r.status == 201
    await sample.app[POOL].execute(
        "UPDATE idempotency_keys SET created_at = now() - interval '25 hours'"
    )
    again = await sample.post(NOTES, json={"text": "Hier"}, headers=keyed(staff, key))
    assert again.status == 201 and "Idempotent-Replayed" not in again.headers
    assert await notes(sample) == 2
    await idempotency.purge(sample.app[POOL])  # only the expired go
    assert await sample.app[POOL].fetchval("SELECT count(*) FROM idempotency_keys") == 1


async def test_an_abandoned_key_is_taken_over(sample, staff, account):
    """A first request whose process died while it ran does not block the key for a day."""
    key = str(uuid.uuid4())
    await sample.app[POOL].execute(
        "INSERT INTO idempotency_keys (caller, key, fingerprint, created_at)"
        " VALUES ($1, $2, 'x', now() - interval '2 minutes')",
        f"testville|{account}",
        idempotency.stored_key(f"testville|{account}", key),
    )
    r = await sample.post(NOTES, json={"text": "Reprise"}, headers=keyed(staff, key))
    assert r.status == 201


async def test_a_key_whose_process_died_is_taken_over_at_once(
    sample, sample_settings, staff, account
):
    """A first request killed with its process (kill -9 between the claim and the answer)
    leaves its key running; the retry takes it over at once, not a minute of 409 later:
    the connection that claimed it is gone. (Found by tests/faults.)"""
    caller, key = f"testville|{account}", str(uuid.uuid4())
    # The dead process's connection: it claims the key, then goes.
    dead = await asyncpg.connect(
        sample_settings.database_url, server_settings={"search_path": sample_settings.schema}
    )
    pid = await dead.fetchval("SELECT pg_backend_pid()")
    await dead.execute(
        "INSERT INTO idempotency_keys (caller, key, fingerprint, owner_pid)"
        " VALUES ($1, $2, 'x', pg_backend_pid())",
        caller,
        idempotency.stored_key(caller, key),
    )
    await dead.close()
    pool = sample.app[POOL]
    for _ in range(100):  # the backend has exited
        if not await pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid):
            break
        await asyncio.sleep(0.02)
    r = await sample.post(NOTES, json={"text": "Reprise"}, headers=keyed(staff, key))
    assert r.status == 201, await r.text()
    assert await notes(sample) == 1


async def test_a_key_whose_process_lives_stays_in_progress(sample, staff, account):
    """The same row claimed by a connection still alive: 409 « en cours », as before."""
    pool = sample.app[POOL]
    caller, key = f"testville|{account}", str(uuid.uuid4())
    async with pool.acquire() as alive:
        await alive.execute(
            "INSERT INTO idempotency_keys (caller, key, fingerprint, owner_pid)"
            " VALUES ($1, $2, 'x', pg_backend_pid())",
            caller,
            idempotency.stored_key(caller, key),
        )
        r = await sample.post(NOTES, json={"text": "Reprise"}, headers=keyed(staff, key))
    # (fingerprint 'x' differs from the request's: a live claim is compared, not taken over)
    assert r.status == 422
    assert await notes(sample) == 0


@pytest.mark.parametrize("key", ["", "a b", "é", "x" * 256])
async def test_an_invalid_key_is_a_400(sample, staff, key):
    r = await sample.post(NOTES, json={"text": "x"}, headers=keyed(staff, key))
    assert r.status == 400
    problem = await r.json()
    assert problem["errors"][0]["field"] == "Idempotency-Key"
    assert await notes(sample) == 0


async def test_the_openapi_document_describes_the_header(sample):
    r = await sample.get("/openapi.json")
    assert r.status == 200
    spec = json.loads(await r.text())
    operation = spec["paths"]["/tenants/{tenant}/notes"]["post"]
    (header,) = [p for p in operation["parameters"] if p["in"] == "header"]
    assert header["name"] == "Idempotency-Key" and header["required"] is False
    assert "409" in operation["responses"]
    assert "Idempotency-Key" in operation["responses"]["422"]["description"]
    boom = spec["paths"]["/boom"]["get"]
    assert not [p for p in boom.get("parameters", []) if p["in"] == "header"]


async def test_a_key_on_a_multipart_body_is_refused(sample, staff):
    """Its fingerprint would consume the stream the handler reads: refused, never ignored."""
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("text", "x")
    form.add_field("file", b"%PDF-1.4", filename="a.pdf")  # a file: multipart/form-data
    r = await sample.post(NOTES, data=form, headers=keyed(staff, str(uuid.uuid4())))
    assert r.status == 400
    assert (await r.json())["type"].endswith("/idempotency-key-unsupported")
    assert await notes(sample) == 0
