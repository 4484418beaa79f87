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
from shared.uow import reading, share_transaction, stop_sharing, unit_of_work

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


async def test_a_crash_before_the_answer_is_stored_does_not_create_twice(
    sample, sample_settings, staff, monkeypatch
):
    """The process dies between the creation and the storing of its answer (kill -9: its
    connections die with it): the creation and the answer commit together, so the retry
    finds neither and creates once, not a second time beside a creation already kept."""
    pool = sample.app[POOL]
    key, body = str(uuid.uuid4()), {"text": "Une seule fois"}
    keep = idempotency.keep

    async def crash(conn: Any, *args: Any) -> bool:
        # Every connection of the request: the one that claimed the key, the one writing
        # (ended by the server's superuser: the pools' role may not end them).
        pids = [await pool.fetchval("SELECT owner_pid FROM idempotency_keys")]
        if isinstance(conn, asyncpg.Connection):
            pids.append(conn.get_server_pid())
        admin = await asyncpg.connect(sample_settings.database_url)
        try:
            await admin.execute("SELECT pg_terminate_backend(p) FROM unnest($1::int[]) p", pids)
            for _ in range(100):  # the backends have exited
                if not await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids
                ):
                    break
                await asyncio.sleep(0.02)
            else:
                pytest.fail("the connections did not end")
        finally:
            await admin.close()
        raise ConnectionResetError("the process died")

    monkeypatch.setattr(idempotency, "keep", crash)
    first = await sample.post(NOTES, json=body, headers=keyed(staff, key))
    monkeypatch.setattr(idempotency, "keep", keep)
    retry = await sample.post(NOTES, json=body, headers=keyed(staff, key))
    assert await notes(sample) == 1  # (2 when the answer was stored after the commit)
    assert retry.status == 201, await retry.text()
    assert "Idempotent-Replayed" not in retry.headers  # nothing was kept: it ran afresh
    assert first.status >= 500  # (a real crash answers nothing)
    again = await sample.post(NOTES, json=body, headers=keyed(staff, key))
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await again.read() == await retry.read()
    assert await notes(sample) == 1


async def test_the_creation_commits_with_its_answer(sample, staff):
    """While the first request still runs after its write, its note is not visible: it
    commits with the stored answer, at once."""
    pool = sample.app[POOL]
    key, body = str(uuid.uuid4()), {"text": "Ensemble", "pause": 0.5}
    first = asyncio.create_task(sample.post(NOTES, json=body, headers=keyed(staff, key)))
    for _ in range(100):  # the note is written (its row locked by the open transaction)
        if await pool.fetchval(
            "SELECT count(*) FROM pg_locks WHERE relation = 'notes'::regclass"
            " AND mode = 'RowExclusiveLock'"
        ):
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the note was never written")
    assert await notes(sample) == 0
    assert await pool.fetchval("SELECT status FROM idempotency_keys") is None
    done = await first
    assert done.status == 201
    assert await notes(sample) == 1
    assert await pool.fetchval("SELECT status FROM idempotency_keys") == 201
    assert await pool.fetchval("SELECT count(*) FROM outbox") >= 1


async def test_a_retry_taking_over_a_running_key_wins(sample, staff, account):
    """The first request's claiming connection is cut while it runs (its process alive): a
    retry takes the key over; the first one's answer then is not stored over it, and its
    change does not commit (a 409), so one note only, the retry's."""
    pool = sample.app[POOL]
    caller, key = f"testville|{account}", str(uuid.uuid4())
    body = {"text": "Reprise", "pause": 0.5}
    first = asyncio.create_task(sample.post(NOTES, json=body, headers=keyed(staff, key)))
    for _ in range(100):
        if await pool.fetchval("SELECT count(*) FROM idempotency_keys"):
            break
        await asyncio.sleep(0.02)
    # The retry's claim, as when the first's connection is gone.
    await pool.execute(
        "UPDATE idempotency_keys SET owner_pid = pg_backend_pid(), created_at = now()"
        " WHERE caller = $1",
        caller,
    )
    lost = await first
    assert lost.status == 409
    assert (await lost.json())["type"].endswith("/idempotency-key-in-progress")
    assert await notes(sample) == 0
    assert await pool.fetchval("SELECT status FROM idempotency_keys") is None  # the retry's


# --- the shared transaction itself (shared/uow.py) -----------------------------------------


async def _note(uow: Any, text: str) -> None:
    await uow.conn.execute(
        "INSERT INTO notes (id, tenant, text) VALUES ($1, 'testville', $2)", uuid.uuid4(), text
    )


async def test_units_of_work_join_the_shared_transaction(sample):
    pool = sample.app[POOL]
    done: list[str] = []
    shared, token = share_transaction(pool)
    try:
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await _note(uow, "un")
            uow.emit("test.NoteRecorded", {"note_id": uuid.uuid4(), "text": "un"})
            uow.after_commit(lambda: done.append("un"))
        assert reading(pool) is shared.conn  # the handler reads what it wrote
        with pytest.raises(RuntimeError):  # a second one failing is undone alone
            async with unit_of_work(sample.app, tenant="testville") as uow:
                await _note(uow, "deux")
                uow.after_commit(lambda: done.append("deux"))
                raise RuntimeError("refused")
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await _note(uow, "trois")
        assert await notes(sample) == 0 and done == []  # nothing committed yet
    finally:
        stop_sharing(token)
    await shared.commit()
    assert await pool.fetchval("SELECT array_agg(text ORDER BY text) FROM notes") == [
        "trois",
        "un",
    ]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1
    assert done == ["un"]
    assert reading(pool) is pool


async def test_a_failing_first_unit_of_work_leaves_a_fresh_transaction(sample):
    pool = sample.app[POOL]
    shared, token = share_transaction(pool)
    try:
        with pytest.raises(RuntimeError):
            async with unit_of_work(sample.app, tenant="testville") as uow:
                await _note(uow, "annulée")
                raise RuntimeError("refused")
        assert not shared.started
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await _note(uow, "gardée")
    finally:
        stop_sharing(token)
    await shared.commit()
    assert await pool.fetchval("SELECT array_agg(text) FROM notes") == ["gardée"]


async def test_a_rolled_back_shared_transaction_leaves_nothing(sample):
    pool = sample.app[POOL]
    done: list[str] = []
    shared, token = share_transaction(pool)
    try:
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await _note(uow, "refusée")
            uow.after_commit(lambda: done.append("x"))
    finally:
        stop_sharing(token)
    await shared.roll_back()
    assert await notes(sample) == 0 and done == []
    assert pool.get_size() - pool.get_idle_size() == 0  # its connection is back


async def test_another_task_does_not_join(sample):
    """A task spawned by the handler inherits the context, not the transaction."""
    pool = sample.app[POOL]
    shared, token = share_transaction(pool)

    async def elsewhere() -> None:
        async with unit_of_work(sample.app, tenant="testville") as uow:
            await _note(uow, "à part")

    try:
        await asyncio.create_task(elsewhere())
        assert await notes(sample) == 1  # committed on its own
        assert not shared.started
    finally:
        stop_sharing(token)
    await shared.commit()
