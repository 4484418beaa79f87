"""Names and declarations of the exchanges and queues, derived from the bus namespace.

One durable topic exchange carries every event (routing key = event type). Each consuming
service owns a quorum queue bound to the types it handles, retry queues that hold a message
for a delay then dead-letter it back, and a parked (dead-letter) queue.
"""

from __future__ import annotations

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue


@dataclass(frozen=True)
class Topology:
    namespace: str
    service: str

    @property
    def exchange(self) -> str:
        return f"{self.namespace}.events"

    @property
    def archive(self) -> str:
        """The stream of events that no queue was bound for (shared.events.archive)."""
        return f"{self.namespace}.events.archive"

    @property
    def queue(self) -> str:
        return f"{self.namespace}.{self.service}"

    @property
    def parked(self) -> str:
        return f"{self.namespace}.{self.service}.parked"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.namespace}.{self.service}.dlx"

    def retry_queue(self, delay_ms: int) -> str:
        return f"{self.namespace}.{self.service}.retry.{delay_ms}ms"


# Quorum queues: replicated, and with an explicit delivery limit a message that crashes its
# consumer again and again is dead-lettered instead of looping. At-least-once dead-lettering
# (which needs reject-publish overflow) never drops a message on its way to the parked queue.
def _quorum(**extra: object) -> dict[str, object]:
    return {
        "x-queue-type": "quorum",
        "x-dead-letter-strategy": "at-least-once",
        "x-overflow": "reject-publish",
        **extra,
    }


async def declare_exchange(channel: AbstractChannel, topology: Topology) -> AbstractExchange:
    return await channel.declare_exchange(
        topology.exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )


async def declare_consumer_queues(
    channel: AbstractChannel,
    topology: Topology,
    event_types: list[str],
    *,
    delivery_limit: int,
    retry_delays_ms: tuple[int, ...],
) -> AbstractQueue:
    exchange = await declare_exchange(channel, topology)
    dlx = await channel.declare_exchange(
        topology.dead_letter_exchange, aio_pika.ExchangeType.FANOUT, durable=True
    )
    parked = await channel.declare_queue(
        topology.parked, durable=True, arguments={"x-queue-type": "quorum"}
    )
    await parked.bind(dlx)
    queue = await channel.declare_queue(
        topology.queue,
        durable=True,
        arguments=_quorum(
            **{
                "x-delivery-limit": delivery_limit,
                "x-dead-letter-exchange": topology.dead_letter_exchange,
            }
        ),
    )
    for event_type in event_types:
        await queue.bind(exchange, routing_key=event_type)
    for delay in retry_delays_ms:
        # Held for `delay` ms, then dead-lettered through the default exchange back to the
        # service's queue: a retry with a delay that needs no plugin.
        await channel.declare_queue(
            topology.retry_queue(delay),
            durable=True,
            arguments=_quorum(
                **{
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": topology.queue,
                }
            ),
        )
    return queue
