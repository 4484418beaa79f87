"""Many events of one unit of work go to the outbox in one INSERT from arrays (per chunk):
in the order raised (`seq`, which the relay and the arrival-order check rely on), each as
`Event.to_json` writes it, and not at all when the change rolls back."""

from __future__ import annotations

import uuid

import pytest

from shared.events import outbox
from shared.events.checked import PayloadCheck
from shared.events.registry import ContractError
from shared.keys import POOL
from shared.uow import unit_of_work

NOTE = "test.NoteRecorded"


async def test_many_events_keep_their_order_across_chunks(sample, monkeypatch):
    monkeypatch.setattr(outbox, "CHUNK", 7)  # several chunks: the order must hold across them
    pool = sample.app[POOL]
    ids = [uuid.uuid4() for _ in range(30)]
    check = PayloadCheck(NOTE)
    async with unit_of_work(sample.app, tenant="testville") as uow:
        for n, note_id in enumerate(ids):
            payload = {"note_id": note_id, "text": f"n{n}", "poison": False}
            if n % 2:
                uow.emit(NOTE, payload)
            else:
                uow.emit_checked(check, payload)
        events = list(uow.events)
    rows = await pool.fetch("SELECT id, type, envelope FROM outbox ORDER BY seq")
    assert [r["envelope"]["payload"]["note_id"] for r in rows] == [str(i) for i in ids]
    assert [r["id"] for r in rows] == [e.id for e in events]
    assert [r["envelope"] for r in rows] == [e.to_json() for e in events]
    assert {r["type"] for r in rows} == {NOTE}


async def test_a_rolled_back_change_leaves_none_of_its_many_events(sample):
    pool = sample.app[POOL]
    with pytest.raises(RuntimeError):
        async with unit_of_work(sample.app, tenant="testville") as uow:
            for _ in range(20):
                uow.emit(NOTE, {"note_id": uuid.uuid4(), "text": "x", "poison": False})
            raise RuntimeError("refused")
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0


async def test_emit_checked_refuses_a_payload_breaking_the_contract(sample):
    check = PayloadCheck(NOTE)
    async with unit_of_work(sample.app, tenant="testville") as uow:
        uow.emit_checked(check, {"note_id": uuid.uuid4(), "text": "x", "poison": False})
        with pytest.raises(ContractError):
            uow.emit_checked(check, {"note_id": "not a uuid", "text": "x", "poison": False})
        with pytest.raises(ContractError):  # `text` is required
            uow.emit_checked(check, {"note_id": uuid.uuid4(), "poison": False})
    assert await sample.app[POOL].fetchval("SELECT count(*) FROM outbox") == 1
