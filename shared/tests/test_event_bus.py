"""The event bus's promises, against the real Postgres and RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import uuid

import aio_pika

from shared.events import outbox
from shared.events.broker import Broker
from shared.events.envelope import new_event
from shared.events.parked import list_parked, replay_parked
from shared.events.relay import OutboxRelay
from shared.events.topology import Topology
from shared.keys import BROKER, CONSUMERS, METRICS, POOL, RELAY
from shared.metrics import ServiceMetrics
from shared.testing.bus import EventTap, eventually
from shared.testing.plugin import AMQP_URL

NOTES = "/tenants/testville/notes"


async def _record(pool, count: int, *, poison: bool = False) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in range(count)]
    async with pool.acquire() as conn, conn.transaction():
        for note_id in ids:
            await conn.execute(
                "INSERT INTO notes (id, tenant, text) VALUES ($1, 'testville', 'x')", note_id
            )
        await outbox.record(
            conn,
            *(
                new_event(
                    "test.NoteRecorded",
                    {"note_id": i, "text": "x", "poison": poison},
                    tenant_id="testville",
                    producer="sample",
                )
                for i in ids
            ),
        )
    return ids


async def _applied(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM applied_notes")


async def test_rolled_back_change_publishes_nothing(sample, sample_settings, tokens):
    staff = tokens.header(roles=("staff",))
    async with EventTap(AMQP_URL, sample_settings.bus_namespace, ["test.#"]) as tap:
        refused = await sample.post(NOTES, json={"text": "a", "fail": True}, headers=staff)
        assert refused.status == 409
        accepted = await sample.post(NOTES, json={"text": "b"}, headers=staff)
        assert accepted.status == 201
        await tap.wait_for(1)
        await asyncio.sleep(0.5)  # anything else would have arrived by now
        assert [m["payload"]["text"] for m in tap.messages] == ["b"]
    pool = sample.app[POOL]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1
    assert await pool.fetchval("SELECT count(*) FROM notes") == 1


async def test_envelope_carries_the_contract_fields(sample, sample_settings, tokens):
    async with EventTap(AMQP_URL, sample_settings.bus_namespace, ["test.NoteRecorded"]) as tap:
        response = await sample.post(
            NOTES,
            json={"text": "c"},
            headers={**tokens.header(roles=("staff",)), "X-Correlation-ID": "corr-42"},
        )
        assert response.status == 201
        (event,) = await tap.wait_for(1)
    assert set(event) == {
        "id",
        "type",
        "version",
        "occurred_at",
        "tenant_id",
        "producer",
        "correlation_id",
        "causation_id",
        "payload",
    }
    assert event["type"] == "test.NoteRecorded"
    assert event["version"] == 1
    assert event["tenant_id"] == "testville"
    assert event["producer"] == "sample"
    assert event["correlation_id"] == "corr-42"
    assert event["occurred_at"].endswith("+00:00")


async def test_event_published_twice_after_relay_crash_is_applied_once(sample, sample_settings):
    pool, relay = sample.app[POOL], sample.app[RELAY]
    crashed = asyncio.Event()

    async def crash_once(sent: list) -> None:
        if sent and not crashed.is_set():
            crashed.set()
            # The broker has confirmed, the row is not marked yet: the relay dies here.
            raise RuntimeError("relay killed between publish and mark")

    relay.after_publish = crash_once
    async with EventTap(AMQP_URL, sample_settings.bus_namespace, ["test.NoteRecorded"]) as tap:
        (note_id,) = await _record(pool, 1)
        deliveries = await tap.wait_for(2, timeout=15)
    assert crashed.is_set()
    assert {m["payload"]["note_id"] for m in deliveries} == {str(note_id)}
    assert deliveries[0]["id"] == deliveries[1]["id"]
    await eventually(
        lambda: pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
    )
    await asyncio.sleep(0.5)  # let the second delivery reach the consumer
    assert await _applied(pool) == 1
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 1
    metrics = sample.app[METRICS]
    await eventually(lambda: _sample_value(metrics, "duplicate"))


async def _sample_value(metrics: ServiceMetrics, outcome: str) -> float:
    return (
        metrics.registry.get_sample_value(
            "events_handled_total", {"type": "test.NoteRecorded", "outcome": outcome}
        )
        or 0
    )


async def test_thousand_events_from_two_relays_all_arrive_once(sample, sample_settings):
    pool = sample.app[POOL]
    second_broker = Broker(sample_settings, Topology(sample_settings.bus_namespace, "sample"))
    second_relay = OutboxRelay(sample_settings, pool, second_broker, ServiceMetrics())
    tasks = [asyncio.create_task(second_broker.run()), asyncio.create_task(second_relay.run())]
    try:
        await asyncio.wait_for(second_broker.connected.wait(), 10)
        batches = await asyncio.gather(*(_record(pool, 20) for _ in range(50)))
        expected = {i for batch in batches for i in batch}
        assert len(expected) == 1000
        await eventually(lambda: _applied_at_least(pool, 1000), timeout=60)
        await asyncio.sleep(0.5)
        rows = await pool.fetch("SELECT note_id FROM applied_notes")
        assert len(rows) == 1000
        assert {r["note_id"] for r in rows} == expected
        assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
        first = sample.app[METRICS].registry.get_sample_value("outbox_published_total") or 0
        second = second_relay.metrics.registry.get_sample_value("outbox_published_total") or 0
        assert first + second >= 1000
    finally:
        await second_broker.stop()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def _applied_at_least(pool, count: int) -> bool:
    return await _applied(pool) >= count


async def test_poison_message_is_parked_while_the_queue_flows(sample, sample_settings):
    pool = sample.app[POOL]
    topology = Topology(sample_settings.bus_namespace, "sample")
    (poison_id,) = await _record(pool, 1, poison=True)
    await _record(pool, 5)
    await eventually(lambda: _applied_at_least(pool, 5))
    parked = await eventually(lambda: list_parked(AMQP_URL, topology), timeout=15)
    assert len(parked) == 1
    (message,) = parked
    assert message.event_type == "test.NoteRecorded"
    assert "poisons its consumer" in message.reason
    assert message.attempts == sample_settings.consumer_max_attempts
    assert json.loads(message.body)["payload"]["note_id"] == str(poison_id)
    assert await _applied(pool) == 5
    # Listing did not consume it; replaying sends it back (and it fails and parks again).
    assert len(await list_parked(AMQP_URL, topology)) == 1
    assert await replay_parked(AMQP_URL, topology, message.message_id) == 1
    again = await eventually(lambda: list_parked(AMQP_URL, topology), timeout=15)
    assert [m.message_id for m in again] == [message.message_id]


async def test_invalid_message_is_parked_at_once_with_the_reason(sample, sample_settings):
    pool = sample.app[POOL]
    topology = Topology(sample_settings.bus_namespace, "sample")
    await eventually(lambda: _connected(sample))
    exchange = sample.app[BROKER].exchange
    bad = {
        "id": str(uuid.uuid4()),
        "type": "test.NoteRecorded",
        "version": 1,
        "occurred_at": "2026-11-24T10:00:00+00:00",
        "tenant_id": "testville",
        "producer": "someone",
        "correlation_id": "c",
        "payload": {"text": 42},
    }
    await exchange.publish(
        aio_pika.Message(json.dumps(bad).encode(), message_id=bad["id"]),
        routing_key="test.NoteRecorded",
    )
    await exchange.publish(
        aio_pika.Message(b"not json at all", message_id="garbage"), routing_key="test.NoteRecorded"
    )
    await _record(pool, 1)
    await eventually(lambda: _applied_at_least(pool, 1))
    parked = await eventually(lambda: _at_least(list_parked(AMQP_URL, topology), 2), timeout=15)
    reasons = {m.message_id: m.reason for m in parked}
    assert "note_id" in reasons[bad["id"]] and "invalid" in reasons[bad["id"]]
    assert "invalid event" in reasons["garbage"]


async def _connected(client) -> bool:
    return client.app[BROKER].connected.is_set()


async def _at_least(listing, count: int):
    found = await listing
    return found if len(found) >= count else None


async def test_a_relay_of_its_own_publishes_for_http_processes_without_one(
    make_settings, aiohttp_client
):
    """OUTBOX_RELAY_IN_PROCESS=false: the service only writes its outbox; `relay` (here
    run in this process, as `python -m <service> relay` runs it) publishes it."""
    from shared.events.relay import serve_relay
    from shared.http.app import create_service_app
    from shared.testing.sample import SampleSettings, definition

    settings = make_settings(SampleSettings, outbox_relay_in_process=False)
    client = await aiohttp_client(create_service_app(settings, definition()))
    pool = client.app[POOL]
    async with EventTap(AMQP_URL, settings.bus_namespace, ["test.#"]) as tap:
        await _record(pool, 3)
        await asyncio.sleep(1.0)  # an in-process relay would have published by now
        assert tap.messages == []
        unpublished = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        assert await pool.fetchval(unpublished) == 3

        stop = asyncio.Event()
        relay = asyncio.create_task(serve_relay(settings, stop))
        try:
            await tap.wait_for(3)
            await eventually(lambda: _none_left(pool, unpublished), timeout=10)
        finally:
            stop.set()
            await asyncio.wait_for(relay, 15)
        # The service's own consumer got them too, each applied once.
        await eventually(lambda: _count_is(pool, 3), timeout=10)


async def _none_left(pool, query: str) -> bool:
    return await pool.fetchval(query) == 0


async def _count_is(pool, expected: int) -> bool:
    return await _applied(pool) == expected


async def test_an_event_nobody_consumes_is_archived_then_replayed_to_a_later_consumer(
    sample, sample_settings, make_settings, aiohttp_client, monkeypatch
):
    """No service consumes it yet (its consumer is not deployed): the relay archives it instead
    of retrying it; a service deployed later replays the archive and applies it once, even
    when the replay runs twice."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from shared.cli import main as cli_main
    from shared.events.archive import replay_archive
    from shared.http.app import create_service_app
    from shared.testing.sample import SampleSettings, definition

    before = datetime.now(UTC) - timedelta(seconds=5)
    pool = sample.app[POOL]
    account_id = uuid.uuid4()
    event = new_event(
        "identity.AccountLocked",
        {
            "account_id": account_id,
            "email": "bloque@example.org",
            "display_name": "Compte Bloqué",
            "locked_until": datetime.now(UTC) + timedelta(minutes=15),
            "failed_attempts": 5,
        },
        tenant_id="testville",
        producer="identity",
    )
    async with pool.acquire() as conn, conn.transaction():
        await outbox.record(conn, event)
    query = "SELECT attempts, last_error, published_at FROM outbox WHERE id = $1"

    async def archived():
        row = await pool.fetchrow(query, event.id)
        return row if row["published_at"] is not None else None

    row = await eventually(archived, timeout=15)
    assert row["last_error"] is None and row["attempts"] == 1
    assert sample.app[METRICS].outbox_archived.labels("identity.AccountLocked")._value.get() == 1

    # A service deployed later, consuming the type (handler: one applied_notes row).
    async def on_locked(ctx, received) -> None:
        await ctx.conn.execute(
            "INSERT INTO applied_notes (note_id, event_id) VALUES ($1, $2)",
            received.payload["account_id"],
            received.id,
        )

    late_settings = make_settings(SampleSettings, service="late")
    late = replace(definition(), event_handlers={"identity.AccountLocked": on_locked})
    client = await aiohttp_client(create_service_app(late_settings, late))
    late_pool = client.app[POOL]
    topology = Topology(late_settings.bus_namespace, "late")

    async def consuming():
        return all(c.running for c in client.app[CONSUMERS]) or None

    await eventually(consuming, timeout=15)
    assert await replay_archive(AMQP_URL, topology, before, ["identity.AccountLocked"]) == 1
    # The command line does the same, here with the types the service consumes (none of the
    # sample's own test.NoteRecorded is archived), and a second replay changes nothing.
    for name, value in late_settings.to_env().items():
        monkeypatch.setenv(name, value)
    command = ["replay-archive", "--since", before.isoformat()]
    assert await asyncio.to_thread(cli_main, lambda: late, command) == 0

    async def applied():
        rows = await late_pool.fetch("SELECT note_id FROM applied_notes")
        return rows or None

    rows = await eventually(applied, timeout=15)
    await asyncio.sleep(1.0)  # the second replay's delivery has had time to arrive
    rows = await late_pool.fetch("SELECT note_id FROM applied_notes")
    assert [r["note_id"] for r in rows] == [account_id]
    assert await late_pool.fetchval("SELECT count(*) FROM inbox") == 1
    await client.close()
