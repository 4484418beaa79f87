"""The event archive: events that no queue was bound for when they were published.

A service deployed after others (billing after booking, say) must still learn what happened
before it existed. When the broker returns an event for lack of any consumer (`NO_ROUTE`),
the relay stores it in the archive instead of retrying it forever: a RabbitMQ **stream**
(`<namespace>.events.archive`), which keeps messages for `EVENT_ARCHIVE_MAX_AGE` whoever
reads them, so every later consumer can read it from any point in time.

Why not an alternate exchange on the events exchange: an exchange's arguments cannot change
once it exists, so every broker that already has the exchange would need it deleted (and all
bindings with it) to gain one. The relay already sees each refusal through `mandatory`, and
publishing the refused event to the archive with confirms is the same guarantee; when the
archive itself is missing the event stays in the outbox, as before.

`python -m <service> replay-archive --since ...` reads the archive from that moment and
delivers the events of the types the service consumes to the service's own queue; its
consumer applies each once (the inbox keeps event ids), so replaying twice is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

from shared.events.topology import Topology
from shared.logging import get_logger

log = get_logger(__name__)

# How long replay waits for the next archived message before deciding it read everything.
_IDLE_SECONDS = 1.5


def archive_arguments(max_age: str, max_bytes: int) -> dict[str, object]:
    return {"x-queue-type": "stream", "x-max-age": max_age, "x-max-length-bytes": max_bytes}


async def declare_archive(
    channel: AbstractChannel, topology: Topology, *, max_age: str, max_bytes: int
) -> None:
    await channel.declare_queue(
        topology.archive, durable=True, arguments=archive_arguments(max_age, max_bytes)
    )


async def archive_message(
    channel: AbstractChannel, topology: Topology, message: aio_pika.Message
) -> None:
    """Store a refused event in the archive (confirmed; `mandatory`: refused when the archive
    does not exist, then the caller keeps the event)."""
    await channel.default_exchange.publish(
        message, routing_key=topology.archive, mandatory=True, timeout=10
    )


async def replay_archive(
    amqp_url: str, topology: Topology, since: datetime, event_types: list[str]
) -> int:
    """Deliver to this service's queue the archived events of `event_types` published since
    `since`; returns how many were delivered."""
    wanted = set(event_types)
    delivered = 0
    connection = await aio_pika.connect(amqp_url, timeout=10)
    try:
        reader = await connection.channel()
        await reader.set_qos(prefetch_count=200)  # streams need a prefetch
        try:
            queue = await reader.declare_queue(topology.archive, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            log.info("archive_absent", archive=topology.archive)
            return 0
        publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
        # The service's queue must exist: it is declared by the service's consumer.
        await publisher.declare_queue(topology.queue, passive=True)
        async with queue.iterator(arguments={"x-stream-offset": since}) as messages:
            while True:
                try:
                    message = await asyncio.wait_for(anext(messages), _IDLE_SECONDS)
                except TimeoutError:
                    break
                if message.type in wanted:
                    await publisher.default_exchange.publish(
                        _copy(message), routing_key=topology.queue, mandatory=True, timeout=10
                    )
                    delivered += 1
                await message.ack()
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
    log.info("archive_replayed", delivered=delivered, since=since.isoformat())
    return delivered


def _copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    headers = {k: v for k, v in (message.headers or {}).items() if not k.startswith("x-")}
    return aio_pika.Message(
        message.body,
        message_id=message.message_id,
        type=message.type,
        content_type=message.content_type,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        correlation_id=message.correlation_id,
        headers=headers,
    )
