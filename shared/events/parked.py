"""Operator tools for parked (dead-lettered) messages: list them, replay one or all."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage

from shared.events.topology import Topology


@dataclass(frozen=True)
class ParkedMessage:
    message_id: str | None
    event_type: str | None
    reason: str
    attempts: int | None
    parked_at: str | None
    body: str

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _describe(message: AbstractIncomingMessage) -> ParkedMessage:
    headers = message.headers or {}
    reason = headers.get("x-error")
    if reason is None:
        # Dead-lettered by the broker itself (delivery limit reached: the handler crashed).
        deaths = headers.get("x-death") or []
        first = deaths[0] if deaths else {}
        reason = f"dead-lettered by the broker: {first.get('reason', 'unknown')}"
    try:
        event_type = json.loads(message.body).get("type")
    except (ValueError, AttributeError):
        event_type = message.type
    attempts = headers.get("x-attempts")
    return ParkedMessage(
        message_id=message.message_id,
        event_type=event_type,
        reason=str(reason),
        attempts=int(attempts) if attempts is not None else None,  # type: ignore[arg-type]
        parked_at=str(headers["x-parked-at"]) if "x-parked-at" in headers else None,
        body=message.body.decode(errors="replace"),
    )


async def _take_all(
    channel: aio_pika.abc.AbstractChannel, queue_name: str
) -> list[AbstractIncomingMessage]:
    queue = await channel.get_queue(queue_name, ensure=True)
    taken: list[AbstractIncomingMessage] = []
    while True:
        message = await queue.get(no_ack=False, fail=False, timeout=5)
        if message is None:
            return taken
        taken.append(message)


async def list_parked(amqp_url: str, topology: Topology) -> list[ParkedMessage]:
    """Read every parked message without removing any (they return to the queue)."""
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        messages = await _take_all(channel, topology.parked)
        described = [_describe(m) for m in messages]
        for message in messages:
            await message.nack(requeue=True)
        return described
    finally:
        await connection.close()


async def replay_parked(amqp_url: str, topology: Topology, message_id: str | None = None) -> int:
    """Send parked messages (one by id, or all) back to the service's queue; return count."""
    connection = await aio_pika.connect(amqp_url)
    replayed = 0
    try:
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        messages = await _take_all(channel, topology.parked)
        for message in messages:
            if message_id is not None and message.message_id != message_id:
                await message.nack(requeue=True)
                continue
            headers = {
                k: v
                for k, v in (message.headers or {}).items()
                if not k.startswith("x-")  # a fresh start: attempts and death history cleared
            }
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    message_id=message.message_id,
                    type=message.type,
                    content_type=message.content_type,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=topology.queue,
                mandatory=True,
            )
            await message.ack()
            replayed += 1
        return replayed
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(connection.close(), 5)
